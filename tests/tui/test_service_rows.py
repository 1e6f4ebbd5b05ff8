"""The services pane's rows, the service hop, slot hiding and scale events (pure functions)."""

from __future__ import annotations

import dataclasses

from lbtui.core.progress import Phase, ProgressEvent
from lbtui.core.services.status import ServiceStatus, TaskStatus
from lbtui.tui.data.stats_view import ServerView, VipView
from lbtui.tui.present.service_rows import (
    activity_change,
    live_view,
    service_events,
    service_hop,
    service_of,
    service_rows,
)
from tests.tui.snapshot_apps.fake_swarm import services_stats, web_status


def test_rows_name_the_service_then_each_task_with_its_host_and_state() -> None:
    failed = TaskStatus(2, "docker2", "rejected", "", "No such image: \x1b[31mweb\x1b[0m")
    status = dataclasses.replace(web_status(2), tasks=(web_status(2).tasks[0], failed))
    rows = service_rows([status], {})
    assert list(rows) == ["web", "web/1", "web/2"]
    assert rows["web"][3] == "docker1 1"  # only running tasks count per host
    assert rows["web/2"][3:] == ("docker2", r"rejected: No such image: \x1b[31mweb\x1b[0m", "-")
    assert service_of("web/2") == service_of("web") == "web"


def test_two_tasks_in_one_slot_both_get_a_row() -> None:
    task = TaskStatus(1, "docker1", "running", "10.0.2.11")
    leaving = TaskStatus(1, "docker2", "shutdown", "10.0.2.12")
    status = ServiceStatus("web", "lbtui/web:lab", 1, 1, (task, leaving))
    assert list(service_rows([status], {})) == ["web", "web/1", "web/1#2"]


def test_an_undeployed_service_says_why_and_an_activity_replaces_the_state() -> None:
    missing = ServiceStatus("web", "lbtui/web:lab", 4, 0, (), False, "not deployed")
    assert service_rows([missing], {})["web"][2:5] == ("-", "-", "not deployed")
    busy = service_rows([web_status()], {"web": "scaling 4 -> 5 tasks"})
    assert busy["web"][4] == "scaling 4 -> 5 tasks"


def test_unused_slots_leave_the_view_and_used_ones_stay() -> None:
    stats = services_stats(tasks=3, disabled=("web.3",))
    view = live_view(stats, {"web"})
    assert [s.name for s in view.servers] == ["web.1", "web.2", "web.3"]
    assert live_view(stats, set()) is stats  # no service in this pool: nothing is a slot
    plain = VipView("v", True, 0.0, servers=(ServerView("web.1", "MAINT (resolution)"),))
    assert live_view(plain, {"api"}) is plain  # a slot of a service not in the pool


def test_the_hop_counts_used_slots_and_the_swarm() -> None:
    hop = service_hop("web", services_stats(tasks=4), web_status(4), "")
    assert (hop.text, hop.state) == ("service web: 4/4 tasks UP in the LB; swarm 4/4", "ok")
    hop = service_hop("web", services_stats(tasks=4), web_status(5), "")
    assert hop.state == "bad"  # swarm runs 5, the LB serves 4
    hop = service_hop("web", services_stats(tasks=4, disabled=("web.1",)), None, "")
    assert (hop.text, hop.state) == ("service web: 3/4 tasks UP in the LB", "bad")
    hop = service_hop("web", None, web_status(4), "scaling 4 -> 5 tasks")
    assert hop.text == "service web: tasks through DNS; swarm 4/4; scaling 4 -> 5 tasks"
    assert hop.state == "planned"


def test_scale_and_rollout_events_of_a_service_start_and_end_an_activity() -> None:
    started = ProgressEvent(Phase.STARTED, "scale", "web", "docker1", "4 -> 5 tasks")
    assert activity_change(started, {"web"}) == ("web", "scaling 4 -> 5 tasks")
    rollout = ProgressEvent(Phase.STARTED, "rollout", "web", None, "to lbtui/web:v2")
    assert activity_change(rollout, {"web"}) == ("web", "rolling out to lbtui/web:v2")
    for phase in (Phase.DONE, Phase.FAILED):
        assert activity_change(dataclasses.replace(started, phase=phase), {"web"}) == ("web", "")
    drained = ProgressEvent(Phase.DONE, "scale", "drain", "docker1", "drained front/web.3")
    assert activity_change(drained, {"web"}) is None
    task = ProgressEvent(Phase.STARTED, "rollout", "web.2", "docker1", "drained (front)")
    assert activity_change(task, {"web"}) == ("web", "rolling out: web.2 started drained (front)")
    assert activity_change(task, {"api"}) is None
    assert activity_change(ProgressEvent(Phase.STARTED, "lb", "web"), {"web"}) is None


def test_service_events_name_count_changes_only_after_the_first_read() -> None:
    before = {"web": web_status(4)}
    assert service_events({}, before) == []
    assert service_events(before, before) == []
    after = {"web": web_status(5, running=4)}
    assert service_events(before, after) == ["service web: 4/4 -> 4/5 tasks running"]
    gone = {"web": ServiceStatus("web", "lbtui/web:lab", 4, 0, (), False, "not deployed")}
    assert service_events(before, gone) == ["service web: not deployed"]


def test_a_task_container_is_marked_as_its_services() -> None:
    from lbtui.core.docker.snapshots import ContainerSnapshot
    from lbtui.tui.present.rows import SWARM_SERVICE_LABEL, container_rows
    from tests.tui.snapshot_apps.fake_swarm import services_hosts, services_topology

    hosts = services_hosts()
    labels = {SWARM_SERVICE_LABEL: "web"}
    task = ContainerSnapshot(
        "docker2", "abc", "web.1.x1y2", "lbtui/web:lab", "running", "Up", None, (), (), labels
    )
    other = dataclasses.replace(task, name="stray", labels={SWARM_SERVICE_LABEL: "other"})
    hosts["docker2"] = dataclasses.replace(hosts["docker2"], containers=(task, other))
    rows = container_rows(services_topology(), hosts)
    assert rows["docker2/web.1.x1y2"][8] == "● task of web"
    assert rows["docker2/stray"][8] == ""
