"""Pollers never overlap, merge wake-ups and report a fetch that raises; stream pumps reopen
lost streams."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from textual.app import App
from textual.message import Message

from lbtui.tui.app import make_app
from lbtui.tui.data.messages import PollFailed
from lbtui.tui.data.pollers import Poller, StreamPump
from tests.pilot_waits import wait_for
from tests.tui.snapshot_apps.fake import fake_services, reference_topology


class Polled(Message):
    """A fetch completed."""


class PollApp(App[None]):
    """An app with one poller whose fetch blocks until the test releases it."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Semaphore(0)
        self.lock = threading.Lock()
        self.running = 0
        self.most_at_once = 0
        self.started = 0
        self.poller = Poller(self, "test", self._fetch, interval=3600)

    def _fetch(self) -> Message:
        with self.lock:
            self.running += 1
            self.started += 1
            self.most_at_once = max(self.most_at_once, self.running)
        self.release.acquire(timeout=10)
        with self.lock:
            self.running -= 1
        return Polled()

    def on_mount(self) -> None:
        self.poller.start()

    def on_polled(self, message: Polled) -> None:
        self.poller.finished()


async def test_wakes_during_a_poll_merge_into_one_more_poll() -> None:
    app = PollApp()
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: app.started == 1, "the first poll to start")
        for _ in range(5):
            app.poller.wake()  # all arrive while the first poll runs
        app.release.release()
        await wait_for(pilot, lambda: app.started == 2, "the merged second poll")
        app.release.release()
        await wait_for(pilot, lambda: app.poller.polls == 2, "the second poll to finish")
        await pilot.pause(0.1)
        assert app.started == 2 and app.most_at_once == 1
        app.poller.stop()


class FlakyStream:
    """Yields its items, then fails (like a host whose daemon died)."""

    def __init__(self, items: list[str]) -> None:
        self._items = items

    def __iter__(self) -> Iterator[Any]:
        yield from self._items
        raise ConnectionError("daemon gone")

    def close(self) -> None:
        """Nothing to close."""


def test_stream_pump_reports_a_lost_stream_and_reopens_it() -> None:
    items: list[str] = []
    lost: list[str] = []
    opened = threading.Semaphore(0)
    reopened = threading.Event()
    count = {"opens": 0}

    def open_stream() -> FlakyStream:
        count["opens"] += 1
        if count["opens"] == 2:
            reopened.set()
        opened.release()
        return FlakyStream([f"event {count['opens']}"])

    pump = StreamPump("test", open_stream, items.append, lost.append, retry_after=0.01)
    pump.start()
    assert reopened.wait(10)
    pump.stop()
    assert pump.join(10)
    assert items[:2] == ["event 1", "event 2"]
    assert lost[0] == "daemon gone"


class FailingOnceApp(App[None]):
    """A poller whose first fetch raises; the app reports poll failures like lbtui's app."""

    def __init__(self) -> None:
        super().__init__()
        self.fetches = 0
        self.failures: list[str] = []
        self.poller = Poller(self, "flaky", self._fetch, interval=0.05)

    def _fetch(self) -> Message:
        self.fetches += 1
        if self.fetches == 1:
            raise RuntimeError("a bug in the fetch")
        return Polled()

    def on_mount(self) -> None:
        self.poller.start()

    def on_poll_failed(self, message: PollFailed) -> None:
        self.failures.append(f"{message.poller}: {message.error}")

    def on_polled(self, message: Polled) -> None:
        self.poller.finished()


async def test_a_fetch_that_raises_is_reported_and_polling_goes_on() -> None:
    app = FailingOnceApp()
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: app.poller.polls >= 1, "a poll after the failed one")
        assert app.failures == ["flaky: a bug in the fetch"]
        app.poller.stop()


async def test_the_dashboard_app_shows_a_failed_poll() -> None:
    app = make_app(reference_topology(), fake_services())
    async with app.run_test() as pilot:
        app.post_message(PollFailed("poll stats presentation", KeyError("web9")))
        await wait_for(pilot, lambda: bool(app._notifications), "the notification")
        notice = list(app._notifications)[-1]
        assert notice.title == "poll stats presentation: failed"
        assert notice.message == "KeyError: 'web9'" and notice.severity == "error"
