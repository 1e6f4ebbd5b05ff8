"""Clear faults: undo each effect (unpause, reconnect, remove queues), then delete its marks.

The effect goes first and the mark last, so a clear that fails half-way leaves the
mark in place and can simply be run again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from lbtui.core.errors import ActionFailed
from lbtui.core.faults.marks import MarkedRule
from lbtui.core.faults.model import ActiveFault, FaultKind, FaultOptions
from lbtui.core.faults.netns import ClientSource, Namespace, docker_errors, inspect, open_namespace
from lbtui.core.faults.netns import require_ok as _ok
from lbtui.core.faults.readback import NamespaceMarks, faults_in, merge, read_marks
from lbtui.core.faults.targets import Placement, resolve_target, topology_containers
from lbtui.core.progress import Phase, ProgressEvent, Reporter, ignore_progress
from lbtui.core.topology.model import Topology


def undo_marks(
    gateway: ClientSource,
    namespace: Namespace,
    placement: Placement,
    data: Mapping[str, Any],
    marks: NamespaceMarks,
    chosen: Callable[[MarkedRule], bool],
    kinds: frozenset[FaultKind],
) -> None:
    """Undo the effects of the chosen marked rules (and `kinds`' queues), then delete them."""
    rules = [rule for rule in marks.rules if chosen(rule)]
    found = {rule.mark.kind for rule in rules} | kinds
    host, name = placement.host, placement.name
    api = gateway.client(host).api
    if FaultKind.PAUSE in found and (data.get("State") or {}).get("Paused"):
        with docker_errors(gateway, host, f"unpause {name}"):
            api.unpause(name)
    for rule in rules:
        if rule.mark.kind is FaultKind.DISCONNECT:
            _reconnect(gateway, placement, data, rule)
    for qdisc in marks.qdiscs:
        if qdisc.kind in found:
            _ok(namespace.run(qdisc.delete_argv()), name, host)
    for rule in rules:
        _ok(namespace.run(rule.delete_argv()), name, host)


def _reconnect(
    gateway: ClientSource, placement: Placement, data: Mapping[str, Any], rule: MarkedRule
) -> None:
    network = rule.mark.values.get("network", placement.network)
    attached = (data.get("NetworkSettings") or {}).get("Networks") or {}
    if network in attached:
        return
    aliases = [a for a in rule.mark.values.get("aliases", "").split(",") if a]
    with docker_errors(gateway, placement.host, f"reconnect {placement.name} to {network}"):
        gateway.client(placement.host).api.connect_container_to_network(
            placement.name, network, aliases=aliases or None
        )


def _wanted(target: str | None, fault: ActiveFault) -> bool:
    # A container's own faults only: `clear web2` leaves a `host:docker3 down` whole.
    return target is None or fault.target == target


def clear_faults(
    gateway: ClientSource,
    topology: Topology,
    target: str | None = None,
    options: FaultOptions | None = None,
    report: Reporter = ignore_progress,
) -> tuple[ActiveFault, ...]:
    """Clear the faults of `target` (every fault when None); what was cleared, read back."""
    chosen_options = options or FaultOptions()
    placements = resolve_target(topology, target) if target else topology_containers(topology)
    cleared: list[ActiveFault] = []
    for placement in placements:
        cleared += _clear_container(gateway, placement, target, chosen_options, report)
    return merge(cleared)


def _clear_container(
    gateway: ClientSource,
    placement: Placement,
    target: str | None,
    options: FaultOptions,
    report: Reporter,
) -> list[ActiveFault]:
    data = inspect(gateway, placement.host, placement.name)
    if data is None or not (data.get("State") or {}).get("Running"):
        return []  # no namespace, so no marks
    with open_namespace(gateway, placement.host, data, options) as namespace:
        marks = read_marks(namespace, placement)
        faults = [f for f in faults_in(placement, data, marks) if _wanted(target, f)]
        if not faults:
            return []
        keys = {(f.target, f.kind) for f in faults}
        kinds = frozenset(f.kind for f in faults)

        def chosen(rule: MarkedRule) -> bool:
            single = faults_in(placement, data, NamespaceMarks((rule,), ()))
            return any((f.target, f.kind) in keys for f in single)

        for fault in faults:
            report(_event(Phase.STARTED, fault, placement, namespace.where))
        try:
            undo_marks(gateway, namespace, placement, data, marks, chosen, kinds)
            left = [
                f
                for f in faults_in(placement, data, read_marks(namespace, placement))
                if (f.target, f.kind) in keys
            ]
            if left:
                raise ActionFailed(
                    f"marks left in {placement.name} on {placement.host} after clearing: "
                    + "; ".join(f.describe() for f in left)
                )
        except ActionFailed as error:
            for fault in faults:
                report(_event(Phase.FAILED, fault, placement, str(error)))
            raise
    for fault in faults:
        report(_event(Phase.DONE, fault, placement, "cleared"))
    return faults


def _event(phase: Phase, fault: ActiveFault, placement: Placement, detail: str) -> ProgressEvent:
    what = f"{fault.target} {fault.kind.value}"
    if fault.target != placement.name:
        what += f" ({placement.name})"
    return ProgressEvent(phase, "clear fault", what, placement.host, detail)
