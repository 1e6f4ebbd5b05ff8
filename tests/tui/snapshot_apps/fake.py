"""A fake gateway with fixed data, for the snapshot tests ONLY (integration tests use the lab).

Everything is frozen: the clock, the hosts, the stats; streams block until closed.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator, Mapping
from typing import Any

from lbtui.core.docker.snapshots import (
    Attachment,
    ContainerSnapshot,
    HostSnapshot,
    NetworkSnapshot,
    PublishedPort,
)
from lbtui.core.faults.model import ActiveFault, FaultRequest
from lbtui.core.faults.targets import resolve_target
from lbtui.core.progress import Phase, ProgressEvent, Reporter
from lbtui.core.topology.model import (
    Backend,
    Host,
    Network,
    PoolMember,
    StatsPage,
    Swarm,
    Topology,
    Vip,
)
from lbtui.core.traffic.control import step_rate
from lbtui.core.traffic.outcome import ErrorKind, Outcome, answered
from lbtui.core.traffic.spec import TrafficMode
from lbtui.core.traffic.tally import Response, TrafficTally
from lbtui.core.traffic.window import SlidingWindow, WindowSnapshot
from lbtui.tui.data.services import (
    RedeployPreview,
    Services,
    ShowPreview,
    Stream,
    Task,
    TrafficControl,
    ignore_preview,
)
from lbtui.tui.data.stats_view import ServerView, VipView

FROZEN_NOW = 1_764_000_000.0
"""2025-11-24 16:00:00 UTC: every time the fake shows is relative to this."""


def frozen_clock() -> float:
    """The fake's clock never moves."""
    return FROZEN_NOW


def reference_topology() -> Topology:
    """The recipe's topology, as the lab runs it."""
    hosts = {
        f"docker{i}": Host(f"docker{i}", f"unix:///run/lbtui/lab/docker{i}.sock", f"198.18.0.1{i}")
        for i in (1, 2, 3)
    }
    net = "presentation_backend"
    backends = {
        "web1": Backend("web1", "docker2", "lbtui/web:lab", net),
        "web2": Backend("web2", "docker3", "lbtui/web:lab", net),
    }
    vip = Vip(
        name="presentation",
        host="docker1",
        container="haproxy",
        image="lbtui/haproxy:lab",
        network=net,
        publish=80,
        servers=(PoolMember("web1"), PoolMember("web2")),
        connect_bridge=True,
        stats=StatsPage(password_env="LBTUI_STATS_PASSWORD"),
        backend_name="pres_containers",
    )
    return Topology(
        name="presentation",
        hosts=hosts,
        networks={net: Network(net, "overlay", internal=True, attachable=True)},
        backends=backends,
        vips={"presentation": vip},
        swarm=Swarm("docker1"),
    )


def _container(
    host: str, name: str, image: str, ips: Mapping[str, str], role: str, state: str = "running"
) -> ContainerSnapshot:
    ports = (PublishedPort(80, "tcp", "0.0.0.0", 80),) if role == "lb" else ()
    return ContainerSnapshot(
        host=host,
        id=f"{name:0<12}"[:12],
        name=name,
        image=image,
        state=state,
        status="Up 5 minutes" if state == "running" else "Exited (137) 1 minute ago",
        health=None,
        attachments=tuple(Attachment(net, ip) for net, ip in ips.items()),
        ports=ports,
        labels={"lbtui.topology": "presentation", "lbtui.role": role},
    )


def _overlay(host: str, members: tuple[Attachment, ...]) -> NetworkSnapshot:
    return NetworkSnapshot(
        host=host,
        id="ov0presentation",
        name="presentation_backend",
        driver="overlay",
        scope="swarm",
        internal=True,
        attachable=True,
        subnets=("10.0.1.0/24",),
        members=members,
    )


def _bridge(host: str, index: int, members: tuple[Attachment, ...] = ()) -> NetworkSnapshot:
    return NetworkSnapshot(
        host=host,
        id=f"br{index}bridge",
        name="bridge",
        driver="bridge",
        scope="local",
        internal=False,
        attachable=False,
        subnets=(f"172.{17 + index}.0.0/16",),
        members=members,
    )


