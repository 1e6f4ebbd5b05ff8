"""One lab host's life: is it healthy, clear its leftovers, bring it up."""

from __future__ import annotations

import os
import shutil
import signal

from lbtui.core.errors import LabError
from lbtui.lab import daemons, mounts, network, processes
from lbtui.lab.plan import HostPlan, LabPlan
from lbtui.lab.tls import client_files, server_files

KILL_TIMEOUT = 10.0


def daemon_ok(host: HostPlan) -> bool:
    """True when the host's namespace and veth exist and its own dockerd answers."""
    return (
        network.netns_exists(host.netns)
        and network.link_exists(host.veth)
        and daemons.daemon_pid(host) is not None
        and daemons.ping(host)
    )


def owned_pids(host: HostPlan) -> set[int]:
    """The host's processes: those in its namespace, its pid file's dockerd, and their children."""
    roots: list[int] = []
    inode = processes.netns_inode(host.netns_path)
    if inode is not None:
        roots += processes.pids_in_netns({inode})
    pid = daemons.daemon_pid(host)
    if pid is not None:
        roots.append(pid)
    return processes.with_descendants(roots, processes.parent_map()) - {1, os.getpid()}


def has_leftovers(host: HostPlan) -> bool:
    """True when anything of the host exists (namespace, veth, pid file, socket, mounts)."""
    return (
        network.netns_exists(host.netns)
        or network.link_exists(host.veth)
        or host.pidfile.exists()
        or host.socket_path.exists()
        or host.exec_root.exists()
        or bool(mounts.mounts_under([host.data_root, host.exec_root]))
    )


def clear(host: HostPlan) -> None:
    """Remove everything the host left at runtime; its data-root (images) stays."""
    pids = owned_pids(host)
    if pids:
        processes.send(pids, signal.SIGKILL)
        left = processes.wait_gone(pids, KILL_TIMEOUT)
        if left:
            raise LabError(f"processes {sorted(left)} of {host.name} survived SIGKILL")
    mounts.unmount_under([host.data_root, host.exec_root])
    network.delete_host_net(host)
    daemons.remove_runtime_files(host)
    # Stale containerd state (pid files, sockets) would mislead the next dockerd.
    if host.exec_root.exists():
        shutil.rmtree(host.exec_root)


def start_daemon(plan: LabPlan, host: HostPlan) -> int:
    """Start the host's dockerd (with TLS when the lab has it); return its PID."""
    tls = (client_files(plan), server_files(plan, host)) if plan.spec.tls else None
    return daemons.start(host, tls)
