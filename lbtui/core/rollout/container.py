"""Replace a backend container whose spec changed without a gap, rolled back on a failed gate.

For one backend (apply and redeploy replace backends one after another):
1. drain its server in every VIP whose running LB has it, and wait for its sessions to end;
2. put the server in maintenance (no checks while no container answers), stop the old
   container and rename it aside (`NAME-lbtui-old`): Docker refuses to rename a running
   container attached to an overlay, and the new one needs the name;
3. create and start the new container, point each LB's server at its address (no wait
   for DNS) with the health forced down, still drained;
4. health gate: the server must come UP in every VIP, i.e. pass `rise` checks on the
   new address, within `gate_bound_s`; then it is enabled (ready) and the old removed;
5. a failed gate (or a new container that cannot start) puts the old container back
   under its name, gates it the same way and enables it; the error says what failed.
A backend no running LB has (a first apply) is simply recreated: nothing to drain.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from lbtui.core.docker.containers import ContainerRequest
from lbtui.core.docker.exec import ExecGateway
from lbtui.core.errors import ActionFailed, LbtuiError
from lbtui.core.haproxy.runtime import AdminState
from lbtui.core.progress import Phase, ProgressEvent, Reporter
from lbtui.core.rollout.lb_server import ServerView, point_at, set_state, view, vips_serving
from lbtui.core.topology.limits import server_name
from lbtui.core.topology.model import Topology, Vip

#: Suffix of the old container's name while its replacement is gated.
OLD_SUFFIX = "-lbtui-old"
#: How long sessions on the drained server may take to end before the old one stops anyway.
SESSIONS_TIMEOUT_S = 10.0
#: How long the old container may take to stop (its stop signal, then SIGKILL).
STOP_TIMEOUT_S = 5.0
#: Seconds between two looks at the LBs.
POLL_S = 0.25

STEP = "rollout"
#: One lock per VIP pool, by VIP name, shared by every apply thread of this process.
_POOL_LOCKS: dict[str, threading.Lock] = {}
_POOL_LOCKS_GUARD = threading.Lock()


def gate_bound_s(vips: list[Vip]) -> float:
    """How long a replacement may take to pass `rise` checks in every VIP.

    A server whose health is forced down is checked every `inter` until the first
    pass, then at `fastinter` until `rise`; a process still starting may fail the first
    one. Hence (rise + 1) intervals, plus a few seconds for the container to start.
    """
    return max(5.0 + (v.health_check.rise + 1) * v.health_check.interval_ms / 1000 for v in vips)


def old_name(name: str) -> str:
    """The name the old container has while its replacement is gated."""
    return f"{name}{OLD_SUFFIX}"


class _Replacement:
    """One backend container replaced behind the LBs of `vips`: drain, swap, gate, or roll back."""

    def __init__(
        self,
        hosts: ExecGateway,
        host: str,
        wanted: ContainerRequest,
        port: int,
        vips: list[Vip],
        report: Reporter,
    ) -> None:
        self.hosts = hosts
        self.host = host
        self.wanted = wanted
        self.port = port
        self.vips = vips
        self.report = report
        self.server = server_name(wanted.name)

    def event(self, phase: Phase, detail: str) -> None:
        self.report(ProgressEvent(phase, STEP, self.wanted.name, self.host, detail))

    def everywhere(self, state: AdminState) -> None:
        for vip in self.vips:
            set_state(self.hosts, vip, self.server, state)

    def views(self) -> list[ServerView]:
        found = [view(self.hosts, vip, self.server) for vip in self.vips]
        return [v for v in found if v is not None]

    def drain(self) -> str:
        self.everywhere("drain")
        names = ", ".join(v.name for v in self.vips)
        deadline = time.monotonic() + SESSIONS_TIMEOUT_S
        while any(v.sessions for v in self.views()):
            if time.monotonic() >= deadline:
                return f"drained in {names} ({SESSIONS_TIMEOUT_S:g} s passed with sessions open)"
            time.sleep(POLL_S)
        return f"drained in {names}"

    def address(self, name: str) -> str:
        found = self.hosts.find_container(self.host, name)
        attachments = found.attachments if found is not None else ()
        ip = next((a.ip for a in attachments if a.network == self.wanted.network and a.ip), None)
        if found is None or not found.running or ip is None:
            state = found.state if found is not None else "gone"
            raise ActionFailed(f"container {name} on {self.host} is {state}, without an address")
        return ip

    def gate(self, container: str, bound_s: float) -> tuple[float | None, str]:
        """Point the LBs at the container and wait until it is UP in every one of them."""
        address = self.address(container)
        for vip in self.vips:
            point_at(self.hosts, vip, self.server, address, self.port)
        started = time.monotonic()
        while True:
            views = self.views()
            waiting = [v for v in views if v.op_state != "running" or v.address != address]
            if not waiting:
                self.everywhere("ready")
                return time.monotonic() - started, ""
            if time.monotonic() - started >= bound_s:
                why = "; ".join(
                    f"{v.vip}: {v.status} ({v.check or 'no check yet'})" for v in waiting
                )
                return None, f"was not UP within {bound_s:g} s: {why}"
            time.sleep(POLL_S)

    def start_new(self) -> None:
        container_id = self.hosts.create_container(self.host, self.wanted)
        self.hosts.start_container(self.host, container_id)

    def restore(self, why: str, bound_s: float, renamed: bool) -> ActionFailed:
        """Bring the old container back under its name and into the LBs; the error to raise."""
        self.everywhere("maint")
        if renamed:
            self.hosts.remove_container(self.host, self.wanted.name)
            self.hosts.rename_container(self.host, old_name(self.wanted.name), self.wanted.name)
        self.hosts.start_container(self.host, self.wanted.name)
        took, problem = self.gate(self.wanted.name, bound_s)
        if took is None:
            self.event(Phase.FAILED, f"rolled back, but the old container is {problem}")
            return ActionFailed(
                f"backend {self.wanted.name}: the new container ({self.wanted.image}) {why}; "
                f"the old container was started again but is {problem}"
            )
        self.event(Phase.DONE, f"rolled back: the old container serves, UP after {took:.1f} s")
        return ActionFailed(
            f"backend {self.wanted.name}: the new container ({self.wanted.image}) {why}\n"
            f"rolled back: the old container serves again (UP after {took:.1f} s)"
        )

    def replace(self, bound_s: float | None) -> str:
        """Drain, stop and set aside the old container, start the new one, gate it; roll back
        to the old one when the new one fails its gate."""
        hosts, host, wanted = self.hosts, self.host, self.wanted
        bound = bound_s if bound_s is not None else gate_bound_s(self.vips)
        self.event(Phase.STARTED, f"{self.drain()}; replacing with {wanted.image}")
        self.everywhere("maint")
        renamed = False
        try:
            hosts.stop_container(host, wanted.name, STOP_TIMEOUT_S)
            hosts.rename_container(host, wanted.name, old_name(wanted.name))
            renamed = True
            self.start_new()
            took, problem = self.gate(wanted.name, bound)
        except LbtuiError as error:
            took, problem = None, f"could not be started: {error}"
        if took is None:
            self.event(Phase.FAILED, f"{wanted.image} {problem}; rolling back")
            raise self.restore(problem, bound, renamed)
        hosts.remove_container(host, old_name(wanted.name))
        names = ", ".join(v.name for v in self.vips)
        return f"drained, replaced ({wanted.image}), UP in {names} after {took:.1f} s"


def replace_backend(
    hosts: ExecGateway,
    topology: Topology,
    host: str,
    wanted: ContainerRequest,
    report: Reporter,
    bound_s: float | None = None,
) -> str:
    """Replace the backend container `wanted.name` on `host` without a gap (module docstring)."""
    backend = topology.backends[wanted.name]
    _clear_leftover(hosts, topology, host, wanted.name)
    vips = vips_serving(hosts, topology, backend.name)
    if not vips:
        hosts.remove_container(host, wanted.name)
        container_id = hosts.create_container(host, wanted)
        hosts.start_container(host, container_id)
        return f"replaced ({container_id[:12]}); no running LB uses it, nothing to drain"
    with one_at_a_time(vips):
        return _Replacement(hosts, host, wanted, backend.port, vips, report).replace(bound_s)


@contextmanager
def one_at_a_time(vips: list[Vip]) -> Iterator[None]:
    """Hold the pools of `vips`: two backends of one pool are never replaced at once.

    Apply runs backends of different hosts in parallel; replacing two members of one
    pool together would take the pool's capacity, or all of it, away at once.
    """
    with ExitStack() as held:
        for name in sorted({vip.name for vip in vips}):  # one order: no deadlock
            with _POOL_LOCKS_GUARD:
                lock = _POOL_LOCKS.setdefault(name, threading.Lock())
            held.enter_context(lock)
        yield


def _clear_leftover(hosts: ExecGateway, topology: Topology, host: str, name: str) -> None:
    """An interrupted replacement left the old container aside: keep whichever is whole."""
    leftover = hosts.find_container(host, old_name(name))
    if leftover is None or not topology.owns(leftover.labels):
        return
    if hosts.find_container(host, name) is None:
        hosts.rename_container(host, old_name(name), name)
    else:
        hosts.remove_container(host, old_name(name))