def deployed_hosts(web2_state: str = "running") -> dict[str, HostSnapshot]:
    """The reference topology deployed; docker3's daemon is down when web2_state is 'down'."""
    overlay = "presentation_backend"
    haproxy = _container(
        "docker1",
        "haproxy",
        "lbtui/haproxy:lab",
        {overlay: "10.0.1.2", "bridge": "172.18.0.2"},
        "lb",
    )
    web1 = _container("docker2", "web1", "lbtui/web:lab", {overlay: "10.0.1.3"}, "backend")
    web2 = _container(
        "docker3", "web2", "lbtui/web:lab", {overlay: "10.0.1.4"}, "backend", web2_state
    )
    common = {"reachable": True, "polled_at": FROZEN_NOW - 2, "engine_version": "20.10.24"}
    hosts = {
        "docker1": HostSnapshot(
            name="docker1",
            url="unix:///run/lbtui/lab/docker1.sock",
            swarm_state="active",
            swarm_role="manager",
            containers=(haproxy,),
            networks=(
                _overlay("docker1", (Attachment("haproxy", "10.0.1.2"),)),
                _bridge("docker1", 1, (Attachment("haproxy", "172.18.0.2"),)),
            ),
            **common,  # type: ignore[arg-type]
        ),
        "docker2": HostSnapshot(
            name="docker2",
            url="unix:///run/lbtui/lab/docker2.sock",
            swarm_state="active",
            swarm_role="worker",
            containers=(web1,),
            networks=(
                _overlay("docker2", (Attachment("web1", "10.0.1.3"),)),
                _bridge("docker2", 2),
            ),
            **common,  # type: ignore[arg-type]
        ),
        "docker3": HostSnapshot(
            name="docker3",
            url="unix:///run/lbtui/lab/docker3.sock",
            swarm_state="active",
            swarm_role="worker",
            containers=(web2,),
            networks=(
                _overlay("docker3", (Attachment("web2", "10.0.1.4"),)),
                _bridge("docker3", 3),
            ),
            **common,  # type: ignore[arg-type]
        ),
    }
    return hosts


def reference_stats() -> VipView:
    """Both servers UP, round-robin visible in the shares and sparklines."""
    history1 = tuple(float(5 + (i % 3)) for i in range(60))
    history2 = tuple(float(5 + ((i + 1) % 3)) for i in range(60))
    servers = (
        ServerView(
            "web1",
            "UP",
            "L7OK",
            "200",
            1,
            1,
            0,
            1503,
            1503,
            6.0,
            1503,
            0,
            0.5,
            history1,
            0,
            0,
            1,
            2,
        ),
        ServerView(
            "web2",
            "UP",
            "L7OK",
            "200",
            2,
            1,
            1,
            1502,
            1502,
            6.0,
            1502,
            0,
            0.5,
            history2,
            0,
            1,
            3,
            4,
        ),
    )
    return VipView("presentation", True, FROZEN_NOW - 1, None, 1, 3005, 12.0, servers)


class BlockingStream:
    """Yields its items, then blocks until closed (like a Docker event stream)."""

    def __init__(self, items: tuple[Any, ...] = ()) -> None:
        self._items = items
        self._closed = threading.Event()

    def __iter__(self) -> Iterator[Any]:
        yield from self._items
        self._closed.wait()

    def close(self) -> None:
        self._closed.set()


