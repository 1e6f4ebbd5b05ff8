"""Runtime server control and backend failure on the real lab, seen in the stats and the tallies."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from lbtui.core.control.servers import ServerAction, control_server
from lbtui.core.haproxy.credentials import resolve_stats_credentials
from lbtui.core.haproxy.stats import StatsClient, StatsRow, vip_stats_url
from lbtui.lab import LabStatus
from tests.integration.probes import sdk
from tests.integration.redeploy_support import (
    VIP,
    Deployed,
    deployed_reference,
    failure_report,
    load,
    more_answers,
    wait_for,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def ref(lab: LabStatus, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    with deployed_reference(lab, tmp_path_factory.mktemp("server"), "server") as deployed:
        yield deployed


def _row(ref: Deployed, server: str) -> StatsRow:
    vip = ref.topology.vips[VIP]
    credentials = resolve_stats_credentials(ref.topology, vip)
    with StatsClient() as stats:
        rows = stats.fetch(vip_stats_url(ref.topology, vip), credentials, None, vip.haproxy_backend)
    row = rows.server(server)
    assert row is not None, f"{server} missing from the stats"
    return row


@pytest.mark.parametrize(
    ("action", "state"), [(ServerAction.DRAIN, "DRAIN"), (ServerAction.DISABLE, "MAINT")]
)
def test_drain_and_disable_take_a_server_out_and_enable_brings_it_back(
    ref: Deployed, action: ServerAction, state: str
) -> None:
    vip = ref.topology.vips[VIP]
    with load(ref.topology, "fresh") as fresh:
        control_server(ref.hosts, vip, "web2", action)
        assert _row(ref, "web2").state == state
        out = fresh.tally()
        after_out = more_answers(fresh, out, 100)
        control_server(ref.hosts, vip, "web2", ServerAction.ENABLE)
        assert _row(ref, "web2").state == "UP"
        back = fresh.tally()
        after_back = more_answers(fresh, back, 100)
        final = fresh.stop()
    assert after_out.servers_since(out).get("web2", 0) == 0, after_out.servers_since(out)
    assert after_back.servers_since(back).get("web2", 0) >= 40, after_back.servers_since(back)
    assert final.failed == 0, failure_report(final)


def test_a_weight_is_seen_in_the_stats_and_the_tallies(ref: Deployed) -> None:
    vip = ref.topology.vips[VIP]
    with load(ref.topology, "fresh") as fresh:
        control_server(ref.hosts, vip, "web1", ServerAction.WEIGHT, 4)
        assert _row(ref, "web1").weight == 4
        before = fresh.tally()
        after = more_answers(fresh, before, 250)
        control_server(ref.hosts, vip, "web1", ServerAction.WEIGHT, 1)
        final = fresh.stop()
    shares = after.servers_since(before)
    assert 3.0 <= shares["web1"] / max(shares["web2"], 1) <= 5.5, shares
    assert final.failed == 0, failure_report(final)


def test_a_killed_backend_costs_no_request_once_detected(lab: LabStatus, ref: Deployed) -> None:
    check = ref.topology.vips[VIP].health_check
    detection_bound_s = check.fall * check.interval_ms / 1000 + 10
    # The client waits longer than HAProxy's connect timeout + retries to another server.
    with load(ref.topology, "fresh", timeout_s=30.0) as fresh:
        with sdk(lab, "docker3") as client:
            # stop(timeout=0) is a SIGKILL that the restart policy leaves dead.
            client.containers.get("web2").stop(timeout=0)
        killed_at = time.monotonic()
        detected_at = wait_for(
            lambda: _row(ref, "web2").state == "DOWN", "web2 DOWN in the stats", detection_bound_s
        )
        at_detection = fresh.tally()
        after = more_answers(fresh, at_detection, 200)
        final = fresh.stop()
    with sdk(lab, "docker3") as client:
        client.containers.get("web2").start()
    assert detected_at - killed_at <= detection_bound_s
    assert final.failures_after(detected_at) == (), failure_report(final)
    assert after.servers_since(at_detection).get("web2", 0) == 0
    assert after.servers_since(at_detection).get("web1", 0) >= 200
    print(f"web2 DOWN after {detected_at - killed_at:.1f} s; {failure_report(final)}")
