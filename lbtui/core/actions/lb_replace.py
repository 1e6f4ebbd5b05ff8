"""Replace a VIP's LB container so that a failure at any point leaves the old one serving.

    1. create the new LB under a temporary name, attach it to `bridge`, copy its files in
    2. stop the old LB only if it holds the published port the new one needs
    3. start the new LB; if it cannot start (or dies at once): remove it, start the old
       one again, and say so in one sentence
    4. remove the old LB, give the new one the proper name

Only one container can hold a published port, so between 2 and 3 the port is closed for
as long as the old LB takes to stop (HAProxy's soft stop: its listeners close at once,
requests in flight finish) plus the new one to start; that window is measured and reported.
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
from lbtui.core.topology.model import LABEL_TOPOLOGY, Topology, Vip

#: The temporary name's suffix: `<container>-lbtui-next` while a replacement is under way.
NEXT_SUFFIX = "-lbtui-next"
#: How long the old LB may take to finish requests in flight before it is killed.
STOP_GRACE_S = 2.0


def next_name(vip: Vip) -> str:
    """The temporary name of a VIP's new LB during a replacement."""
    return f"{vip.container}{NEXT_SUFFIX}"


def finish_interrupted(hosts: DockerGateway, topology: Topology, vip: Vip) -> str | None:
    """Clear what an interrupted replacement left: what was done, or None if nothing was left."""
    leftover = hosts.find_container(vip.host, next_name(vip))
    if leftover is None:
        return None
    if leftover.labels.get(LABEL_TOPOLOGY) != topology.name:
        raise ActionFailed(
            f"a container named {leftover.name} on {vip.host} was not created by lbtui for "
            f"topology {topology.name}; remove or rename it"
        )
    if hosts.find_container(vip.host, vip.container) is None:
        # Stopped after the old LB was removed: the new one only lacks its name.
        hosts.rename_container(vip.host, leftover.name, vip.container)
        return f"finished an interrupted replacement: {leftover.name} renamed {vip.container}"
    hosts.remove_container(vip.host, leftover.name)
    return f"removed {leftover.name}, left by an interrupted replacement"


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
    began = time.monotonic()
    if hand_over:
        hosts.stop_container(host, old.name, STOP_GRACE_S)
    try:
        hosts.start_container(host, new)
        closed_s = time.monotonic() - began
        settle(hosts, host, new, settle_s)
    except LbtuiError as error:
        raise _roll_back(hosts, vip, old, hand_over, error, settle_s) from error
    hosts.remove_container(host, old.name)
    hosts.rename_container(host, new, vip.container)
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
    hosts: DockerGateway,
    vip: Vip,
    old: ContainerSnapshot,
    hand_over: bool,
    error: LbtuiError,
    settle_s: float,
) -> ActionFailed:
    """Remove the new LB, start the old one again if it was stopped; the failure to raise."""
    failed = f"VIP {vip.name}: the new LB could not start ({_cause(error, vip)})"
    hosts.remove_container(vip.host, next_name(vip))
    if not hand_over:
        kept = "serves" if old.running else f"is {old.state}, as before"
        return ActionFailed(f"{failed}; the old LB was not touched and {kept}\n{error}")
    try:
        hosts.start_container(vip.host, old.name)
        settle(hosts, vip.host, old.name, settle_s)
    except LbtuiError as again:
        return ActionFailed(
            f"{failed}, and the old LB could not be started again ({_cause(again, vip)}); "
            f"VIP {vip.name} is down: free port {vip.publish} on {vip.host} and run apply "
            f"again\n{error}"
        )
    return ActionFailed(f"{failed}; the old LB was started again and serves\n{error}")


def _cause(error: LbtuiError, vip: Vip) -> str:
    text = str(error)
    if "address already in use" in text:
        return f"port {vip.publish} on {vip.host} is taken by another process"
    if "port is already allocated" in text:
        return f"port {vip.publish} on {vip.host} is taken by another container"
    first = text.splitlines()[0] if text else type(error).__name__
    return first.split("; HAProxy said:")[0]
