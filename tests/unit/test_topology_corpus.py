"""Every file of the bad-input corpus is refused with exactly the problems it lists."""

from __future__ import annotations

from pathlib import Path

import pytest

from lbtui.core.actions.preflight import check_inputs
from lbtui.core.errors import Problem, TopologyInvalid
from lbtui.core.topology.load import load_topology

CORPUS = Path(__file__).parent.parent / "topology_corpus"
CASES = sorted(CORPUS.glob("*.yaml"))


def _render(problem: Problem) -> str:
    field = f"{problem.path}: " if problem.path else ""
    return f"{problem.line}:{problem.column}: {field}{problem.message}"


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES, ids=[case.stem for case in CASES])
def test_bad_file_reports_exactly_the_expected_problems(case: Path, tmp_path: Path) -> None:
    expected = case.with_suffix(".expected").read_text(encoding="utf-8").splitlines()
    assert expected, f"{case.name} has no expectations"

    with pytest.raises(TopologyInvalid) as caught:
        # What `validate` runs: reading, then what rendering and credentials would refuse.
        check_inputs(load_topology(case), environ={}, store_dir=tmp_path)

    problems = caught.value.problems
    rendered = [_render(p) for p in problems]
    assert len(rendered) == len(expected), "\n".join(rendered)
    for got, want in zip(rendered, expected, strict=True):
        assert got.startswith(want), f"\n got: {got}\nwant: {want}"
    assert all(p.file == str(case) for p in problems)
    assert caught.value.exit_code == 2
