"""The pure parts of a rollout: runtime commands, gate bounds, what replaces tasks, --image."""

from __future__ import annotations

import dataclasses
import threading
import time
from pathlib import Path

import docker.types
import pytest

from lbtui.core.docker.services import (
    ServiceRequest,
    ServiceSnapshot,
    _spec_arguments,
    service_from_inspect,
    task_from_inspect,
)
from lbtui.core.errors import BadInput
from lbtui.core.haproxy.runtime import (
    RuntimeCommandFailed,
    check_addr_reply,
    set_server_addr,
    set_server_health,
)
from lbtui.core.rollout import container, service
from lbtui.core.rollout.run import with_image
from lbtui.core.services.spec import service_request
from lbtui.core.topology.load import load_topology
from lbtui.core.topology.model import HealthCheck, Topology

SAMPLE = Path(__file__).parents[2] / "lbtui" / "resources" / "topologies" / "services.yaml"


@pytest.fixture
def topology() -> Topology:
    return load_topology(SAMPLE)


def test_server_address_and_health_commands() -> None:
    assert (
        set_server_addr("be", "app1", "10.0.1.7", 80) == "set server be/app1 addr 10.0.1.7 port 80"
    )
    assert set_server_health("be", "app1", "down") == "set server be/app1 health down"
    with pytest.raises(BadInput, match="IPv4 or IPv6"):
        set_server_addr("be", "app1", "10.0.1.7; shutdown sessions", 80)
    with pytest.raises(BadInput, match="up or down"):
        set_server_health("be", "app1", "stopping")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "reply",
    [
        "",
        "IP changed from '10.0.1.5' to '10.0.1.7', no need to change the port\n",
        "no need to change the addr, no need to change the port\n",
    ],
)
def test_address_replies_that_mean_done(reply: str) -> None:
    check_addr_reply("set server be/app1 addr 10.0.1.7 port 80", reply)


def test_an_address_refusal_is_raised() -> None:
    with pytest.raises(RuntimeCommandFailed, match="No such server"):
        check_addr_reply("set server be/x addr 10.0.1.7 port 80", "No such server.\n")


def test_gate_bounds_follow_the_slowest_vip_check(topology: Topology) -> None:
    vip = topology.vips["front"]
    slow = dataclasses.replace(vip, health_check=HealthCheck(interval_ms=5000, rise=3))
    assert container.gate_bound_s([vip]) == 5.0 + 3 * 2.0
    assert container.gate_bound_s([vip, slow]) == 5.0 + 4 * 5.0
    assert service.gate_bound_s([vip]) == 3.0 + 3 * 2.0
    assert service.gate_bound_s([]) == 3.0


def _found(request: ServiceRequest) -> ServiceSnapshot:
    return service_from_inspect({"ID": "s1", "Spec": {"Name": "web", "Labels": request.labels}})


def test_only_an_update_settings_change_replaces_no_task(topology: Topology) -> None:
    web = topology.services["web"]
    running = service_request(topology, web)
    found = _found(running)
    update = dataclasses.replace(web.update, order="stop-first")
    settings = service_request(topology, dataclasses.replace(web, update=update))
    image = service_request(topology, dataclasses.replace(web, image="lbtui/web:lab-v2"))
    assert not service.replaces_tasks(found, settings)
    assert service.replaces_tasks(found, image)
    bare = service_from_inspect({"ID": "s1", "Spec": {"Name": "web", "Labels": {}}})
    assert service.replaces_tasks(bare, settings)


def test_swarm_paces_updates_and_rollbacks_alike(topology: Topology) -> None:
    request = dataclasses.replace(
        service_request(topology, topology.services["web"]), update_delay_s=12.5
    )
    arguments = _spec_arguments(request)
    update, rollback = arguments["update_config"], arguments["rollback_config"]
    assert isinstance(rollback, docker.types.RollbackConfig)
    assert (update["Delay"], rollback["Delay"]) == (12_500_000_000, 12_500_000_000)
    assert (update["FailureAction"], rollback["FailureAction"]) == ("rollback", "pause")
    assert update["Parallelism"] == rollback["Parallelism"] == 1


def test_a_task_names_its_image_and_a_service_its_update_message() -> None:
    task = task_from_inspect(
        {"ID": "t1", "Slot": 3, "Spec": {"ContainerSpec": {"Image": "lbtui/web:lab-v2"}}}
    )
    assert (task.slot, task.image) == (3, "lbtui/web:lab-v2")
    found = service_from_inspect(
        {"ID": "s1", "UpdateStatus": {"State": "paused", "Message": "update paused due to x"}}
    )
    assert (found.update_state, found.update_message) == ("paused", "update paused due to x")


def test_rollout_image_replaces_only_that_service(topology: Topology) -> None:
    changed, web = with_image(topology, "web", "lbtui/web:lab-v2")
    assert web.image == changed.services["web"].image == "lbtui/web:lab-v2"
    assert topology.services["web"].image == "lbtui/web:lab"
    assert with_image(topology, "web", None) == (topology, topology.services["web"])
    with pytest.raises(BadInput, match="no spaces"):
        with_image(topology, "web", "lbtui/web lab")
    with pytest.raises(BadInput, match="has no service 'wbe'"):
        with_image(topology, "wbe", "x")


def test_two_members_of_one_pool_are_never_replaced_at_once() -> None:
    """Apply's parallel jobs: backends of one pool on two hosts take turns."""
    vips = list(load_topology(SAMPLE).vips.values())
    inside = 0
    most = 0
    count_lock = threading.Lock()

    def replace() -> None:
        nonlocal inside, most
        with container.one_at_a_time(vips):
            with count_lock:
                inside += 1
                most = max(most, inside)
            time.sleep(0.05)
            with count_lock:
                inside -= 1

    threads = [threading.Thread(target=replace) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert most == 1
