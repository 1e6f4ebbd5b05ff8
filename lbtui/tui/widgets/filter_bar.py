"""The `/` filter: an input that narrows the table that had the focus."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.binding import Binding, BindingType
from textual.widgets import Input

from lbtui.tui.widgets.keyed_table import KeyedTable


class FilterBar(Input):
    """Typing filters the target table live; Enter or Escape returns to it."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "Close filter", show=False)]

    def __init__(self) -> None:
        placeholder = "filter: type to narrow the table, empty shows all"
        super().__init__(placeholder=placeholder, id="filter")
        self.target: KeyedTable | None = None

    def open_for(self, table: KeyedTable) -> None:
        """Show the bar, filled with the table's current filter, and focus it."""
        self.target = table
        self.value = table.filter_text
        self.add_class("-open")
        self.focus()

    @on(Input.Changed)
    def _narrow(self, event: Input.Changed) -> None:
        event.stop()
        if self.target is not None:
            self.target.filter_text = event.value

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_close()

    def action_close(self) -> None:
        """Hide the bar and give the focus back to the table (its filter stays)."""
        self.remove_class("-open")
        if self.target is not None:
            self.target.focus()
