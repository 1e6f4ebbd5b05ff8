"""The headless verbs end to end: exit codes and what they print."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from lbtui.cli import main
from lbtui.lab import LabStatus
from tests.integration.probes import labelled_resources, sdk, wait_servers_up
from tests.integration.topologies import lab_topology

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _stats_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LBTUI_STATS_PASSWORD", "cli-test")


def _swarm_states(lab: LabStatus) -> list[str]:
    states = []
    for host in ("docker1", "docker2", "docker3"):
        with sdk(lab, host) as client:
            states.append(client.info()["Swarm"]["LocalNodeState"])
    return states


def test_bad_topology_exits_2_listing_every_problem_and_contacts_no_host(
    lab: LabStatus, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    topology = lab_topology(lab, "presentation.yaml", tmp_path)
    assert topology.source is not None
    data = yaml.safe_load(topology.source.read_text())
    data["vips"]["presentation"]["servrs"] = data["vips"]["presentation"].pop("servers")
    data["backends"]["web1"]["port"] = 70000
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    swarm_before = _swarm_states(lab)
    assert main(["apply", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "servrs" in err and "did you mean 'servers'" in err
    assert "70000" in err
    assert "Traceback" not in err
    assert labelled_resources(lab, topology) == []
    assert _swarm_states(lab) == swarm_before


def test_unreachable_host_exits_1_naming_host_and_url(
    lab: LabStatus, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    topology = lab_topology(lab, "presentation.yaml", tmp_path)
    assert topology.source is not None
    data = yaml.safe_load(topology.source.read_text())
    bogus = f"unix://{tmp_path}/no-daemon.sock"
    data["hosts"]["docker2"]["url"] = bogus
    path = tmp_path / "unreachable.yaml"
    path.write_text(yaml.safe_dump(data))
    swarm_before = _swarm_states(lab)
    assert main(["apply", str(path)]) == 1
    err = capsys.readouterr().err
    assert "docker2" in err and bogus in err and "unreachable" in err
    assert "Traceback" not in err
    assert labelled_resources(lab, topology) == []
    assert _swarm_states(lab) == swarm_before


def test_validate_apply_plan_status_teardown(
    lab: LabStatus, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    topology = lab_topology(lab, "single-host.yaml", tmp_path)
    path = str(topology.source)
    try:
        assert main(["validate", path]) == 0
        assert "valid" in capsys.readouterr().out

        assert main(["apply", path, "--step", "overlay"]) == 0
        out = capsys.readouterr().out
        assert "network single_backend on docker1" in out
        assert "backend solo" not in out

        assert main(["plan", path]) == 0
        out = capsys.readouterr().out
        assert "keep     network single_backend" in out
        assert "create   backend solo1 on docker1: missing" in out

        assert main(["apply", path]) == 0
        out = capsys.readouterr().out
        assert "done    backend solo2 on docker1" in out
        assert "done    lb single_lb on docker1" in out
        assert "done    bridge single_lb on docker1" in out

        assert main(["apply", path]) == 0
        assert "no change" in capsys.readouterr().out

        wait_servers_up(topology, "single")
        assert main(["status", path, "--json"]) == 0
        status = json.loads(capsys.readouterr().out)
        (vip,) = status["vips"]
        assert vip["state"] == "running"
        assert {(s["name"], s["status"]) for s in vip["servers"]} == {
            ("solo1", "UP"),
            ("solo2", "UP"),
        }
        assert {c["name"]: c["state"] for c in status["containers"]} == {
            "solo1": "running",
            "solo2": "running",
            "single_lb": "running",
        }
        assert main(["status", path]) == 0
        assert "single_lb" in capsys.readouterr().out
    finally:
        assert main(["teardown", path]) == 0
    assert "removed" in capsys.readouterr().out
    assert labelled_resources(lab, topology) == []
