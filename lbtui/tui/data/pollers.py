"""One poller per data source, never overlapping itself, never on the UI thread.

A `Poller` runs its fetch in the event loop's thread pool; the fetch posts one
message with an immutable snapshot, and the handler of that message calls
`finished()`, which arms the next poll. Wake-ups that arrive during a fetch merge
into one extra poll (memray's loop, dolphie's non-overlap). A poll is a bare pool
job and a loop timer, not a Textual worker and timer: those cost ~0.5 ms of CPU
per poll in messages and tasks, and a dashboard polls several sources a second.
A fetch that raises (the fetches turn every expected failure into a snapshot, so
this is a bug) is posted to the app as `PollFailed`, and polling goes on.

A `StreamPump` follows an endless blocking stream (Docker events, logs) on a
dedicated daemon thread: such a thread blocks for the app's whole life, and
parking several of them in the shared worker pool would starve the short polls.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

from textual.dom import DOMNode
from textual.message import Message

from lbtui.tui.data.messages import PollFailed
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
        self._timer: asyncio.TimerHandle | None = None
        self.polls = 0
        """Polls completed, for tests and the bench."""
        self.delay: float | None = None
        """The delay the next poll was last armed with, for tests."""

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
            self._arm(self.interval if interval is None else interval)

    def stop(self) -> None:
        """Poll no more."""
        self._stopped = True
        if self._timer is not None:
            self._timer.cancel()

    def _arm(self, delay: float) -> None:
        self.delay = delay
        self._timer = asyncio.get_running_loop().call_later(delay, self._launch)

    def _launch(self) -> None:
        if self._stopped or self._in_flight:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._in_flight = True
        polled = asyncio.get_running_loop().run_in_executor(None, self._fetch_and_post)
        polled.add_done_callback(self._after_fetch)

    def _fetch_and_post(self) -> None:
        self.owner.post_message(self._fetch())

    def _after_fetch(self, polled: asyncio.Future[None]) -> None:
        error = None if polled.cancelled() else polled.exception()
        if error is None:
            return
        self.owner.app.post_message(PollFailed(self.name, error))
        self._in_flight = False
        if not self._stopped:
            self._arm(self.interval)


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
