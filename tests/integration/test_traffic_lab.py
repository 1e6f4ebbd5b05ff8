"""The traffic generator against the reference VIP on the lab: round-robin, request by request."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator

import pytest

from lbtui.cli import main
from lbtui.core.topology.select import vip_url
from lbtui.core.traffic.generator import TrafficGenerator, TrafficMode, TrafficSpec
from lbtui.core.traffic.tally import TrafficTally
from lbtui.lab import LabStatus
from tests.integration.redeploy_support import VIP, Deployed, deployed_reference

pytestmark = pytest.mark.integration


def run_traffic(spec: TrafficSpec) -> TrafficTally:
    """A whole bounded run through the generator's public API, as `lbtui traffic` drives it."""
    generator = TrafficGenerator(spec)
    generator.start()
    generator.wait(spec.deadline_s + spec.timeout_s + 5.0)
    return generator.stop()


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


def test_the_cli_prints_a_json_summary(ref: Deployed, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["traffic", str(ref.path), VIP, "--rate", "100", "--count", "30", "--json"])
    summary = json.loads(capsys.readouterr().out)
    assert code == 0
    assert summary["sent"] == 30 and summary["failed"] == 0
    assert set(summary["servers"]) == {"web1", "web2"}
