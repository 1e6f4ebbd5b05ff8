"""Asks for a server weight (0-256); dismisses with the number, or None when cancelled."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.validation import Integer
from textual.widgets import Input, Label

from lbtui.core.topology.limits import WEIGHT_MAX, WEIGHT_MIN


class WeightScreen(ModalScreen[int | None]):
    """A one-field dialog for the new weight of a server."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, vip: str, server: str) -> None:
        super().__init__()
        self._question = (
            f"New weight of {server} in VIP {vip} ({WEIGHT_MIN}-{WEIGHT_MAX}, Enter to apply):"
        )

    def compose(self) -> ComposeResult:
        with Vertical(id="weight-box"):
            yield Label(self._question, markup=False)
            yield Input(
                placeholder="e.g. 2",
                type="integer",
                validators=[Integer(minimum=WEIGHT_MIN, maximum=WEIGHT_MAX)],
                id="weight",
            )

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if event.validation_result is not None and not event.validation_result.is_valid:
            self.notify(
                f"the weight must be a whole number from {WEIGHT_MIN} to {WEIGHT_MAX}",
                severity="error",
            )
            return
        self.dismiss(int(event.value))

    def action_cancel(self) -> None:
        """Close without a change."""
        self.dismiss(None)
