"""Running the system tools the lab needs, and checking that they are there."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence

from lbtui.core.errors import LabError

INSTALL_HINT = "apt-get install docker.io haproxy busybox-static iptables"
TOOLS = (
    "dockerd",
    "containerd",
    "runc",
    "haproxy",
    "busybox",
    "ip",
    "nsenter",
    "iptables",
    "umount",
    "ldd",
)
TLS_TOOLS = ("openssl",)
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def tool_env() -> dict[str, str]:
    """The environment for system tools: ours, with the system directories on PATH."""
    env = dict(os.environ)
    env["PATH"] = f"{env.get('PATH', '')}:{SYSTEM_PATH}".strip(":")
    return env


def which(tool: str) -> str | None:
    """The tool's path, looking in the system directories too."""
    return shutil.which(tool, path=tool_env()["PATH"])


def run(
    argv: Sequence[str], *, check: bool = True, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run a command; if `check`, a non-zero exit becomes a LabError quoting its output."""
    try:
        result = subprocess.run(
            list(argv),
            capture_output=True,
            text=True,
            env=tool_env(),
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except FileNotFoundError:
        raise LabError(f"{argv[0]} is not installed: {INSTALL_HINT}") from None
    except subprocess.TimeoutExpired:
        raise LabError(f"`{' '.join(argv)}` did not finish within {timeout:.0f} s") from None
    if check and result.returncode != 0:
        output = (result.stderr or result.stdout).strip()
        raise LabError(f"`{' '.join(argv)}` failed (exit {result.returncode}): {output}")
    return result


def missing_tools(tools: Sequence[str]) -> list[str]:
    """The tools that cannot be found."""
    return [tool for tool in tools if which(tool) is None]


def require_root() -> None:
    """Raise LabError unless we are root."""
    if os.geteuid() != 0:
        raise LabError(
            "the lab needs root (it creates network namespaces and starts Docker engines): "
            "run it with sudo or as root"
        )


def require_prerequisites(tls: bool) -> None:
    """Raise LabError unless we are root and every tool the lab uses is installed."""
    require_root()
    missing = missing_tools(TOOLS + (TLS_TOOLS if tls else ()))
    if missing:
        hint = INSTALL_HINT + (" openssl" if "openssl" in missing else "")
        raise LabError(f"missing {', '.join(missing)}: install them with `{hint}`")
    busybox = which("busybox")
    assert busybox is not None
    if not is_static(busybox):
        raise LabError(
            f"{busybox} is dynamically linked, but the lab's web image needs a static busybox: "
            "apt-get install busybox-static"
        )


def is_static(path: str) -> bool:
    """True when `ldd` says the binary needs no shared libraries."""
    result = run(["ldd", path], check=False)
    text = (result.stdout + result.stderr).lower()
    return "not a dynamic executable" in text or "statically linked" in text
