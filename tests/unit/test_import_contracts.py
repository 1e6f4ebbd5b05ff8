"""The import contracts in pyproject.toml hold, and lint-imports really fails when one is broken.

The broken cases run on a copy of the package in a temporary folder, so the
checkout is never touched: a core module importing Textual, and the topology
package (the bottom of the core) importing the Docker package above it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
LAYERS = "cli -> commands -> tui | lab -> core -> resources"
CORE_LAYERS = (
    "Inside core: redeploy -> actions -> rollout -> services -> control | traffic | faults -> "
    "docker | haproxy -> topology"
)
UI_FREE = "The core and the lab never import the UI"


def _lint_imports(project: Path) -> subprocess.CompletedProcess[str]:
    # PYTHONPATH first: the copy, not the editable install, is the package analysed.
    env = {**os.environ, "PYTHONPATH": str(project), "COLUMNS": "200"}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(project / "pyproject.toml")],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _outcome(output: str, contract: str) -> str:
    """KEPT or BROKEN, as lint-imports reports `contract` (its line may wrap)."""
    flat = " ".join(output.split())
    for outcome in ("KEPT", "BROKEN"):
        if f"{contract} {outcome}" in flat:
            return outcome
    raise AssertionError(f"lint-imports did not report {contract!r}:\n{output}")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the package and its pyproject.toml."""
    shutil.copytree(
        ROOT / "lbtui", tmp_path / "lbtui", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy2(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _inject(project: Path, module: str, line: str) -> None:
    path = project / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}  # injected by the test\n")


def test_the_contracts_hold() -> None:
    result = _lint_imports(ROOT)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    for contract in (LAYERS, CORE_LAYERS, UI_FREE):
        assert _outcome(output, contract) == "KEPT"


def test_a_copy_of_the_package_keeps_them_too(project: Path) -> None:
    result = _lint_imports(project)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_core_module_importing_textual_breaks_the_ui_free_contract(project: Path) -> None:
    _inject(project, "lbtui/core/haproxy/stats.py", "import textual")
    result = _lint_imports(project)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert _outcome(output, UI_FREE) == "BROKEN"
    assert _outcome(output, CORE_LAYERS) == "KEPT"
    assert "lbtui.core.haproxy.stats -> textual" in output


def test_topology_importing_docker_breaks_the_core_layers(project: Path) -> None:
    _inject(project, "lbtui/core/topology/model.py", "import lbtui.core.docker.hosts")
    result = _lint_imports(project)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert _outcome(output, CORE_LAYERS) == "BROKEN"
    assert _outcome(output, UI_FREE) == "KEPT"
    assert "lbtui.core.topology.model -> lbtui.core.docker.hosts" in output
