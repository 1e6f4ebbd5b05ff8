"""`?`: every key of the dashboard, generated from the bindings so it never goes stale."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

KEY_NAMES = {
    "slash": "/",
    "question_mark": "?",
    "escape": "Esc",
    "enter": "Enter",
    "tab": "Tab",
    "left_square_bracket": "[",
    "right_square_bracket": "]",
    "plus": "+",
    "minus": "-",
}


def key_text(key: str) -> str:
    """`slash,question_mark` -> `/ / ?`: keys as the user types them."""
    return " / ".join(KEY_NAMES.get(part.strip(), part.strip()) for part in key.split(","))


def binding_lines(bindings: list[BindingType]) -> list[tuple[str, str]]:
    """(keys, description) of the bindings that have a description."""
    return [
        (key_text(b.key), b.description)
        for b in bindings
        if isinstance(b, Binding) and b.description
    ]


class HelpScreen(ModalScreen[None]):
    """A scrollable list of keys and what they do."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "app.pop_screen", "Close help")
    ]

    def __init__(self, groups: list[tuple[str, list[tuple[str, str]]]]) -> None:
        super().__init__()
        self._groups = groups

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Label("lbtui keys  (Escape closes)", id="help-title")
            for title, entries in self._groups:
                lines = [f"  {keys:<10} {description}" for keys, description in entries]
                yield Static(f"{title}\n" + "\n".join(lines), classes="help-group", markup=False)
