"""The wheel works without the checkout: built, installed non-editable into a fresh venv, and
run from a folder outside the repository.

Slow (a venv and an install from the package index, or its cache): marked `slow`.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import venv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIRST_FRAME = Path(__file__).with_name("first_frame.py")
BUNDLED_THEMES = ("dark", "high-contrast", "light")

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


@dataclass(frozen=True)
class Installed:
    """A fresh venv with the wheel installed, and a folder outside the checkout to run in."""

    wheel: Path
    bin: Path
    outside: Path
    env: dict[str, str]

    def run(self, *command: str) -> subprocess.CompletedProcess[str]:
        """Run a command from the venv in the outside folder; fails the test on a timeout."""
        return subprocess.run(
            [str(self.bin / command[0]), *command[1:]],
            cwd=self.outside,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )


def _build_wheel(work: Path) -> Path:
    # Built from a copy: the checkout gets no build/ folder, and the top-level links
    # (themes, sample_topologies) come along as links, as in a clone.
    source = work / "source"
    source.mkdir()
    shutil.copytree(ROOT / "lbtui", source / "lbtui", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for link in ("themes", "sample_topologies"):
        shutil.copy2(ROOT / link, source / link, follow_symlinks=False)
    dist = work / "dist"
    _check(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dist), "."],
        cwd=source,
    )
    (wheel,) = dist.glob("lbtui-*.whl")
    return wheel


def _check(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
    result = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    """Build, install, and remove the venv afterwards (also when a test fails)."""
    work = tmp_path_factory.mktemp("wheel")
    try:
        wheel = _build_wheel(work)
        venv.EnvBuilder(with_pip=True, clear=True).create(work / "venv")
        bin_dir = work / "venv" / "bin"
        outside = work / "elsewhere"
        (outside / "config").mkdir(parents=True)
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        # The user's own themes must not decide what this test sees.
        env |= {"XDG_CONFIG_HOME": str(outside / "config"), "HOME": str(outside)}
        _check([str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(wheel)], outside)
        yield Installed(wheel, bin_dir, outside, env)
    finally:
        shutil.rmtree(work, ignore_errors=False)


def test_the_wheel_holds_the_resources_as_real_files(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        infos = {info.filename: info for info in wheel.infolist()}
        for name in (
            *(f"lbtui/resources/themes/{theme}.yaml" for theme in BUNDLED_THEMES),
            "lbtui/resources/topologies/presentation.yaml",
            "lbtui/tui/app.tcss",
        ):
            assert name in infos, sorted(infos)
            assert not stat.S_ISLNK(infos[name].external_attr >> 16), f"{name} is a link"
        packaged = wheel.read("lbtui/resources/topologies/presentation.yaml")
    assert packaged == (ROOT / "sample_topologies" / "presentation.yaml").read_bytes()


def test_validate_checks_the_packaged_reference_topology(installed: Installed) -> None:
    result = installed.run("lbtui", "validate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "valid:" in result.stdout and "topology presentation" in result.stdout
    venv_dir = str(installed.bin.parent)
    assert venv_dir in " ".join(result.stdout.split()), result.stdout
    samples = installed.run("lbtui", "samples")
    assert samples.returncode == 0, samples.stderr
    reference = next(line for line in samples.stdout.splitlines() if "presentation.yaml" in line)
    path = reference.split()[-1]
    assert path.startswith(venv_dir)
    explicit = installed.run("lbtui", "validate", path)
    assert explicit.returncode == 0, explicit.stdout + explicit.stderr


def test_the_bundled_themes_are_listed(installed: Installed) -> None:
    result = installed.run("lbtui", "themes", "--json")
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert listed["problems"] == []
    themes = {theme["name"]: theme for theme in listed["themes"]}
    assert set(BUNDLED_THEMES) <= set(themes)
    for name in BUNDLED_THEMES:
        assert themes[name]["source"] == "bundled"
        assert themes[name]["path"].startswith(str(installed.bin.parent))


def test_the_dashboard_renders_its_first_frame_in_the_light_theme(installed: Installed) -> None:
    out = installed.outside / "first-frame.json"
    python = str(installed.bin / "python")
    _check(
        [python, str(FIRST_FRAME), str(out), "--theme", "light"], installed.outside, installed.env
    )
    frame = json.loads(out.read_text(encoding="utf-8"))
    assert frame["lbtui"].startswith(str(installed.bin.parent)), "not the installed package"
    assert frame["topology"].endswith("lbtui/resources/topologies/presentation.yaml")
    assert frame["theme"] == "light"
    assert frame["screen"] == "DashboardScreen" and frame["hosts_polled"]
    svg = frame["svg"].lower()
    assert "#f6f8fa" in svg  # light.yaml's background
    assert "#15191e" not in svg  # dark.yaml's
    for shown in ("docker1", "docker2", "docker3", "presentation", "web1"):
        assert shown in svg, shown
