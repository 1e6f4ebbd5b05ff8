"""Stats pacing: every interval while a VIP moves, slower once it is quiet, fast when stirred."""

from __future__ import annotations

import pytest

from lbtui.core.docker.hosts import HostEvent
from lbtui.tui.app import make_app
from lbtui.tui.data.messages import DockerEventSeen
from lbtui.tui.data.pacing import QUIET_AFTER_POLLS, QUIET_FACTOR, STIR_S, StatsPacing
from lbtui.tui.data.stats_view import ServerView, VipView
from lbtui.tui.settings import RefreshSettings
from tests.pilot_waits import dashboard_of, wait_for
from tests.tui.snapshot_apps.fake import fake_services, reference_topology

SETTINGS = RefreshSettings(stats_s=1.0, retry_s=3.5)


def _view(lbtot: int = 10, status: str = "UP", check_ms: int = 1) -> VipView:
    server = ServerView("web1", status, "L7OK", "200", check_ms, 1, 0, lbtot, lbtot)
    return VipView("presentation", True, 1000.0, servers=(server, ServerView("web2", "UP")))


def _delays(pacing: StatsPacing, views: list[VipView], now: float = 0.0) -> list[float]:
    delays, before = [], None
    for view in views:
        delays.append(pacing.next_delay(before, view, now))
        before = view
    return delays


def test_a_quiet_vip_is_polled_less_often_until_it_moves() -> None:
    pacing = StatsPacing(SETTINGS)
    still = [_view(check_ms=n % 3) for n in range(QUIET_AFTER_POLLS + 2)]  # durations flicker
    delays = _delays(pacing, still)
    assert delays[:QUIET_AFTER_POLLS] == [1.0] * QUIET_AFTER_POLLS
    assert delays[QUIET_AFTER_POLLS:] == [1.0 * QUIET_FACTOR] * 2
    assert pacing.next_delay(still[-1], _view(lbtot=11), 0.0) == 1.0  # a request: moving again
    assert pacing.next_delay(_view(), _view(status="DOWN"), 0.0) == 1.0


def test_an_unreachable_vip_is_retried_and_counts_from_zero_again() -> None:
    pacing = StatsPacing(SETTINGS)
    _delays(pacing, [_view()] * (QUIET_AFTER_POLLS + 1))
    gone = VipView("presentation", False, 1000.0, error="refused")
    assert pacing.next_delay(_view(), gone, 0.0) == 3.5
    assert pacing.next_delay(gone, _view(), 0.0) == 1.0


def test_a_stir_polls_every_vip_every_interval_for_a_while() -> None:
    pacing = StatsPacing(SETTINGS)
    _delays(pacing, [_view()] * (QUIET_AFTER_POLLS + 1), now=100.0)
    pacing.stir(100.0)
    assert pacing.next_delay(_view(), _view(), 100.0 + STIR_S - 1) == 1.0
    assert pacing.next_delay(_view(), _view(), 100.0 + STIR_S) == 1.0 * QUIET_FACTOR


async def test_the_dashboard_slows_a_quiet_vip_and_a_docker_change_speeds_it_up() -> None:
    settings = RefreshSettings(stats_s=0.1)
    app = make_app(reference_topology(), fake_services(), refresh=settings)
    async with app.run_test() as pilot:
        screen = dashboard_of(app)
        poller = screen.stats_pollers["presentation"]  # the fake's stats never move
        await wait_for(pilot, lambda: poller.polls > QUIET_AFTER_POLLS, "the quiet polls")
        assert poller.delay == pytest.approx(0.1 * QUIET_FACTOR)
        event = HostEvent("docker3", "container", "die", "abc", {"name": "web2"}, 1.0)
        screen.post_message(DockerEventSeen("docker3", event))
        polls = poller.polls
        await wait_for(pilot, lambda: poller.polls > polls, "the next poll")
        assert poller.delay == pytest.approx(0.1)
