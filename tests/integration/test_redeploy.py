"""Redeploying a VIP on the real lab under load: nothing dropped, state kept, bad config refused."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest

from lbtui.cli import main
from lbtui.core.control.servers import ServerAction, control_server
from lbtui.core.errors import ConfigRejected
from lbtui.core.haproxy.config import CONFIG_PATH
from lbtui.core.haproxy.credentials import resolve_stats_credentials
from lbtui.core.haproxy.stats import StatsClient, vip_stats_url
from lbtui.core.redeploy.execute import RedeployRolledBack, execute_redeploy
from lbtui.core.redeploy.plan import RedeployMode, plan_redeploy
from lbtui.lab import WEB_IMAGE, LabStatus
from tests.integration.probes import sdk, wait_servers_up
from tests.integration.redeploy_support import (
    VIP,
    Deployed,
    deployed_reference,
    failure_report,
    load,
    more_answers,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def ref(lab: LabStatus, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    with deployed_reference(lab, tmp_path_factory.mktemp("redeploy"), "redeploy") as deployed:
        yield deployed


def _lb_id(lab: LabStatus) -> str:
    with sdk(lab, "docker1") as client:
        return str(client.containers.get("haproxy").id)


def _live_config(ref: Deployed) -> bytes | None:
    return ref.hosts.read_file("docker1", "haproxy", CONFIG_PATH)


def _sum(*counts: dict[str, int]) -> dict[str, int]:
    total: dict[str, int] = {}
    for count in counts:
        for name, value in count.items():
            total[name] = total.get(name, 0) + value
    return total


def _weights(data: dict[str, Any], **weights: int) -> None:
    data["vips"][VIP]["servers"] = [
        {"backend": name, "weight": weights.get(name, 1)} for name in ("web1", "web2")
    ]


def test_a_weight_change_reloads_under_load_and_drops_nothing(
    lab: LabStatus, ref: Deployed
) -> None:
    lb_before = _lb_id(lab)
    ref.write(lambda data: _weights(data, web1=3))
    with load(ref.topology, "fresh") as fresh, load(ref.topology, "keepalive") as pooled:
        plan = plan_redeploy(ref.path, VIP, ref.hosts)
        assert plan.mode is RedeployMode.RELOAD
        assert "weight 3" in plan.diff
        result = execute_redeploy(plan, ref.hosts)
        after = (fresh.tally(), pooled.tally())
        more_answers(fresh, after[0], 200)
        more_answers(pooled, after[1], 200)
        fresh_tally, pooled_tally = fresh.stop(), pooled.stop()
    assert fresh_tally.failed == 0, failure_report(fresh_tally)
    assert pooled_tally.failed == 0, failure_report(pooled_tally)
    assert _lb_id(lab) == lb_before, "a config-only change must not recreate the LB"
    assert result.serving_s is not None and result.serving_s < 5
    # Both clients together: each alone may see a skewed slice of the shared rotation.
    shares = _sum(fresh_tally.servers_since(after[0]), pooled_tally.servers_since(after[1]))
    assert 2.0 <= shares["web1"] / max(shares["web2"], 1) <= 4.5, shares


def test_adding_web3_launches_it_first_and_it_takes_traffic(lab: LabStatus, ref: Deployed) -> None:
    def add_web3(data: dict[str, Any]) -> None:
        data["backends"]["web3"] = {
            "host": "docker2",
            "image": WEB_IMAGE,
            "network": "presentation_backend",
            "port": 80,
        }
        data["vips"][VIP]["servers"] = ["web1", "web2", "web3"]

    ref.write(add_web3)
    with load(ref.topology, "fresh") as fresh, load(ref.topology, "keepalive") as pooled:
        plan = plan_redeploy(ref.path, VIP, ref.hosts)
        assert plan.servers_added == ("web3",)
        assert [c.target for c in plan.backends_to_launch] == ["web3"]
        execute_redeploy(plan, ref.hosts)
        after = (fresh.tally(), pooled.tally())
        more_answers(fresh, after[0], 150)
        more_answers(pooled, after[1], 150)
        fresh_tally, pooled_tally = fresh.stop(), pooled.stop()
    assert fresh_tally.failed == 0, failure_report(fresh_tally)
    assert pooled_tally.failed == 0, failure_report(pooled_tally)
    shares = _sum(fresh_tally.servers_since(after[0]), pooled_tally.servers_since(after[1]))
    assert shares.get("web3", 0) >= 60, shares
    with sdk(lab, "docker2") as client:
        assert client.containers.get("web3").status == "running"


def test_an_invalid_config_is_rejected_and_the_vip_keeps_serving(ref: Deployed) -> None:
    live_before = _live_config(ref)

    def typo_in_log_target(data: dict[str, Any]) -> None:
        data["vips"][VIP]["log"] = {"target": "syslog-host:51x4"}

    ref.write(typo_in_log_target)
    with load(ref.topology, "fresh") as fresh:
        plan = plan_redeploy(ref.path, VIP, ref.hosts)
        with pytest.raises(ConfigRejected, match="51x4"):
            execute_redeploy(plan, ref.hosts)
        final = more_answers(fresh, fresh.tally(), 100)
        fresh.stop()
    assert final.failed == 0, failure_report(final)
    assert _live_config(ref) == live_before


@pytest.mark.parametrize(
    ("action", "state"), [(ServerAction.DRAIN, "DRAIN"), (ServerAction.DISABLE, "MAINT")]
)
def test_runtime_server_state_survives_a_reload(
    ref: Deployed, action: ServerAction, state: str
) -> None:
    topology = ref.write()
    vip = topology.vips[VIP]
    execute_redeploy(plan_redeploy(ref.path, VIP, ref.hosts), ref.hosts)
    control_server(ref.hosts, vip, "web2", action)
    control_server(ref.hosts, vip, "web1", ServerAction.WEIGHT, 5)

    def slower_server_timeout(data: dict[str, Any]) -> None:
        data["vips"][VIP]["timeouts"]["server_ms"] = 40000

    ref.write(slower_server_timeout)
    plan = plan_redeploy(ref.path, VIP, ref.hosts)
    assert plan.mode is RedeployMode.RELOAD
    result = execute_redeploy(plan, ref.hosts)
    assert result.state_saved
    credentials = resolve_stats_credentials(topology, vip)
    with StatsClient() as stats:
        rows = stats.fetch(vip_stats_url(topology, vip), credentials, None, vip.haproxy_backend)
    web1, web2 = rows.server("web1"), rows.server("web2")
    assert web2 is not None and web2.state == state, web2
    assert web1 is not None and web1.weight == 5, web1
    control_server(ref.hosts, vip, "web2", ServerAction.ENABLE)
    control_server(ref.hosts, vip, "web1", ServerAction.WEIGHT, 1)


def test_a_config_that_fails_the_health_gate_is_rolled_back(ref: Deployed) -> None:
    ref.write()
    execute_redeploy(plan_redeploy(ref.path, VIP, ref.hosts), ref.hosts)
    live_before = _live_config(ref)

    def check_a_missing_page(data: dict[str, Any]) -> None:
        data["vips"][VIP]["health_check"]["path"] = "/no-such-page.html"

    ref.write(check_a_missing_page)
    with load(ref.topology, "fresh") as fresh:
        plan = plan_redeploy(ref.path, VIP, ref.hosts)
        with pytest.raises(RedeployRolledBack, match="rolled back"):
            execute_redeploy(plan, ref.hosts, gate_timeout_s=4.0)
        final = more_answers(fresh, fresh.tally(), 100)
        fresh.stop()
    assert final.failed == 0, failure_report(final)
    assert _live_config(ref) == live_before
    wait_servers_up(ref.write(), VIP)


class _Terminal(io.StringIO):
    """Stdin as a terminal whose user types the given answer."""

    def isatty(self) -> bool:
        return True


def test_the_cli_shows_the_diff_asks_and_only_then_reloads(
    ref: Deployed, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "300")  # Rich wraps at the terminal's width: no wrap in a line
    ref.write()
    execute_redeploy(plan_redeploy(ref.path, VIP, ref.hosts), ref.hosts)
    before = _live_config(ref)
    ref.write(lambda data: _weights(data, web2=2))
    command = ["redeploy", str(ref.path), VIP]

    assert main([*command, "--plan"]) == 0
    shown = capsys.readouterr().out
    assert "seamless reload" in shown and "+" in shown and "weight 2" in shown
    assert _live_config(ref) == before

    monkeypatch.setattr("sys.stdin", _Terminal("n\n"))
    assert main(command) == 0
    declined = capsys.readouterr().out
    assert declined.index("weight 2") < declined.index("apply this redeploy? [y/N]")
    assert declined.rstrip().endswith("nothing changed")
    assert _live_config(ref) == before

    assert main([*command, "--yes"]) == 0
    done = capsys.readouterr().out
    assert done.index("weight 2") < done.index("reload done")
    assert b"weight 2" in (_live_config(ref) or b"")
    wait_servers_up(ref.topology, VIP)


def test_redeploying_an_unchanged_vip_does_nothing(lab: LabStatus, ref: Deployed) -> None:
    ref.write()
    execute_redeploy(plan_redeploy(ref.path, VIP, ref.hosts), ref.hosts)
    lb_before = _lb_id(lab)
    plan = plan_redeploy(ref.path, VIP, ref.hosts)
    assert plan.mode is RedeployMode.NONE and plan.diff == ""
    result = execute_redeploy(plan, ref.hosts)
    assert not result.changed
    assert _lb_id(lab) == lb_before


def test_a_port_change_recreates_the_lb_and_says_why(lab: LabStatus, ref: Deployed) -> None:
    lb_before = _lb_id(lab)

    def publish_8080(data: dict[str, Any]) -> None:
        data["vips"][VIP]["publish"] = 8080

    topology = ref.write(publish_8080)
    plan = plan_redeploy(ref.path, VIP, ref.hosts)
    assert plan.mode is RedeployMode.RECREATE
    assert "ports" in plan.reason and "8080" in plan.reason
    result = execute_redeploy(plan, ref.hosts)
    assert result.healthy_s is not None
    assert _lb_id(lab) != lb_before
    wait_servers_up(topology, VIP)
