"""The repository explains itself: no file cites notes that live outside it.

The reference scenario and the architecture are written down in docs/recipe.md and
docs/architecture.md; a comment or docstring that points at a document a reader of
this repository cannot open is a dead end, so every such reference fails here.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Built from pieces so that this file does not cite them itself.
OUTSIDE_NOTES = re.compile(
    "|".join(
        re.escape(name)
        for name in ("STYLE" + ".md", "RECIPE" + ".md", "LAB" + "-NOTES", "shared" + "/")
    )
)

# Folders that are not part of the project's own text when git cannot list its files.
NOT_PROJECT = {".git", ".venv", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}


def _project_files() -> list[Path]:
    """Tracked and untracked-but-not-ignored files; a plain walk when git is unavailable."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        found: list[Path] = []
        for folder, subfolders, names in os.walk(ROOT):
            subfolders[:] = [
                s for s in subfolders if s not in NOT_PROJECT and not s.endswith(".egg-info")
            ]
            found.extend(Path(folder, name) for name in names)
        return found
    return [ROOT / name for name in listed.decode().split("\0") if name]


def _references(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, FileNotFoundError):
        return []  # binary files carry no citations; a listed-but-deleted file has none left
    relative = path.relative_to(ROOT)
    return [
        f"{relative}:{number}: {line.strip()}"
        for number, line in enumerate(text.splitlines(), start=1)
        if OUTSIDE_NOTES.search(line)
    ]


def test_the_pattern_catches_each_outside_reference() -> None:
    for line in (
        "see STYLE" + ".md, habit 1",
        "(RECIPE" + ".md)",
        "LAB" + "-NOTES says",
        "../shared" + "/notes",
    ):
        assert OUTSIDE_NOTES.search(line), line
    assert not OUTSIDE_NOTES.search("see docs/recipe.md and docs/architecture.md")


def test_no_project_file_cites_notes_outside_the_repository() -> None:
    files = _project_files()
    assert ROOT / "README.md" in files, "the scan did not see the repository's files"
    found = [hit for path in files if path.is_file() for hit in _references(path)]
    assert not found, (
        "files cite documents outside the repository; point to docs/recipe.md or "
        "docs/architecture.md, or state the fact itself:\n" + "\n".join(found)
    )