class FakeGateway:
    """Docker source and container control over fixed snapshots."""

    def __init__(self, hosts: dict[str, HostSnapshot]) -> None:
        self.hosts = hosts
        self.calls: list[tuple[str, str, str]] = []

    def snapshot_host(self, name: str) -> HostSnapshot:
        return self.hosts[name]

    def events(self, name: str) -> Stream:
        return BlockingStream()

    def stop(self, host: str, container: str) -> None:
        self.calls.append(("stop", host, container))

    def start(self, host: str, container: str) -> None:
        self.calls.append(("start", host, container))

    def kill(self, host: str, container: str) -> None:
        self.calls.append(("kill", host, container))

    def inspect_container(self, host: str, container: str) -> Mapping[str, Any]:
        return {
            "Name": f"/{container}",
            "Id": f"{container:0<12}"[:12],
            "State": {"Status": "running", "Running": True, "Pid": 4242},
            "Config": {"Image": "lbtui/web:lab", "Labels": {"lbtui.topology": "presentation"}},
        }

    def inspect_network(self, host: str, network: str) -> Mapping[str, Any]:
        return {"Name": network, "Driver": "overlay", "Internal": True}

    def host_info(self, host: str) -> Mapping[str, Any]:
        return {"Name": host, "ServerVersion": "20.10.24", "Containers": 1}

    def logs(self, host: str, container: str, tail: int) -> Stream:
        lines = tuple(f"10.0.1.2 - - GET /index.html 200 (request {i})" for i in range(1, 4))
        return BlockingStream(lines)


class FakeStats:
    """Fixed stats for every VIP."""

    def __init__(self, view: VipView) -> None:
        self.view = view

    def poll(self, vip: str) -> VipView:
        return dataclasses.replace(self.view, vip=vip)


def fake_window(servers: tuple[str, ...] = ("web1", "web2"), seconds: int = 30) -> WindowSnapshot:
    """A real sliding window fed fixed outcomes on a fixed clock: `seconds` seconds of 10
    requests a second per server, web2 slower and with a few failures after second 20."""
    now = [0.0]
    window = SlidingWindow(clock=lambda: now[0])
    for second in range(seconds):
        for index, server in enumerate(servers):
            for request in range(10):
                now[0] = second + request / 10
                slow = index % 2 == 1 and second >= 20
                latency = (2.0 + index + request / 10 + (40.0 if slow else 0.0)) / 1000
                if slow and request == 9:
                    outcome = Outcome(FROZEN_NOW, 5.0, error=ErrorKind.TIMEOUT, detail="timeout")
                else:
                    outcome = answered(FROZEN_NOW, latency, 200, server)
                window.record(outcome)
    now[0] = float(seconds)
    return window.snapshot()


