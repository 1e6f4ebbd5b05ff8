"""Redeploy decisions on an in-memory gateway: reload vs recreate, launches, removals, diff."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from lbtui.core.actions import apply, lb
from lbtui.core.haproxy.config import CONFIG_PATH
from lbtui.core.redeploy.execute import checks_changed
from lbtui.core.redeploy.live_config import servers_in_maintenance
from lbtui.core.redeploy.plan import (
    RedeployMode,
    config_servers,
    plan_redeploy,
    plan_vip_redeploy,
    redact_config,
)
from lbtui.core.topology.load import load_topology
from lbtui.core.topology.model import Backend, PoolMember, Topology
from tests.unit.fake_docker import FakeDockerHosts

SAMPLES = Path(__file__).resolve().parents[2] / "sample_topologies"
VIP = "presentation"


@pytest.fixture(autouse=True)
def _quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LBTUI_STATS_PASSWORD", "unit-secret")
    monkeypatch.setattr(lb, "SETTLE_S", 0.0)


@pytest.fixture
def deployed() -> tuple[Topology, FakeDockerHosts]:
    topology = load_topology(SAMPLES / "presentation.yaml")
    fake = FakeDockerHosts(topology)
    apply(fake, topology)
    return topology, fake


def _with_vip(topology: Topology, **changes: object) -> Topology:
    vip = dataclasses.replace(topology.vips[VIP], **changes)  # type: ignore[arg-type]
    return dataclasses.replace(topology, vips={VIP: vip})


def test_an_unchanged_vip_needs_nothing(deployed: tuple[Topology, FakeDockerHosts]) -> None:
    topology, fake = deployed
    plan = plan_vip_redeploy(topology, topology.vips[VIP], fake)
    assert plan.mode is RedeployMode.NONE
    assert not plan.changes_anything
    assert plan.diff == ""


def test_a_weight_change_is_a_reload_with_a_diff(
    deployed: tuple[Topology, FakeDockerHosts],
) -> None:
    topology, fake = deployed
    changed = _with_vip(topology, servers=(PoolMember("web1", 3), PoolMember("web2")))
    plan = plan_vip_redeploy(changed, changed.vips[VIP], fake)
    assert plan.mode is RedeployMode.RELOAD
    assert plan.reason == "only the configuration changed"
    assert "-    server web1" in plan.diff and "weight 3" in plan.diff
    assert not plan.backends_to_launch and not plan.servers_added
    assert any("seamless reload" in line for line in plan.describe())


def test_a_new_server_is_launched_first(deployed: tuple[Topology, FakeDockerHosts]) -> None:
    topology, fake = deployed
    web3 = Backend("web3", "docker2", "lbtui/web:lab", "presentation_backend")
    servers = (*topology.vips[VIP].servers, PoolMember("web3"))
    changed = dataclasses.replace(
        _with_vip(topology, servers=servers), backends={**topology.backends, "web3": web3}
    )
    plan = plan_vip_redeploy(changed, changed.vips[VIP], fake)
    assert plan.mode is RedeployMode.RELOAD
    assert plan.servers_added == ("web3",)
    assert [(c.target, c.host, c.verdict.value) for c in plan.backends_to_launch] == [
        ("web3", "docker2", "create")
    ]


def test_a_dropped_backend_is_removed_after_the_reload(
    deployed: tuple[Topology, FakeDockerHosts],
) -> None:
    topology, fake = deployed
    backends = {"web1": topology.backends["web1"]}
    changed = dataclasses.replace(
        _with_vip(topology, servers=(PoolMember("web1"),)), backends=backends
    )
    plan = plan_vip_redeploy(changed, changed.vips[VIP], fake)
    assert plan.servers_removed == ("web2",)
    assert [(r.host, r.name) for r in plan.containers_to_remove] == [("docker3", "web2")]


def test_a_pool_member_kept_in_the_topology_is_not_removed(
    deployed: tuple[Topology, FakeDockerHosts],
) -> None:
    topology, fake = deployed
    changed = _with_vip(topology, servers=(PoolMember("web1"),))
    plan = plan_vip_redeploy(changed, changed.vips[VIP], fake)
    assert plan.servers_removed == ("web2",)
    assert plan.containers_to_remove == ()


@pytest.mark.parametrize(
    ("changes", "reason"),
    [({"publish": 8080}, "ports changed"), ({"image": "haproxy:2.6"}, "image changed")],
)
def test_image_or_port_changes_recreate_and_say_why(
    deployed: tuple[Topology, FakeDockerHosts], changes: dict[str, object], reason: str
) -> None:
    topology, fake = deployed
    changed = _with_vip(topology, **changes)
    plan = plan_vip_redeploy(changed, changed.vips[VIP], fake)
    assert plan.mode is RedeployMode.RECREATE
    assert reason in plan.reason
    assert any("interrupts" in note for note in plan.notes)


def test_no_lb_yet_means_create() -> None:
    topology = load_topology(SAMPLES / "presentation.yaml")
    fake = FakeDockerHosts(topology)
    plan = plan_vip_redeploy(topology, topology.vips[VIP], fake)
    assert plan.mode is RedeployMode.CREATE
    assert plan.running_config is None


def test_the_diff_never_shows_the_stats_password(
    deployed: tuple[Topology, FakeDockerHosts], monkeypatch: pytest.MonkeyPatch
) -> None:
    topology, fake = deployed
    monkeypatch.setenv("LBTUI_STATS_PASSWORD", "another-secret")
    plan = plan_vip_redeploy(topology, topology.vips[VIP], fake)
    assert plan.mode is RedeployMode.RELOAD
    assert "secret" not in plan.diff
    assert "the stats page password changes" in plan.notes


def test_plan_redeploy_rereads_the_file(
    tmp_path: Path, deployed: tuple[Topology, FakeDockerHosts]
) -> None:
    topology, fake = deployed
    data = yaml.safe_load((SAMPLES / "presentation.yaml").read_text())
    data["id"] = topology.id  # an edited copy is the same topology only through its id
    data["vips"][VIP]["servers"] = [{"backend": "web1", "weight": 2}, "web2"]
    path = tmp_path / "edited.yaml"
    path.write_text(yaml.safe_dump(data))
    plan = plan_redeploy(path, VIP, fake)
    assert plan.mode is RedeployMode.RELOAD
    assert "weight 2" in plan.new_config


def test_a_running_config_is_read_back_from_the_container(
    deployed: tuple[Topology, FakeDockerHosts],
) -> None:
    topology, fake = deployed
    assert fake.read_file("docker1", "haproxy", CONFIG_PATH) is not None
    plan = plan_vip_redeploy(topology, topology.vips[VIP], fake)
    assert config_servers(plan.running_config) == ["web1", "web2"]


def test_redaction_masks_only_the_password() -> None:
    text = "    stats enable\n    stats auth user:s3cr\\x3at\n    stats uri /lbstats\n"
    masked = "    stats enable\n    stats auth user:***\n    stats uri /lbstats\n"
    assert redact_config(text) == masked


def test_checks_changed_ignores_weights_but_not_check_settings(
    deployed: tuple[Topology, FakeDockerHosts],
) -> None:
    topology, fake = deployed
    weighted = _with_vip(topology, servers=(PoolMember("web1", 3), PoolMember("web2")))
    assert not checks_changed(plan_vip_redeploy(weighted, weighted.vips[VIP], fake))
    check = dataclasses.replace(topology.vips[VIP].health_check, path="/health")
    rechecked = _with_vip(topology, health_check=check)
    assert checks_changed(plan_vip_redeploy(rechecked, rechecked.vips[VIP], fake))


_HEADER = (
    "# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight "
    "srv_iweight srv_time_since_last_change srv_check_status srv_check_result "
    "srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id "
    "srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr "
    "srv_agent_port"
)
STATE = "\n".join(
    [
        "1",
        _HEADER,
        "3 pool 1 web1 10.0.1.2 2 1 1 1 5 15 3 4 6 0 0 0 web1 80 - 0 0 - - 0",
        "3 pool 2 web2 10.0.1.4 2 8 1 1 5 15 3 4 6 0 0 0 web2 80 - 0 0 - - 0",
        "3 pool 3 web3 10.0.1.6 2 0 1 1 5 15 3 4 6 0 0 0 web3 80 - 0 0 - - 0",
        "",
    ]
)


def test_servers_put_in_maintenance_at_run_time_are_expected_down() -> None:
    assert servers_in_maintenance(STATE, "pool") == {"web1"}
    assert servers_in_maintenance(STATE, "other") == set()
    assert servers_in_maintenance("", "pool") == set()


def test_a_running_config_lbtui_did_not_write_is_replaced_not_guessed_at(
    deployed: tuple[Topology, FakeDockerHosts],
) -> None:
    topology, fake = deployed
    hand_made = b"global\n    maxconn 10\n\nlisten web\n    bind *:80\n    server web9 web9:80\n"
    fake.put_files("docker1", "haproxy", {CONFIG_PATH: hand_made})
    plan = plan_vip_redeploy(topology, topology.vips[VIP], fake)
    assert plan.mode is RedeployMode.RELOAD
    assert plan.running_model is None and plan.servers_removed == ()
    assert [note for note in plan.notes if "replaced as a whole" in note] == [
        "the running configuration is replaced as a whole: haproxy.cfg is not one lbtui "
        "wrote: line 4: unexpected section 'listen web'"
    ]
    assert checks_changed(plan)
    assert "+    server web1 web1:80" in plan.diff


def test_a_running_config_without_runtime_api_is_noted(
    deployed: tuple[Topology, FakeDockerHosts],
) -> None:
    topology, fake = deployed
    running = fake.read_file("docker1", "haproxy", CONFIG_PATH)
    assert running is not None
    older = b"\n".join(
        line for line in running.splitlines() if not line.strip().startswith(b"stats socket")
    )
    fake.put_files("docker1", "haproxy", {CONFIG_PATH: older + b"\n"})
    plan = plan_vip_redeploy(topology, topology.vips[VIP], fake)
    assert plan.running_model is not None
    assert plan.running_model.server_names == ("web1", "web2")
    assert "the running LB has no runtime API; server state cannot be carried over" in plan.notes
    assert not checks_changed(plan)
