"""Asks which fault to inject and its parameter; dismisses with a checked request, or None.

Keyboard flow: arrows pick the kind, Enter applies it (or moves to the parameter when
the kind takes one), Enter in the parameter applies; Escape cancels. The request is
checked by the core's own `fault_request`, so the form refuses what the CLI refuses.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from lbtui.core.errors import BadInput
from lbtui.core.faults.model import LIMITS, FaultKind, FaultRequest, fault_request

KIND_HELP = {
    FaultKind.PAUSE: "freeze the container",
    FaultKind.DISCONNECT: "cut it from the topology's network",
    FaultKind.LOSS: "drop a share of its packets",
    FaultKind.RATE: "limit what it sends",
    FaultKind.DELAY: "add latency to what it sends (needs netem)",
    FaultKind.DOWN: "every topology container on the host unreachable",
}
#: Kind -> (parameter name, smallest, largest, unit), from the core's limits.
PARAMETERS = {kind: (name, low, high, unit) for name, (kind, low, high, unit) in LIMITS.items()}
WHOLE_NUMBERS = frozenset({"kbit", "ms"})


def form_request(target: str, kind: FaultKind, text: str) -> FaultRequest:
    """The request the form's fields make, checked by the core; BadInput saying what is wrong."""
    parameter = PARAMETERS.get(kind)
    if parameter is None:
        return fault_request(target, kind.value)
    name, low, high, unit = parameter
    given = text.strip()
    wanted = f"{name}: a number from {low:g} to {high:g} {unit}"
    try:
        value = float(given)
    except ValueError:
        raise BadInput(f"{wanted}, not {given!r}") from None
    if name in WHOLE_NUMBERS and not value.is_integer():
        raise BadInput(f"{wanted}, a whole one, not {given!r}")
    return fault_request(
        target,
        kind.value,
        percent=value if name == "percent" else None,
        kbit=int(value) if name == "kbit" else None,
        ms=int(value) if name == "ms" else None,
    )


class FaultScreen(ModalScreen[FaultRequest | None]):
    """A small form: the fault's kind, then its parameter if it takes one."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, target: str, where: str, kinds: tuple[FaultKind, ...]) -> None:
        super().__init__()
        self.target = target
        self._where = where
        self._kinds = kinds

    def compose(self) -> ComposeResult:
        with Vertical(id="fault-box"):
            yield Label(f"Fault on {self._where} (Enter applies, Esc cancels):", markup=False)
            options = [Option(f"{k.value:<11} {KIND_HELP[k]}", id=k.value) for k in self._kinds]
            yield OptionList(*options, id="fault-kinds")
            yield Label("", id="fault-parameter-label", markup=False)
            yield Input(id="fault-parameter")
            yield Label("", id="fault-error", markup=False)

    def on_mount(self) -> None:
        kinds = self.query_one(OptionList)
        kinds.highlighted = 0
        self._show_parameter(self._kinds[0])
        kinds.focus()

    @property
    def kind(self) -> FaultKind:
        """The kind under the cursor."""
        option = self.query_one(OptionList).highlighted_option
        return FaultKind(option.id) if option is not None and option.id else self._kinds[0]

    def _show_parameter(self, kind: FaultKind) -> None:
        label = self.query_one("#fault-parameter-label", Label)
        field = self.query_one("#fault-parameter", Input)
        parameter = PARAMETERS.get(kind)
        label.set_class(parameter is None, "-hidden")
        field.set_class(parameter is None, "-hidden")
        if parameter is not None:
            name, low, high, unit = parameter
            label.update(f"{name} ({low:g} to {high:g} {unit}):")
            field.placeholder = f"e.g. {low * 10:g}" if name != "percent" else "e.g. 30"
        self.query_one("#fault-error", Label).update("")

    @on(OptionList.OptionHighlighted)
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._show_parameter(self.kind)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if self.kind in PARAMETERS:
            self.query_one("#fault-parameter", Input).focus()
        else:
            self._submit()

    @on(Input.Submitted)
    def _parameter_given(self, event: Input.Submitted) -> None:
        self._submit()

    def _submit(self) -> None:
        text = self.query_one("#fault-parameter", Input).value
        try:
            request = form_request(self.target, self.kind, text)
        except BadInput as error:
            self.query_one("#fault-error", Label).update(str(error))
            return
        self.dismiss(request)

    def action_cancel(self) -> None:
        """Close without a change."""
        self.dismiss(None)
