"""Active faults as the panes show them: a mark and the kind per container, server and hop."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from lbtui.core.faults.model import ActiveFault, FaultKind, FaultRequest
from lbtui.core.topology.limits import server_name
from lbtui.core.topology.model import Backend, Topology, Vip

#: One narrow character (a wide emoji would shift the columns after it).
FAULT_MARK = "↯"

Marks = Mapping[tuple[str, str], str]
"""(host, container) -> its faults, e.g. `loss 30 %`; shown after FAULT_MARK."""


def mark_text(label: str) -> str:
    """`↯ pause`: how a row shows a fault."""
    return f"{FAULT_MARK} {label}"


def fault_label(fault: ActiveFault | FaultRequest) -> str:
    """The kind and its figure, short: `pause`, `loss 30 %`, `rate 512 kbit/s`, `host down`."""
    if fault.kind is FaultKind.DOWN:
        return "host down"
    figure = ""
    if fault.percent is not None:
        figure = f" {fault.percent:g} %"
    elif fault.kbit is not None:
        figure = f" {fault.kbit} kbit/s"
    elif fault.ms is not None:
        figure = f" {fault.ms} ms"
    return f"{fault.kind.value}{figure}"


def fault_marks(faults: Iterable[ActiveFault]) -> dict[tuple[str, str], str]:
    """Every faulted container's faults; `(!)` when its marks are found without their effect."""
    labels: dict[tuple[str, str], list[str]] = {}
    for fault in faults:
        label = fault_label(fault) + (" (!)" if fault.problems else "")
        for container in fault.containers:
            labels.setdefault((fault.host, container), []).append(label)
    return {key: ", ".join(names) for key, names in labels.items()}


def pool_backends(topology: Topology, vip: Vip) -> list[Backend]:
    """The VIP's pool members that are backend containers (a swarm service's tasks are not)."""
    return [topology.backends[m.backend] for m in vip.servers if m.backend in topology.backends]


def server_marks(topology: Topology, vip: str, marks: Marks) -> dict[str, str]:
    """The marks of a VIP's servers, by HAProxy server name."""
    found = {}
    for backend in pool_backends(topology, topology.vips[vip]):
        mark = marks.get((backend.host, backend.name))
        if mark:
            found[server_name(backend.name)] = mark
    return found


def fault_servers(topology: Topology, faults: Iterable[ActiveFault]) -> list[tuple[str, str]]:
    """(VIP, server) of every pool member the faults act on (an LB container is none)."""
    hit = {(fault.host, container) for fault in faults for container in fault.containers}
    found = []
    for vip in topology.vips.values():
        for backend in pool_backends(topology, vip):
            if (backend.host, backend.name) in hit:
                found.append((vip.name, server_name(backend.name)))
    return found
