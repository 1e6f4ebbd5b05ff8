"""The core and the lab must never import the UI (docs/architecture.md, "Layers")."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import lbtui.core
import lbtui.lab


def _modules(package: object) -> list[str]:
    prefix = f"{package.__name__}."  # type: ignore[attr-defined]
    return [info.name for info in pkgutil.walk_packages(package.__path__, prefix)]  # type: ignore[attr-defined]


def test_core_and_lab_import_no_ui() -> None:
    modules = _modules(lbtui.core) + _modules(lbtui.lab)
    assert "lbtui.core.topology.model" in modules
    probe = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules\n"
        "             if m.split('.')[0] == 'textual' or m.startswith('lbtui.tui'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "", f"UI modules imported by the core: {result.stdout}"
