"""The deploy verbs without an engine: exit codes 0/1/2, messages, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from lbtui.cli import main

SAMPLES = Path(__file__).resolve().parents[2] / "sample_topologies"


def test_validate_a_sample(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(SAMPLES / "presentation.yaml")]) == 0
    assert "topology presentation, 3 hosts" in capsys.readouterr().out


def test_invalid_topology_exits_2_with_every_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (SAMPLES / "presentation.yaml").read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        text.replace("servers: [web1, web2]", "servrs: [web1, web2]").replace(
            "publish: 80 ", "publish: 99999 "
        )
    )
    for verb in ("validate", "plan", "apply", "status", "teardown"):
        assert main([verb, str(bad)]) == 2
        err = capsys.readouterr().err
        assert "did you mean 'servers'" in err and "99999" in err, verb
        assert "Traceback" not in err


def test_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["apply", str(tmp_path / "nope.yaml")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_unreachable_host_exits_1_naming_host_and_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    socket = tmp_path / "no-daemon.sock"
    topology = tmp_path / "t.yaml"
    topology.write_text(
        (SAMPLES / "single-host.yaml")
        .read_text()
        .replace("unix:///run/lbtui/lab/docker1.sock", f"unix://{socket}")
    )
    for verb in ("plan", "apply", "teardown"):
        assert main([verb, str(topology)]) == 1
        err = capsys.readouterr().err
        assert f"host docker1 (unix://{socket}) is unreachable" in err, verb


def test_status_reports_an_unreachable_host_instead_of_failing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    topology = tmp_path / "t.yaml"
    topology.write_text(
        (SAMPLES / "single-host.yaml")
        .read_text()
        .replace("unix:///run/lbtui/lab/docker1.sock", f"unix://{tmp_path}/none.sock")
    )
    assert main(["status", str(topology), "--json"]) == 0
    out = capsys.readouterr().out
    assert '"reachable": false' in out and "no Docker socket" in out


def test_unknown_step_is_refused_by_the_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["apply", str(SAMPLES / "presentation.yaml"), "--step", "sideways"])
    assert raised.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
