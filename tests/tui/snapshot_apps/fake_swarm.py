"""A topology with a swarm service behind its VIP, and fake swarm services, for UI tests ONLY.

The real services are tested on the lab (tests/integration/test_dashboard_services.py);
these give Pilot and the snapshots fixed data: four tasks over three hosts, the VIP's
32 template slots of which four hold a task, and a scale that records what it was asked.
"""

from __future__ import annotations

import threading

from lbtui.core.docker.snapshots import Attachment, HostSnapshot, NetworkSnapshot
from lbtui.core.errors import ActionFailed
from lbtui.core.progress import Phase, ProgressEvent, Reporter
from lbtui.core.services.status import ServiceStatus, TaskStatus
from lbtui.core.topology.limits import SERVICE_REPLICAS_MAX, slot_names
from lbtui.core.topology.model import (
    Host,
    Network,
    PoolMember,
    Service,
    StatsPage,
    Swarm,
    Topology,
    Vip,
)
from lbtui.tui.app import LbtuiApp, make_app
from lbtui.tui.data.services import Services
from lbtui.tui.data.stats_view import ServerView, VipView
from lbtui.tui.present.service_rows import UNUSED_SLOT_STATUS
from tests.tui.snapshot_apps.apps import FROZEN_REFRESH
from tests.tui.snapshot_apps.fake import (
    FROZEN_NOW,
    FakeActions,
    FakeFaults,
    FakeGateway,
    FakeServers,
    FakeStats,
    FakeTraffic,
    _container,
    frozen_clock,
)

OVERLAY = "app_overlay"
PLACES = ("docker1", "docker2", "docker3")


def services_topology() -> Topology:
    """The services sample: `web`, 4 replicas over docker1..3, behind VIP `front`."""
    hosts = {
        f"docker{i}": Host(f"docker{i}", f"unix:///run/lbtui/lab/docker{i}.sock", f"198.18.0.1{i}")
        for i in (1, 2, 3)
    }
    vip = Vip(
        name="front",
        host="docker1",
        container="front_lb",
        image="lbtui/haproxy:lab",
        network=OVERLAY,
        publish=80,
        servers=(PoolMember("web"),),
        connect_bridge=True,
        stats=StatsPage(password_env="LBTUI_STATS_PASSWORD"),
    )
    return Topology(
        name="services",
        hosts=hosts,
        networks={OVERLAY: Network(OVERLAY, "overlay", internal=True, attachable=True)},
        backends={},
        vips={"front": vip},
        swarm=Swarm("docker1"),
        services={"web": Service("web", "lbtui/web:lab", OVERLAY, replicas=4, placement=PLACES)},
    )


def web_status(replicas: int = 4, running: int | None = None) -> ServiceStatus:
    """`web` with `replicas` tasks spread over the three hosts; the first `running` run."""
    up = replicas if running is None else running
    tasks = tuple(
        TaskStatus(
            slot=n,
            host=PLACES[(n - 1) % len(PLACES)],
            state="running" if n <= up else "preparing",
            address=f"10.0.2.{10 + n}",
        )
        for n in range(1, replicas + 1)
    )
    return ServiceStatus("web", "lbtui/web:lab", replicas, up, tasks)


def services_stats(tasks: int = 4, disabled: tuple[str, ...] = ()) -> VipView:
    """VIP `front`: `tasks` slots UP (or MAINT when `disabled`), the other slots unused."""
    servers = []
    for number, name in enumerate(slot_names("web"), start=1):
        if number > tasks:
            servers.append(ServerView(name, UNUSED_SLOT_STATUS))
            continue
        history = tuple(float(3 + (i + number) % 3) for i in range(60))
        status = "MAINT" if name in disabled else "UP"
        rate = 0.0 if name in disabled else 3.0
        servers.append(
            ServerView(name, status, "L7OK", "200", 1, 1, 0, 700, 700, rate, 700, 0, 0.25, history)
        )
    return VipView("front", True, FROZEN_NOW - 1, None, 1, 2800, 12.0, tuple(servers))


def services_hosts() -> dict[str, HostSnapshot]:
    """The LB on docker1 and the overlay on every host (task containers left out)."""
    common = {"reachable": True, "polled_at": FROZEN_NOW - 2, "engine_version": "20.10.24"}
    lb = _container("docker1", "front_lb", "lbtui/haproxy:lab", {OVERLAY: "10.0.2.2"}, "lb")
    hosts = {}
    for index, name in enumerate(PLACES, start=1):
        overlay = NetworkSnapshot(
            host=name,
            id="ov0services",
            name=OVERLAY,
            driver="overlay",
            scope="swarm",
            internal=True,
            attachable=True,
            subnets=("10.0.2.0/24",),
            members=(Attachment("front_lb", "10.0.2.2"),) if index == 1 else (),
        )
        hosts[name] = HostSnapshot(
            name=name,
            url=f"unix:///run/lbtui/lab/{name}.sock",
            swarm_state="active",
            swarm_role="manager" if index == 1 else "worker",
            containers=(lb,) if index == 1 else (),
            networks=(overlay,),
            **common,  # type: ignore[arg-type]
        )
    return hosts


class FakeSwarm:
    """`web` as the manager reports it; a scale records its target and reports like the core."""

    def __init__(self, status: ServiceStatus | None = None) -> None:
        self.status = status or web_status()
        self.calls: list[tuple[str, int]] = []
        self.failure: Exception | None = None
        """Raised by the next scale, after its STARTED event (as the core reports a failure)."""
        self.release: threading.Event | None = None
        """When set, a scale waits for it before finishing (a scale in progress)."""

    def statuses(self) -> tuple[ServiceStatus, ...]:
        return (self.status,)

    def scale(self, service: str, replicas: int, reporter: Reporter) -> str:
        self.calls.append((service, replicas))
        before = self.status.desired
        if not 1 <= replicas <= SERVICE_REPLICAS_MAX:
            raise ActionFailed(f"replicas {replicas} out of range")  # the dashboard must not ask
        reporter(
            ProgressEvent(
                Phase.STARTED, "scale", service, "docker1", f"{before} -> {replicas} tasks"
            )
        )
        if self.release is not None:
            self.release.wait(10)
        if self.failure is not None:
            reporter(ProgressEvent(Phase.FAILED, "scale", service, "docker1", str(self.failure)))
            raise self.failure
        self.status = web_status(replicas)
        done = f"service {service}: {before} -> {replicas} tasks in 0.1 s (front: {replicas} UP)"
        reporter(ProgressEvent(Phase.DONE, "scale", service, "docker1", done))
        return done


def fake_swarm_services(swarm: FakeSwarm | None = None, stats: VipView | None = None) -> Services:
    """Services for the services topology: the fake gateway, stats and swarm, frozen clock."""
    topology = services_topology()
    gateway = FakeGateway(services_hosts())
    return Services(
        docker=gateway,
        control=gateway,
        stats=FakeStats(stats or services_stats()),
        actions=FakeActions(topology),
        traffic=FakeTraffic(),
        servers=FakeServers(),
        faults=FakeFaults(topology),
        swarm=swarm or FakeSwarm(),
        clock=frozen_clock,
    )


def build_services_app(services: Services | None = None) -> LbtuiApp:
    """The dashboard on the services topology over the fakes."""
    return make_app(services_topology(), services or fake_swarm_services(), refresh=FROZEN_REFRESH)