class FakeTrafficControl:
    """Continuous traffic that records what it was asked, and reports a fixed window."""

    def __init__(self, vip: str) -> None:
        self.vip = vip
        self.calls: list[str] = []
        self.rate = 20.0
        self.mode: TrafficMode = "fresh"
        self.running = False
        self.sent = 0
        self.window = fake_window()

    def start(self) -> TrafficTally:
        self.calls.append("start")
        self.running, self.sent = True, 100
        return self.tally_or_empty()

    def stop(self) -> TrafficTally | None:
        self.calls.append("stop")
        self.running = False
        return self.tally_or_empty()

    def faster(self) -> float:
        self.calls.append("faster")
        self.rate = step_rate(self.rate, 1)
        return self.rate

    def slower(self) -> float:
        self.calls.append("slower")
        self.rate = step_rate(self.rate, -1)
        return self.rate

    def toggle_mode(self) -> TrafficMode:
        self.calls.append("mode")
        self.mode = "keepalive" if self.mode == "fresh" else "fresh"
        return self.mode

    def tally_or_empty(self) -> TrafficTally:
        recent = tuple(Response(f"web{1 + i % 2}") for i in range(50))
        return TrafficTally(
            url="http://198.18.0.11:80/",
            mode=self.mode,
            target_rate=self.rate,
            elapsed_s=5.0,
            sent=self.sent,
            ok=self.sent,
            failed=0,
            servers={"web1": self.sent // 2, "web2": self.sent // 2} if self.sent else {},
            recent=recent if self.sent else (),
            running=self.running,
            finished_reason=None if self.running or not self.sent else "stopped",
            figures=self.window if self.sent else WindowSnapshot(),
        )


class FakeTraffic:
    """One fake control per VIP."""

    def __init__(self) -> None:
        self.controls: dict[str, FakeTrafficControl] = {}

    def control(self, vip: str) -> TrafficControl:
        return self.controls.setdefault(vip, FakeTrafficControl(vip))


class FakeServers:
    """Records runtime server changes."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str, int | None]] = []

    def control(
        self, vip: str, server: str, action: str, weight: int | None, reporter: Reporter
    ) -> str:
        self.calls.append((vip, server, action, weight))
        return f"{vip}/{server}: {action}"


class FakeFaults:
    """Faults held in memory, as the engines would report them; `refuse` makes `add` fail."""

    def __init__(self, topology: Topology) -> None:
        self._topology = topology
        self.held: list[ActiveFault] = []
        self.calls: list[tuple[str, FaultRequest | str | None]] = []
        self.refuse: Exception | None = None
        self.unreadable: Exception | None = None

    def add(self, request: FaultRequest, reporter: Reporter) -> tuple[ActiveFault, ...]:
        self.calls.append(("add", request))
        if self.refuse is not None:
            raise self.refuse
        placements = resolve_target(self._topology, request.target)
        fault = ActiveFault(
            target=request.target,
            kind=request.kind,
            host=placements[0].host,
            containers=tuple(p.name for p in placements),
            percent=request.percent,
            kbit=request.kbit,
            ms=request.ms,
        )
        self.held.append(fault)
        return (fault,)

    def clear(self, target: str | None, reporter: Reporter) -> tuple[ActiveFault, ...]:
        self.calls.append(("clear", target))
        cleared = tuple(f for f in self.held if target is None or f.target == target)
        self.held = [f for f in self.held if f not in cleared]
        return cleared

    def active(self) -> tuple[ActiveFault, ...]:
        if self.unreadable is not None:
            raise self.unreadable
        return tuple(self.held)


PREVIEW_DIFF = """\
--- running
+++ new
@@ -18,4 +18,5 @@
     stats auth admin:***
     balance roundrobin
     server web1 web1:80 check
     server web2 web2:80 check
+    server web3 web3:80 check"""
"""A redeploy diff as the core makes it: password masked, web3 joining the pool."""


def fake_preview(vip: str) -> RedeployPreview:
    """What a redeploy of `vip` that adds web3 shows before it changes anything."""
    summary = (
        f"VIP {vip} (haproxy on docker1)",
        "  servers added to the pool: web3",
        "  seamless reload (no restart): only the configuration changed",
    )
    return RedeployPreview(vip, summary, PREVIEW_DIFF)


class FakeActions:
    """Records the tasks asked for; shows a redeploy's plan; reports one step per execution."""

    def __init__(self, topology: Topology) -> None:
        self._topology = topology
        self.calls: list[tuple[str, str | None]] = []

    def run(
        self,
        task: Task,
        reporter: Reporter,
        vip: str | None = None,
        show: ShowPreview = ignore_preview,
    ) -> str | None:
        self.calls.append((task, vip))
        if task.needs_vip:
            show(fake_preview(vip or ""))
        if task is Task.PREVIEW:  # like the real one: plans and shows, executes nothing
            return f"VIP {vip}: not redeployed, nothing changed"
        reporter(ProgressEvent(Phase.STARTED, task, vip or "all", at=FROZEN_NOW))
        reporter(ProgressEvent(Phase.DONE, task, vip or "all", at=FROZEN_NOW))
        return "keep web1 on docker2" if task is Task.PLAN else None

    def topology(self) -> Topology:
        return self._topology


def fake_services(hosts: dict[str, HostSnapshot] | None = None) -> Services:
    """Services over the fake gateway, stats and actions, with the frozen clock."""
    topology = reference_topology()
    gateway = FakeGateway(deployed_hosts() if hosts is None else hosts)
    return Services(
        docker=gateway,
        control=gateway,
        stats=FakeStats(reference_stats()),
        actions=FakeActions(topology),
        traffic=FakeTraffic(),
        servers=FakeServers(),
        faults=FakeFaults(topology),
        clock=frozen_clock,
    )
