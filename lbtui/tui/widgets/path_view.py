"""The request path of the selected VIP, one line per hop, coloured by state class."""

from __future__ import annotations

from textual.containers import Vertical
from textual.widgets import Label

from lbtui.tui.present.fault_text import FAULT_MARK
from lbtui.tui.present.hops import Hop

HOP_CLASSES = ("-ok", "-bad", "-planned", "-unknown", "-fault")
SYMBOLS = {"ok": "✔", "bad": "✘", "planned": "○", "unknown": "?", "fault": FAULT_MARK}


class PathView(Vertical):
    """client -> host:port -> LB -> network -> backends, each hop with its state."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: list[tuple[str, str]] = []

    def show(self, hops: list[Hop]) -> None:
        """Repaint the hops; only labels whose text or state changed are touched."""
        labels = list(self.query(Label))
        for extra in labels[len(hops) :]:
            extra.remove()
        del self._shown[len(hops) :]
        for index, hop in enumerate(hops):
            prefix = "" if hop.depth == 0 else "  " * (hop.depth - 1) + "└ "
            text = f"{prefix}{SYMBOLS[hop.state]} {hop.text}"
            if index >= len(labels):
                label = Label(text, classes=f"hop -{hop.state}", markup=False)
                self.mount(label)
                self._shown.append((text, hop.state))
                continue
            label = labels[index]
            old_text, old_state = self._shown[index]
            if text != old_text:
                label.update(text, layout=False)
            if hop.state != old_state:
                label.remove_class(*HOP_CLASSES)
                label.add_class(f"-{hop.state}")
            self._shown[index] = (text, hop.state)
