"""The traffic generator against the reference VIP on the lab: round-robin, request by request."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lbtui.cli import main
from lbtui.core.topology.select import vip_url
from lbtui.core.traffic.control import ContinuousTraffic
from lbtui.core.traffic.generator import TrafficMode, TrafficSpec, run_traffic
from lbtui.lab import LabStatus
from tests.integration.redeploy_support import VIP, Deployed, deployed_reference

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def ref(lab: LabStatus, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    with deployed_reference(lab, tmp_path_factory.mktemp("traffic"), "traffic") as deployed:
        yield deployed


@pytest.mark.parametrize("mode", ["fresh", "keepalive"])
def test_round_robin_shows_request_by_request(ref: Deployed, mode: TrafficMode) -> None:
    url = vip_url(ref.topology, ref.topology.vips[VIP])
    spec = TrafficSpec(url=url, rate=50, count=40, mode=mode, connections=1)
    tally = run_traffic(spec)
    assert (tally.sent, tally.ok, tally.failed) == (40, 40, 0)
    assert tally.servers == {"web1": 20, "web2": 20}
    names = [r.server for r in tally.recent]
    assert all(a != b for a, b in itertools.pairwise(names)), names
    assert tally.latency.p50_ms > 0


def test_the_cli_prints_a_json_summary_per_server_and_records_each_request(
    ref: Deployed, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    record = tmp_path / "requests.jsonl"
    argv = ["traffic", str(ref.path), VIP, "--rate", "100", "--count", "30", "--json"]
    code = main([*argv, "--record", str(record)])
    summary = json.loads(capsys.readouterr().out)
    assert code == 0
    assert summary["sent"] == 30 and summary["failed"] == 0
    assert set(summary["servers"]) == {"web1", "web2"}
    for name in ("web1", "web2"):
        figures = summary["per_server"][name]
        assert (figures["requests"], figures["share"], figures["statuses"]) == (
            15,
            0.5,
            {"200": 15},
        )
        assert figures["errors"] == {}
        assert 0 < figures["latency_ms"]["p50"] <= figures["latency_ms"]["p99"]
    lines = [json.loads(line) for line in record.read_text().splitlines()]
    assert sorted(line["server"] for line in lines) == ["web1"] * 15 + ["web2"] * 15
    assert {line["status"] for line in lines} == {200}


def test_continuous_traffic_splits_evenly_and_follows_a_rate_change(ref: Deployed) -> None:
    url = vip_url(ref.topology, ref.topology.vips[VIP])
    traffic = ContinuousTraffic(url, rate=20, mode="fresh")
    traffic.start()
    try:
        time.sleep(2.5)
        slow = traffic.tally_or_empty()
        traffic.set_rate(200)
        traffic.toggle_mode()
        time.sleep(3.0)
        fast = traffic.tally_or_empty()
    finally:
        final = traffic.stop()
    assert final is not None and final.failed == 0, final.errors
    # 20/s for 2.5 s, then 200/s for 3 s: the window's rate tells the two apart.
    assert 15 <= slow.figures.window_rate <= 25, slow.figures.window_rate
    sent_fast = fast.sent - slow.sent
    assert 500 <= sent_fast <= 660, sent_fast
    assert fast.mode == "keepalive" and fast.target_rate == 200
    window = {f.server: f for f in fast.figures.window}
    assert set(window) == {"web1", "web2"}
    for figures in window.values():
        assert figures.share == pytest.approx(0.5, abs=0.05)
        assert set(figures.statuses) == {200}
        assert figures.errors == {}
        assert 0 < figures.latency.p50_ms <= figures.latency.p90_ms <= figures.latency.p99_ms
    # One series point per closed second per server, each with its own latency.
    for name in ("web1", "web2"):
        points = fast.figures.series[name]
        assert len(points) >= 4
        assert all(p.p50_ms is not None and p.p50_ms > 0 for p in points)
