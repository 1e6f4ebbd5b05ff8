"""`lbtui redeploy` and `lbtui server`: bad input exits 2 before any host is contacted."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from lbtui.cli import main

SAMPLE = Path(__file__).resolve().parents[2] / "sample_topologies" / "presentation.yaml"


@pytest.fixture(autouse=True)
def _no_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))


def test_redeploy_without_a_terminal_needs_yes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["redeploy", str(SAMPLE), "presentation"]) == 2
    assert "--yes" in capsys.readouterr().err


def test_redeploy_of_an_unknown_vip_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    # The sample's hosts are not running here: BadInput must come before any host is used.
    assert main(["redeploy", str(SAMPLE), "presentaton", "--plan"]) == 2
    assert "did you mean 'presentation'?" in capsys.readouterr().err


def test_server_weight_needs_a_value(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["server", str(SAMPLE), "presentation", "web1", "weight"]) == 2
    assert "needs the new weight" in capsys.readouterr().err


def test_server_weight_is_bounded(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["server", str(SAMPLE), "presentation", "web1", "weight", "999"]) == 2
    assert "weight 999" in capsys.readouterr().err


def test_an_unknown_server_is_named_with_the_pool(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["server", str(SAMPLE), "presentation", "web7", "drain"]) == 2
    assert "servers: web1, web2" in capsys.readouterr().err


def test_a_weight_with_drain_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["server", str(SAMPLE), "presentation", "web1", "drain", "3"]) == 2
    assert "only with the `weight` action" in capsys.readouterr().err


def test_the_question_shows_its_choices(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from rich.console import Console

    from lbtui.commands import redeploy

    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    assert redeploy._confirm(Console(), None)  # type: ignore[arg-type]
    assert "apply this redeploy? [y/N]" in capsys.readouterr().out
