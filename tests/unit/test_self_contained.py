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

#: A document named by its file name and the .md suffix: a file of the repository.
DOCUMENT = re.compile(r"\b[\w-]+\.md\b")
#: A relative path that climbs (`../x/y`): it must not lead out of the repository.
CLIMBING_PATH = re.compile(r"(?:\.\./)+[\w.-]+(?:/[\w.-]+)*")

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


def _references(path: Path, documents: set[str]) -> list[str]:
    """The lines of `path` that cite a document or a path outside the repository."""
    try:
        text = path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, FileNotFoundError):
        return []  # binary files carry no citations; a listed-but-deleted file has none left
    relative = path.relative_to(ROOT)
    return [
        f"{relative}:{number}: {line.strip()}"
        for number, line in enumerate(text.splitlines(), start=1)
        if _cites_outside(line, path.parent, documents)
    ]


def _cites_outside(line: str, folder: Path, documents: set[str]) -> bool:
    if any(name not in documents for name in DOCUMENT.findall(line)):
        return True
    return any(
        not (folder / climb).resolve().is_relative_to(ROOT) for climb in CLIMBING_PATH.findall(line)
    )


def test_the_rule_catches_each_kind_of_outside_reference() -> None:
    documents = {"README.md", "recipe.md", "architecture.md"}
    assert _cites_outside("see design-notes" + ".md, habit 1", ROOT, documents)
    assert _cites_outside("as ../elsewhere/notes says", ROOT, documents)
    assert not _cites_outside("see docs/recipe.md and docs/architecture.md", ROOT, documents)
    assert not _cites_outside("a name like ../evil stays inside", ROOT / "tests/unit", documents)


def test_no_project_file_cites_notes_outside_the_repository() -> None:
    files = _project_files()
    assert ROOT / "README.md" in files, "the scan did not see the repository's files"
    documents = {path.name for path in files}
    found = [hit for path in files if path.is_file() for hit in _references(path, documents)]
    assert not found, (
        "files cite documents outside the repository; point to docs/recipe.md or "
        "docs/architecture.md, or state the fact itself:\n" + "\n".join(found)
    )
