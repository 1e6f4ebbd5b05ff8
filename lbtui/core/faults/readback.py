"""Read active faults back from the engines: each container's marks, its paused state.

Nothing is remembered between runs: `fault list`, the dashboard and `clear` all ask
the namespaces themselves, so a restart of lbtui loses nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from lbtui.core.faults.marks import (
    LIST_QDISCS,
    LIST_RULES,
    MarkedQdisc,
    MarkedRule,
    parse_qdiscs,
    parse_rules,
)
from lbtui.core.faults.model import HOST_PREFIX, ActiveFault, FaultKind, FaultOptions
from lbtui.core.faults.netns import ClientSource, Namespace, inspect, open_namespace, require_ok
from lbtui.core.faults.targets import Placement, topology_containers
from lbtui.core.topology.model import Topology


@dataclass(frozen=True)
class NamespaceMarks:
    """The lbtui marks in one container's network namespace."""

    rules: tuple[MarkedRule, ...]
    qdiscs: tuple[MarkedQdisc, ...]

    @property
    def empty(self) -> bool:
        """True when no lbtui rule or queue is left."""
        return not self.rules and not self.qdiscs


def read_marks(namespace: Namespace, placement: Placement) -> NamespaceMarks:
    """The marked rules and queues in the namespace."""
    rules = require_ok(namespace.run(LIST_RULES), placement.name, placement.host)
    qdiscs = require_ok(namespace.run(LIST_QDISCS), placement.name, placement.host)
    return NamespaceMarks(parse_rules(rules), parse_qdiscs(qdiscs))


def _number(values: Mapping[str, str], key: str) -> float | None:
    try:
        return float(values[key])
    except (KeyError, ValueError):
        return None


def _whole(values: Mapping[str, str], key: str) -> int | None:
    number = _number(values, key)
    return round(number) if number is not None else None


def faults_in(
    placement: Placement, data: Mapping[str, Any], marks: NamespaceMarks
) -> tuple[ActiveFault, ...]:
    """The faults one container holds, from its marks and its state."""
    paused = bool((data.get("State") or {}).get("Paused"))
    faults: dict[str, ActiveFault] = {}
    for rule in marks.rules:
        key = rule.mark.render()
        if key in faults:
            continue  # loss and down mark two rules (in and out) with one record
        values = rule.mark.values
        kind = rule.mark.kind
        target = placement.name
        problems: list[str] = []
        if kind is FaultKind.DOWN:
            target = f"{HOST_PREFIX}{values.get('host', placement.host)}"
        if kind is FaultKind.PAUSE and not paused:
            problems.append("marked paused but running (unpaused outside lbtui?)")
        if kind in (FaultKind.RATE, FaultKind.DELAY) and not any(
            q.kind is kind for q in marks.qdiscs
        ):
            problems.append("its queue is gone (interface recreated?)")
        aliases = tuple(filter(None, values.get("aliases", "").split(",")))
        faults[key] = ActiveFault(
            target=target,
            kind=kind,
            host=placement.host,
            containers=(placement.name,),
            percent=_number(values, "percent"),
            kbit=_whole(values, "kbit"),
            ms=_whole(values, "ms"),
            network=values.get("network"),
            aliases=aliases,
            since=_number(values, "at"),
            problems=tuple(problems),
        )
    recorded = {f.kind for f in faults.values()}
    for qdisc in marks.qdiscs:
        if qdisc.kind not in recorded:
            recorded.add(qdisc.kind)
            faults[f"queue:{qdisc.kind}"] = ActiveFault(
                placement.name,
                qdisc.kind,
                placement.host,
                (placement.name,),
                kbit=qdisc.kbit,
                ms=qdisc.ms,
                problems=("queue without its record rule",),
            )
    return tuple(faults.values())


def container_faults(
    gateway: ClientSource, placement: Placement, options: FaultOptions
) -> tuple[ActiveFault, ...]:
    """One container's faults; none when it does not exist or is not running."""
    data = inspect(gateway, placement.host, placement.name)
    if data is None or not (data.get("State") or {}).get("Running"):
        return ()
    with open_namespace(gateway, placement.host, data, options) as namespace:
        return faults_in(placement, data, read_marks(namespace, placement))


def merge(faults: Iterable[ActiveFault]) -> tuple[ActiveFault, ...]:
    """One entry per fault: a host's `down` marks on several containers become one fault."""
    merged: dict[tuple[str, FaultKind, str], ActiveFault] = {}
    for fault in faults:
        key = (fault.target, fault.kind, fault.host)
        known = merged.get(key)
        if known is None:
            merged[key] = fault
        else:
            merged[key] = replace(
                known,
                containers=(*known.containers, *fault.containers),
                problems=(*known.problems, *fault.problems),
            )
    return tuple(sorted(merged.values(), key=lambda f: (f.target, f.kind.value)))


def list_faults(
    gateway: ClientSource, topology: Topology, options: FaultOptions | None = None
) -> tuple[ActiveFault, ...]:
    """Every fault on the topology's containers, read from the engines (hosts in parallel)."""
    chosen = options or FaultOptions()
    placements = topology_containers(topology)
    by_host: dict[str, list[Placement]] = {}
    for placement in placements:
        by_host.setdefault(placement.host, []).append(placement)

    def on_host(items: list[Placement]) -> list[ActiveFault]:
        return [f for p in items for f in container_faults(gateway, p, chosen)]

    with ThreadPoolExecutor(max_workers=max(1, len(by_host))) as pool:
        results = list(pool.map(on_host, by_host.values()))
    return merge(f for found in results for f in found)
