"""Add a fault: check everything first, then mark and apply it in each target's namespace.

Order matters for what a failure leaves behind: every check (the containers exist
and run, no conflicting fault, the kernel has netem for `delay`) happens before
the first change; the record mark goes in before the effect (so a fault is never
active unmarked); a failure undoes what this call did in that namespace.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from typing import Any

from lbtui.core.errors import ActionFailed, BadInput
from lbtui.core.faults.clear import undo_marks
from lbtui.core.faults.marks import (
    LIST_LINKS,
    Mark,
    MarkedRule,
    drop_rules,
    lacks_netem,
    netem_argv,
    parse_links,
    record_rule,
    tbf_argv,
)
from lbtui.core.faults.model import ActiveFault, FaultKind, FaultOptions, FaultRequest
from lbtui.core.faults.netns import (
    ClientSource,
    Namespace,
    docker_errors,
    inspect,
    open_namespace,
    probe_netem,
    require_ok,
)
from lbtui.core.faults.readback import faults_in, merge, read_marks
from lbtui.core.faults.targets import Placement, resolve_target
from lbtui.core.progress import Phase, ProgressEvent, Reporter, ignore_progress
from lbtui.core.topology.model import Topology

QUEUE_KINDS = frozenset({FaultKind.RATE, FaultKind.DELAY})


def add_fault(
    gateway: ClientSource,
    topology: Topology,
    request: FaultRequest,
    options: FaultOptions | None = None,
    report: Reporter = ignore_progress,
) -> tuple[ActiveFault, ...]:
    """Apply `request` (validated by `fault_request`); the fault as read back from the engines."""
    chosen = options or FaultOptions()
    placements = resolve_target(topology, request.target)
    found = {p: _running(gateway, p) for p in placements}
    if request.kind is FaultKind.DELAY:
        for host in sorted({p.host for p in placements}):
            _require_netem(gateway, host, chosen)
    with ExitStack() as stack:
        spaces = {
            p: stack.enter_context(open_namespace(gateway, p.host, found[p], chosen))
            for p in placements
        }
        for placement, namespace in spaces.items():
            _require_no_conflict(placement, found[placement], namespace, request)
        mark_at = f"{time.time():.3f}"
        for placement, namespace in spaces.items():
            what = f"{request.target} {request.kind.value}"
            detail = f"{request.parameter()} via {namespace.where}".strip()
            report(ProgressEvent(Phase.STARTED, "fault", what, placement.host, detail))
            mark = _mark(request, placement, found[placement], mark_at)
            with _undone_on_failure(gateway, namespace, placement, mark, report):
                _apply(gateway, namespace, placement, request, mark)
            report(ProgressEvent(Phase.DONE, "fault", what, placement.host, placement.name))
        applied = [
            fault
            for placement, namespace in spaces.items()
            for fault in faults_in(
                placement, _running(gateway, placement), read_marks(namespace, placement)
            )
            if fault.target == request.target and fault.kind is request.kind
        ]
    return merge(applied)


def _running(gateway: ClientSource, placement: Placement) -> Mapping[str, Any]:
    data = inspect(gateway, placement.host, placement.name)
    if data is None:
        raise ActionFailed(
            f"container {placement.name} does not exist on {placement.host} "
            "(apply the topology first)"
        )
    if not (data.get("State") or {}).get("Running"):
        raise ActionFailed(f"container {placement.name} on {placement.host} is not running")
    return data


def _require_netem(gateway: ClientSource, host: str, options: FaultOptions) -> None:
    result = probe_netem(gateway, host, options)
    if result.code == 0:
        return
    if lacks_netem(result.output):
        raise BadInput(
            f"`delay` needs the kernel's netem queueing discipline, and host {host}'s kernel "
            "has none (CONFIG_NET_SCH_NETEM is not set; `tc` says: "
            f"{result.output.strip()}); nothing was changed. `rate` and `loss` work without it"
        )
    raise ActionFailed(f"could not check for netem on {host}: {result.output.strip()}")


def _require_no_conflict(
    placement: Placement, data: Mapping[str, Any], namespace: Namespace, request: FaultRequest
) -> None:
    existing = faults_in(placement, data, read_marks(namespace, placement))
    name = placement.name
    for fault in existing:
        if fault.kind is request.kind and fault.target == request.target:
            raise BadInput(f"{fault.describe()} is already active; clear it first")
        if fault.kind in QUEUE_KINDS and request.kind in QUEUE_KINDS:
            raise BadInput(
                f"{name} already has a {fault.kind.value} fault, and `rate` and `delay` share "
                f"the interface's root queue; clear it first (`lbtui fault clear ... {name}`)"
            )
    state = data.get("State") or {}
    if request.kind is FaultKind.PAUSE and state.get("Paused"):
        raise BadInput(f"container {name} on {placement.host} is already paused (not by lbtui)")
    if request.kind is FaultKind.DISCONNECT:
        networks = (data.get("NetworkSettings") or {}).get("Networks") or {}
        if placement.network not in networks:
            raise BadInput(
                f"container {name} on {placement.host} is not on network {placement.network}"
            )


def _mark(request: FaultRequest, placement: Placement, data: Mapping[str, Any], at: str) -> Mark:
    values: dict[str, str] = {}
    if request.kind is FaultKind.LOSS and request.percent is not None:
        values["percent"] = f"{request.percent:g}"
    if request.kind is FaultKind.RATE and request.kbit is not None:
        values["kbit"] = str(request.kbit)
    if request.kind is FaultKind.DELAY and request.ms is not None:
        values["ms"] = str(request.ms)
    if request.kind is FaultKind.DOWN:
        values["host"] = request.host_target or placement.host
    if request.kind is FaultKind.DISCONNECT:
        networks = (data.get("NetworkSettings") or {}).get("Networks") or {}
        short_id = str(data.get("Id", ""))[:12]
        # Docker adds the short ID by itself on every connect; the rest are the topology's.
        aliases = [a for a in networks[placement.network].get("Aliases") or [] if a != short_id]
        values["network"] = placement.network
        values["aliases"] = ",".join(aliases)
    values["at"] = at
    return Mark(request.kind, values)


def _apply(
    gateway: ClientSource,
    namespace: Namespace,
    placement: Placement,
    request: FaultRequest,
    mark: Mark,
) -> None:
    name, host = placement.name, placement.host
    api = gateway.client(host).api
    kind = request.kind
    if kind in (FaultKind.LOSS, FaultKind.DOWN):
        fraction = request.percent / 100 if request.percent is not None else None
        for argv in drop_rules(mark, fraction if fraction is not None and fraction < 1 else None):
            require_ok(namespace.run(argv), name, host)
        return
    require_ok(namespace.run(record_rule(mark)), name, host)
    if kind is FaultKind.PAUSE:
        with docker_errors(gateway, host, f"pause {name}"):
            api.pause(name)
    elif kind is FaultKind.DISCONNECT:
        with docker_errors(gateway, host, f"disconnect {name} from {placement.network}"):
            api.disconnect_container_from_network(name, placement.network)
    elif kind in QUEUE_KINDS:
        devices = parse_links(require_ok(namespace.run(LIST_LINKS), name, host))
        if not devices:
            raise ActionFailed(f"container {name} on {host} has no network interface to slow")
        for device in devices:
            argv = (
                tbf_argv(device, request.kbit or 0)
                if kind is FaultKind.RATE
                else netem_argv(device, request.ms or 0)
            )
            require_ok(namespace.run(argv), name, host)


@contextmanager
def _undone_on_failure(
    gateway: ClientSource,
    namespace: Namespace,
    placement: Placement,
    mark: Mark,
    report: Reporter,
) -> Iterator[None]:
    """On failure, remove what this mark put in the namespace, then let the error through."""
    try:
        yield
    except ActionFailed as error:
        report(ProgressEvent(Phase.FAILED, "fault", placement.name, placement.host, str(error)))
        data = inspect(gateway, placement.host, placement.name) or {}
        marks = read_marks(namespace, placement)
        text = mark.render()

        def ours(rule: MarkedRule) -> bool:
            return rule.mark.render() == text

        kinds = frozenset({mark.kind}) if mark.kind in QUEUE_KINDS else frozenset()
        undo_marks(gateway, namespace, placement, data, marks, ours, kinds)
        raise
