"""validate, plan and apply make the same checks, located in the file, before touching a host."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from lbtui.cli import main
from lbtui.core.actions import apply, plan
from lbtui.core.actions.preflight import check_inputs, render_all
from lbtui.core.errors import TopologyInvalid
from lbtui.core.topology.load import load_topology
from lbtui.core.topology.model import Topology
from tests.unit.fake_docker import FakeDockerHosts

SAMPLES = Path(__file__).resolve().parents[2] / "sample_topologies"


@pytest.fixture
def topology() -> Topology:
    return load_topology(SAMPLES / "presentation.yaml")


def _line_of(topology: Topology, text: str) -> int:
    assert topology.source is not None
    lines = topology.source.read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


def _with_vip(topology: Topology, **changes: object) -> Topology:
    vip = dataclasses.replace(topology.vips["presentation"], **changes)  # type: ignore[arg-type]
    return dataclasses.replace(topology, vips={"presentation": vip})


def test_a_value_only_the_renderer_refuses_is_located_in_the_file(
    topology: Topology, tmp_path: Path
) -> None:
    # Built in code, past the reader's checks: the renderer still refuses, at the right line.
    bad = _with_vip(topology, balance="url_param a#b", frontend_port=9999)
    with pytest.raises(TopologyInvalid) as caught:
        check_inputs(bad, environ={"LBTUI_STATS_PASSWORD": "x"}, store_dir=tmp_path)
    problems = {p.path: p for p in caught.value.problems}
    assert set(problems) == {"vips.presentation.balance", "vips.presentation.frontend_port"}
    balance = problems["vips.presentation.balance"]
    assert balance.file == str(topology.source)
    assert balance.line == _line_of(topology, "balance:")
    assert "cannot be written into haproxy.cfg" in balance.message
    # frontend_port is not in the sample: the VIP's own entry is the nearest place.
    assert problems["vips.presentation.frontend_port"].line == _line_of(topology, "presentation:")
    assert caught.value.exit_code == 2


def test_validate_writes_no_password_and_says_where_it_would_come_from(
    topology: Topology, tmp_path: Path
) -> None:
    store = tmp_path / "state"
    sources = check_inputs(topology, environ={}, store_dir=store)
    assert "LBTUI_STATS_PASSWORD is not set" in sources["presentation"]
    assert "generated on the first apply" in sources["presentation"]
    assert not store.exists()
    from_env = check_inputs(topology, environ={"LBTUI_STATS_PASSWORD": "s3"}, store_dir=store)
    assert from_env == {"presentation": "environment variable LBTUI_STATS_PASSWORD"}


def test_a_password_store_that_cannot_be_created_is_an_input_problem(
    topology: Topology, tmp_path: Path
) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("a file where the store's folder should be\n")
    with pytest.raises(TopologyInvalid) as caught:
        check_inputs(topology, environ={}, store_dir=blocker)
    (problem,) = caught.value.problems
    assert problem.path == "vips.presentation.stats"
    assert problem.line == _line_of(topology, "stats:")
    assert f"{blocker} is not a directory" in problem.message
    # apply and plan refuse it the same way, before the fake hosts see a single call.
    fake = FakeDockerHosts(topology)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_STATE_HOME", str(blocker))
        patch.delenv("LBTUI_STATS_PASSWORD", raising=False)
        for action in (apply, plan):
            with pytest.raises(TopologyInvalid, match="is not a directory"):
                action(fake, topology)
    assert fake.changes == []


def test_an_unreadable_stored_password_is_refused_by_validate_as_by_apply(
    topology: Topology, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = tmp_path / "lbtui" / "presentation" / "presentation.stats-password"
    stored.mkdir(parents=True)  # a folder where the password file should be
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    monkeypatch.delenv("LBTUI_STATS_PASSWORD", raising=False)
    with pytest.raises(TopologyInvalid, match="is not a regular file") as by_validate:
        check_inputs(topology)
    with pytest.raises(TopologyInvalid, match="is not a regular file") as by_apply:
        render_all(topology)
    assert by_validate.value.problems == by_apply.value.problems


def test_a_password_with_control_characters_is_located_at_the_stats_entry(
    topology: Topology,
) -> None:
    with pytest.raises(TopologyInvalid) as caught:
        check_inputs(topology, environ={"LBTUI_STATS_PASSWORD": "a\nb"})
    (problem,) = caught.value.problems
    assert (problem.path, problem.line) == ("vips.presentation.stats", _line_of(topology, "stats:"))
    assert "environment variable LBTUI_STATS_PASSWORD contains control characters" in str(problem)


def test_validate_cli_reports_render_problems_with_file_line_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    text = (SAMPLES / "presentation.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("balance: roundrobin", "balance: 'url_param a#b'"))
    line = next(n for n, s in enumerate(bad.read_text().splitlines(), 1) if "balance:" in s)
    for verb in ("validate", "plan", "apply"):
        assert main([verb, str(bad)]) == 2, verb
        err = capsys.readouterr().err
        assert f"bad.yaml:{line}:" in err and "vips.presentation.balance" in err, verb
        assert "Traceback" not in err
    assert main(["validate", str(SAMPLES / "presentation.yaml")]) == 0
    out = capsys.readouterr().out
    assert "stats password of VIP presentation:" in out
    assert not (tmp_path / "state").exists()
