"""The rendered haproxy.cfg stays byte for byte what running LBs were deployed with."""

from __future__ import annotations

import pytest

from lbtui.core.haproxy.config import render_config
from tests.unit._haproxy_cases import CASES, GOLDEN, build_case


def test_every_golden_file_has_a_case() -> None:
    assert sorted(path.stem for path in GOLDEN.glob("*.cfg")) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_rendering_matches_the_golden_bytes(name: str) -> None:
    topology, vip, creds, options = build_case(name)
    rendered = render_config(topology, vip, creds, options).encode("utf-8")
    assert rendered == (GOLDEN / f"{name}.cfg").read_bytes()
