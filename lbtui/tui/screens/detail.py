"""Enter on a row: a container's inspect data and followed logs, a network's or host's data."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Label, Log, Static

from lbtui.tui.data.pollers import StreamPump
from lbtui.tui.data.services import ContainerControl

DetailKind = Literal["container", "network", "host"]
LOG_TAIL = 200


class DetailScreen(Screen[None]):
    """Full-screen details of one container, network or host."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "app.pop_screen", "Back")]

    class Loaded(Message):
        """The inspect data arrived, as text."""

        def __init__(self, text: str) -> None:
            self.text = text
            super().__init__()

    class LogLine(Message):
        """A line of the followed log."""

        def __init__(self, line: str) -> None:
            self.line = line
            super().__init__()

    def __init__(
        self, control: ContainerControl, kind: DetailKind, host: str, name: str, retry_s: float
    ) -> None:
        super().__init__()
        self._control = control
        self.kind = kind
        self.host = host
        self.target = name
        self._retry_s = retry_s
        self._pump: StreamPump | None = None

    def compose(self) -> ComposeResult:
        yield Label(f"{self.kind} {self.target} on {self.host}", id="detail-title", markup=False)
        with VerticalScroll(id="detail-inspect"):
            yield Static("loading…", id="detail-data", markup=False)
        if self.kind == "container":
            yield Log(max_lines=5000, id="detail-logs")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#detail-inspect").border_title = (
            "inspect" if self.kind != "host" else "info"
        )
        self.app.run_worker(
            self._load, name=f"inspect {self.kind} {self.target}", thread=True, exit_on_error=False
        )
        if self.kind == "container":
            self.query_one("#detail-logs", Log).border_title = f"logs (last {LOG_TAIL}, followed)"
            self._pump = StreamPump(
                f"logs {self.host}/{self.target}",
                lambda: self._control.logs(self.host, self.target, LOG_TAIL),
                lambda line: self.post_message(self.LogLine(str(line).rstrip("\n"))),
                lambda reason: self.post_message(self.LogLine(f"-- log stream ended: {reason}")),
                self._retry_s,
            )
            self._pump.start()

    def on_unmount(self) -> None:
        if self._pump is not None:
            self._pump.stop()

    def _load(self) -> None:
        fetchers: dict[DetailKind, Callable[[], Mapping[str, Any]]] = {
            "container": lambda: self._control.inspect_container(self.host, self.target),
            "network": lambda: self._control.inspect_network(self.host, self.target),
            "host": lambda: self._control.host_info(self.host),
        }
        data = fetchers[self.kind]()
        self.post_message(self.Loaded(json.dumps(data, indent=2, sort_keys=True, default=str)))

    @on(Loaded)
    def _show(self, message: Loaded) -> None:
        self.query_one("#detail-data", Static).update(message.text)

    @on(LogLine)
    def _log(self, message: LogLine) -> None:
        self.query_one("#detail-logs", Log).write_line(message.line)
