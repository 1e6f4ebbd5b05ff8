"""A titled, bordered region of the dashboard that can be maximised."""

from __future__ import annotations

from textual.containers import Vertical
from textual.widget import Widget


class Pane(Vertical):
    """One pane of the dashboard; `m` maximises the pane holding the focus."""

    ALLOW_MAXIMIZE = True

    def __init__(self, *children: Widget, title: str, id: str) -> None:
        super().__init__(*children, id=id)
        self.border_title = title
