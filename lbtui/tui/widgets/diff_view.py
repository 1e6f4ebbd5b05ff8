"""The last redeploy plan of a VIP: what will happen, then the config diff, coloured.

Colours come from component classes styled in app.tcss (`diff-view--added`...), so
every theme colours the diff; the stats password is already masked by the core.
"""

from __future__ import annotations

from typing import ClassVar

from rich.console import RenderableType
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from lbtui.tui.data.services import RedeployPreview
from lbtui.tui.present.diff_text import LineKind, preview_lines


class DiffView(Widget):
    """A redeploy preview; empty until a redeploy or a preview shows one.

    Not focusable: the scroll container around it takes the focus and the scroll keys.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {f"diff-view--{kind.value}" for kind in LineKind}

    preview: reactive[RedeployPreview | None] = reactive(None, layout=True)
    """The preview shown (None: nothing shown yet)."""

    @property
    def text(self) -> str:
        """The lines shown, as plain text."""
        if self.preview is None:
            return ""
        return "\n".join(line for _, line in preview_lines(self.preview))

    def render(self) -> RenderableType:
        text = Text()
        if self.preview is None:
            return text
        style = self.get_component_rich_style
        for index, (kind, line) in enumerate(preview_lines(self.preview)):
            if index:
                text.append("\n")
            text.append(line, style(f"diff-view--{kind.value}"))
        return text
