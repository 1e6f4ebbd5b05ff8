"""Replace a VIP's LB container so that a failure at any point leaves the old one serving.

    1. create the new LB under a temporary name, attach it to `bridge`, copy its files in
    2. if the old LB does not hold the port the new one publishes, try the new one first
       (start, then stop it again): a port taken by another process, a config HAProxy
       will not load, fail here with the old LB untouched
    3. stop the old LB (HAProxy's soft stop: its listeners close at once, requests in
       flight finish), swap the names, start the new LB
    4. if it cannot start (or dies at once): remove it, give the old one its name back and
       start it again; the failure is said in one sentence
    5. remove the old LB

Names are swapped only while both containers are stopped: Docker (20.10) refuses to
rename a running container attached to an overlay network. Only one container can hold
a published port, so from 3 until the new LB runs the port is closed: that window (the
old LB stopping, two renames, the new one starting) is measured and reported.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping

from lbtui.core.actions.bridge import BRIDGE
from lbtui.core.docker.containers import ContainerRequest
from lbtui.core.docker.gateway import DockerGateway
from lbtui.core.docker.snapshots import ContainerSnapshot
from lbtui.core.errors import ActionFailed, LbtuiError
from lbtui.core.topology.model import Topology, Vip

#: Suffixes of the temporary names while a replacement is under way.
NEXT_SUFFIX = "-lbtui-next"
OLD_SUFFIX = "-lbtui-old"
#: How long the old LB may take to finish requests in flight before it is killed.
STOP_GRACE_S = 2.0


def next_name(vip: Vip) -> str:
    """The temporary name of a VIP's new LB during a replacement."""
    return f"{vip.container}{NEXT_SUFFIX}"


def old_name(vip: Vip) -> str:
    """The temporary name of a VIP's old LB during a replacement."""
    return f"{vip.container}{OLD_SUFFIX}"


def finish_interrupted(hosts: DockerGateway, topology: Topology, vip: Vip) -> str | None:
    """Clear what an interrupted replacement left: what was done, or None if nothing was left."""
    done: list[str] = []
    for name in (old_name(vip), next_name(vip)):
        leftover = hosts.find_container(vip.host, name)
        if leftover is None:
            continue
        if not topology.owns(leftover.labels):
            raise ActionFailed(
                f"a container named {name} on {vip.host} was not created by lbtui for "
                f"topology {topology.name}; remove or rename it"
            )
        if name == old_name(vip) and hosts.find_container(vip.host, vip.container) is None:
            # Stopped between the two renames: the old LB takes its name back (and is
            # started again by the plan that follows, or replaced afresh).
            hosts.rename_container(vip.host, name, vip.container)
            done.append(f"{name} renamed {vip.container}")
        else:
            hosts.remove_container(vip.host, name)
            done.append(f"removed {name}")
    if not done:
        return None
    return f"cleared an interrupted replacement: {', '.join(done)}"


def replace_lb(
    hosts: DockerGateway,
    vip: Vip,
    wanted: ContainerRequest,
    files: Mapping[str, bytes],
    settle_s: float,
) -> str:
    """Replace the VIP's LB by `wanted` with `files` in it; what happened, in words."""
    host = vip.host
    old = hosts.find_container(host, vip.container)
    if old is None:
        raise ActionFailed(f"VIP {vip.name}: LB {vip.container} on {host} vanished")
    new = next_name(vip)
    created = hosts.create_container(host, dataclasses.replace(wanted, name=new))
    try:
        if vip.connect_bridge:
            # Before the start, so that the published port works the moment HAProxy listens.
            hosts.connect_network(host, BRIDGE, new)
        hosts.put_files(host, new, files)
    except LbtuiError as error:
        hosts.remove_container(host, new)
        raise ActionFailed(
            f"VIP {vip.name}: the new LB could not be prepared ({_cause(error, vip)}); "
            "the old LB was not touched and serves"
        ) from error
    hand_over = old.running and any(p.host_port == vip.publish for p in old.ports)
    if not hand_over:
        try:
            hosts.start_container(host, new)
            settle(hosts, host, new, settle_s)
            hosts.stop_container(host, new, STOP_GRACE_S)
        except LbtuiError as error:
            hosts.remove_container(host, new)
            kept = "serves" if old.running else f"is {old.state}, as before"
            raise ActionFailed(
                f"VIP {vip.name}: the new LB could not start ({_cause(error, vip)}); the old "
                f"LB was not touched and {kept}\n{error}"
            ) from error
    began = time.monotonic()
    if old.running:
        hosts.stop_container(host, old.name, STOP_GRACE_S)
    try:
        hosts.rename_container(host, old.name, old_name(vip))
        hosts.rename_container(host, new, vip.container)
        hosts.start_container(host, vip.container)
        closed_s = time.monotonic() - began
        settle(hosts, host, vip.container, settle_s)
    except LbtuiError as error:
        raise _roll_back(hosts, vip, old, error, settle_s) from error
    hosts.remove_container(host, old_name(vip))
    if hand_over:
        return (
            f"replaced ({created[:12]}); port {vip.publish} went from the old LB to the new "
            f"one in {closed_s:.2f} s"
        )
    return f"replaced ({created[:12]}), port {vip.publish} -> {vip.frontend_port}"


def settle(hosts: DockerGateway, host: str, container: str, wait_s: float) -> None:
    """Fail with HAProxy's last words if the LB exits within `wait_s` of a start or reload."""
    deadline = time.monotonic() + wait_s
    while True:
        found = hosts.find_container(host, container)
        if found is None or not found.running:
            logs = hosts.logs(host, container, tail=20) if found is not None else ""
            state = "gone" if found is None else found.state
            raise ActionFailed(
                f"LB {container} on {host} is {state} right after its start; "
                f"HAProxy said:\n{logs.strip() or '(nothing)'}"
            )
        if time.monotonic() >= deadline:
            return
        time.sleep(0.1)


def _roll_back(
    hosts: DockerGateway, vip: Vip, old: ContainerSnapshot, error: LbtuiError, settle_s: float
) -> ActionFailed:
    """Remove the new LB, give the old one its name back and start it; the failure to raise."""
    failed = f"VIP {vip.name}: the new LB could not start ({_cause(error, vip)})"
    try:
        for name in (vip.container, next_name(vip)):
            found = hosts.find_container(vip.host, name)
            if found is not None and found.id != old.id:
                hosts.remove_container(vip.host, name)
        if hosts.find_container(vip.host, old_name(vip)) is not None:
            hosts.rename_container(vip.host, old_name(vip), vip.container)
        if old.running:
            hosts.start_container(vip.host, vip.container)
            settle(hosts, vip.host, vip.container, settle_s)
    except LbtuiError as again:
        return ActionFailed(
            f"{failed}, and the old LB could not be started again ({_cause(again, vip)}); "
            f"VIP {vip.name} is down: free port {vip.publish} on {vip.host} and run apply "
            f"again\n{error}"
        )
    kept = "was started again and serves" if old.running else f"is {old.state}, as before"
    return ActionFailed(f"{failed}; the old LB {kept}\n{error}")


def _cause(error: LbtuiError, vip: Vip) -> str:
    text = str(error)
    if "address already in use" in text:
        return f"port {vip.publish} on {vip.host} is taken by another process"
    if "port is already allocated" in text:
        return f"port {vip.publish} on {vip.host} is taken by another container"
    first = text.splitlines()[0] if text else type(error).__name__
    return first.split("; HAProxy said:")[0]
