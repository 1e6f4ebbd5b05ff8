"""The packaged sample topologies: `lbtui samples`, and `lbtui validate` without a file."""

from __future__ import annotations

from pathlib import Path

import pytest

from lbtui.cli import main

SAMPLES = Path(__file__).resolve().parents[2] / "sample_topologies"
NAMES = sorted(path.name for path in SAMPLES.glob("*.yaml"))


def test_the_top_level_folders_are_the_packaged_ones() -> None:
    package = Path(__file__).resolve().parents[2] / "lbtui" / "resources"
    assert SAMPLES.resolve() == package / "topologies"
    assert (SAMPLES.parent / "themes").resolve() == package / "themes"
    assert "presentation.yaml" in NAMES


def test_samples_lists_every_packaged_topology(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["samples"]) == 0
    lines = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert [name for name, _ in lines] == NAMES
    for name, path in lines:
        assert Path(path).read_bytes() == (SAMPLES / name).read_bytes()


def test_samples_copy_writes_each_file_and_keeps_existing_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "mine"
    target.mkdir()
    (target / "presentation.yaml").write_text("# my edits\n")
    assert main(["samples", "--copy", str(target)]) == 0
    out = capsys.readouterr().out
    assert (target / "presentation.yaml").read_text() == "# my edits\n"
    assert "kept" in out and "presentation.yaml" in out
    for name in NAMES:
        if name != "presentation.yaml":
            assert (target / name).read_bytes() == (SAMPLES / name).read_bytes()


def test_samples_copy_onto_a_file_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "file").write_text("")
    assert main(["samples", "--copy", str(tmp_path / "file")]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_validate_without_a_file_checks_the_packaged_reference(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["validate"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "valid:" in out and "topology presentation" in out
    assert str(SAMPLES.resolve() / "presentation.yaml") in out
