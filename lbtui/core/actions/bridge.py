"""Connect bridge: attach each VIP's LB to the default `bridge` network, where its port works."""

from __future__ import annotations

from functools import partial

from lbtui.core.actions.scope import hosts_for
from lbtui.core.actions.steps import Change, Step, Verdict, carry_out
from lbtui.core.docker.gateway import DockerGateway
from lbtui.core.errors import ActionFailed
from lbtui.core.progress import Reporter, ignore_progress
from lbtui.core.topology.model import Topology, Vip

BRIDGE = "bridge"


def plan_bridge(hosts: DockerGateway, vip: Vip, lb_change: Change | None = None) -> Change:
    """Connect unless the LB is already on `bridge`; a new or replaced LB always needs it."""
    if lb_change is not None and lb_change.verdict in (Verdict.CREATE, Verdict.REPLACE):
        return Change("bridge", vip.container, vip.host, Verdict.CONNECT, "the LB is (re)created")
    found = hosts.find_container(vip.host, vip.container)
    if found is None:
        raise ActionFailed(
            f"LB {vip.container} does not exist on {vip.host}; deploy it first "
            "(`lbtui apply --step lb`)"
        )
    if any(a.network == BRIDGE for a in found.attachments):
        return Change("bridge", vip.container, vip.host, Verdict.KEEP, "already on bridge")
    return Change("bridge", vip.container, vip.host, Verdict.CONNECT, "not on bridge")


def plan_bridges(
    hosts: DockerGateway, topology: Topology, lb_changes: list[Change] | None = None
) -> list[Change]:
    """What `connect_bridges` would do for each VIP that asks for the bridge."""
    by_host = {(c.host, c.target): c for c in lb_changes or []}
    return [
        plan_bridge(hosts, vip, by_host.get((vip.host, vip.container)))
        for vip in topology.vips.values()
        if vip.connect_bridge
    ]


def connect_bridges(
    hosts: DockerGateway, topology: Topology, report: Reporter = ignore_progress
) -> list[Change]:
    """`docker network connect bridge <lb>` where asked for and missing."""
    hosts.require_reachable(hosts_for(topology, Step.BRIDGE))
    done = []
    for vip in topology.vips.values():
        if not vip.connect_bridge:
            continue
        change = plan_bridge(hosts, vip)
        done.append(carry_out(change, report, partial(_connect, hosts, vip)))
    return done


def _connect(hosts: DockerGateway, vip: Vip) -> str:
    hosts.connect_network(vip.host, BRIDGE, vip.container)
    return f"port {vip.publish} reachable at {hosts.host(vip.host).address or vip.host}"
