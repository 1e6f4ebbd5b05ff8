"""One poller per data source, never overlapping itself, never on the UI thread.

A `Poller` runs its fetch in a thread worker; the fetch posts one message with
an immutable snapshot, and the handler of that message calls `finished()`,
which arms the next poll. Wake-ups that arrive during a fetch merge into one
extra poll (memray's loop, dolphie's non-overlap).

A `StreamPump` follows an endless blocking stream (Docker events, logs) on a
dedicated daemon thread: such a thread blocks for the app's whole life, and
parking several of them in the shared worker pool would starve the short polls.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from textual.dom import DOMNode
from textual.message import Message
from textual.timer import Timer

from lbtui.tui.data.services import Stream


class Poller:
    """Polls one source every `interval` seconds, or sooner when woken."""

    def __init__(
        self, owner: DOMNode, name: str, fetch: Callable[[], Message], interval: float
    ) -> None:
        self.owner = owner
        self.name = name
        self.interval = interval
        self._fetch = fetch
        self._in_flight = False
        self._pending = False
        self._stopped = False
        self._timer: Timer | None = None
        self.polls = 0
        """Polls completed, for tests and the bench."""

    def start(self) -> None:
        """Poll now, then keep polling."""
        self._launch()

    def wake(self) -> None:
        """Poll as soon as possible (merged with a poll already running)."""
        if self._stopped:
            return
        if self._in_flight:
            self._pending = True
            return
        self._launch()

    def finished(self, interval: float | None = None) -> None:
        """The last poll's message was handled: arm the next poll (sooner if `interval`)."""
        self._in_flight = False
        self.polls += 1
        if self._stopped:
            return
        if self._pending:
            self._pending = False
            self._launch()
        else:
            delay = self.interval if interval is None else interval
            self._timer = self.owner.set_timer(delay, self._launch, name=self.name)

    def stop(self) -> None:
        """Poll no more."""
        self._stopped = True
        if self._timer is not None:
            self._timer.stop()

    def _launch(self) -> None:
        if self._stopped or self._in_flight:
            return
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._in_flight = True
        # Started on the app: worker state messages do not bubble, and its one handler reports them.
        self.owner.app.run_worker(
            self._fetch_and_post, name=self.name, group="pollers", thread=True, exit_on_error=False
        )

    def _fetch_and_post(self) -> None:
        self.owner.post_message(self._fetch())


class StreamPump:
    """Feeds every item of a reopenable stream to `on_item`, until stopped."""

    def __init__(
        self,
        name: str,
        open_stream: Callable[[], Stream],
        on_item: Callable[[Any], object],
        on_lost: Callable[[str], object],
        retry_after: float,
    ) -> None:
        self.name = name
        self._open = open_stream
        self._on_item = on_item
        self._on_lost = on_lost
        self._retry_after = retry_after
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._stream: Stream | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        """Start following the stream."""
        self._thread.start()

    def stop(self) -> None:
        """Close the stream; the thread ends."""
        self._stopped.set()
        with self._lock:
            stream, self._stream = self._stream, None
        if stream is not None:
            stream.close()

    def join(self, timeout: float) -> bool:
        """Wait for the thread to end; True if it did."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        while not self._stopped.is_set():
            reason = "stream ended"
            try:
                stream = self._open()
                with self._lock:
                    self._stream = stream
                if self._stopped.is_set():
                    stream.close()
                    return
                for item in stream:
                    self._on_item(item)
            except Exception as error:  # reported to the UI, then the stream is reopened
                reason = str(error) or type(error).__name__
            if self._stopped.is_set():
                return
            self._on_lost(reason)
            self._stopped.wait(self._retry_after)
