"""Mounts the lab's daemons leave under its directories."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from lbtui.core.errors import LabError
from lbtui.lab.system import run

MOUNTINFO = Path("/proc/self/mountinfo")


def _unescape(field: str) -> str:
    # mountinfo escapes space, tab, newline and backslash as \ooo octal.
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and len(field[i + 1 : i + 4]) == 3 and field[i + 1 : i + 4].isdigit():
            out.append(chr(int(field[i + 1 : i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def mount_points(mountinfo: str) -> list[str]:
    """Every mount point listed in a mountinfo text."""
    points = []
    for line in mountinfo.splitlines():
        fields = line.split()
        if len(fields) > 4:
            points.append(_unescape(fields[4]))
    return points


def under(points: Iterable[str], roots: Iterable[Path]) -> list[str]:
    """Mount points at or below any root, deepest first (the order to unmount them in)."""
    prefixes = [str(root).rstrip("/") for root in roots]
    selected = {
        point
        for point in points
        if any(point == prefix or point.startswith(prefix + "/") for prefix in prefixes)
    }
    return sorted(selected, key=lambda point: (point.count("/"), point), reverse=True)


def mounts_under(roots: Iterable[Path]) -> list[str]:
    """Current mount points at or below any root, deepest first."""
    return under(mount_points(MOUNTINFO.read_text()), roots)


def unmount_under(roots: Iterable[Path]) -> int:
    """Unmount everything at or below the roots; return how many mounts there were."""
    roots = list(roots)
    count = 0
    # Stacked mounts need more than one pass.
    for _ in range(5):
        points = mounts_under(roots)
        if not points:
            return count
        count += len(points)
        run(["umount", "--lazy", *points], check=False)
    left = mounts_under(roots)
    if left:
        raise LabError(f"could not unmount {', '.join(left[:5])}")
    return count
