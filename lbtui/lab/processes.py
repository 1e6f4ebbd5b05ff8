"""Finding and ending the lab's processes, by PID, through /proc."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

PROC = Path("/proc")


def alive(pid: int) -> bool:
    """True when the process exists and is not a zombie."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def cmdline(pid: int) -> list[str]:
    """The process's argument vector (empty when it is gone)."""
    try:
        raw = (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def read_pidfile(path: Path) -> int | None:
    """The PID in a pid file, or None when there is none."""
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def is_lab_daemon(argv: list[str], socket_path: Path) -> bool:
    """True when a command line is the dockerd serving that socket."""
    return (
        bool(argv)
        and Path(argv[0]).name == "dockerd"
        and any(str(socket_path) in arg for arg in argv)
    )


def netns_inode(path: Path) -> int | None:
    """The inode identifying a namespace bind-mounted at `path`."""
    try:
        return os.stat(path).st_ino
    except OSError:
        return None


def _all_pids() -> list[int]:
    return [int(entry) for entry in os.listdir(PROC) if entry.isdigit()]


def pids_in_netns(inodes: set[int]) -> list[int]:
    """Processes whose network namespace is one of `inodes`."""
    found = []
    for pid in _all_pids():
        try:
            link = os.readlink(PROC / str(pid) / "ns" / "net")
        except OSError:
            continue
        if link.startswith("net:[") and int(link[5:-1]) in inodes:
            found.append(pid)
    return found


def parent_map() -> dict[int, int]:
    """PID -> parent PID for every process."""
    parents = {}
    for pid in _all_pids():
        try:
            stat = (PROC / str(pid) / "stat").read_text()
        except OSError:
            continue
        parents[pid] = int(stat.rsplit(")", 1)[1].split()[1])
    return parents


def with_descendants(roots: Iterable[int], parents: Mapping[int, int]) -> set[int]:
    """The roots and every process below them (containers run under the lab's shims)."""
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    result: set[int] = set()
    stack = list(roots)
    while stack:
        pid = stack.pop()
        if pid in result:
            continue
        result.add(pid)
        stack.extend(children.get(pid, []))
    return result


def wait_gone(pids: Iterable[int], timeout: float) -> set[int]:
    """Wait until the processes are gone; return those still alive at the deadline."""
    remaining = set(pids)
    deadline = time.monotonic() + timeout
    while remaining:
        remaining = {pid for pid in remaining if alive(pid)}
        if not remaining or time.monotonic() >= deadline:
            break
        time.sleep(0.05)
    return remaining


def send(pids: Iterable[int], sig: signal.Signals) -> None:
    """Signal each process, ignoring those that already exited."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
