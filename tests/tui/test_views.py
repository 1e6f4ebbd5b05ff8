"""The pure parts of the dashboard: rows, path hops, timeline lines, themes, the CLI entry."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from lbtui.cli import main
from lbtui.core.docker.hosts import HostEvent
from lbtui.core.docker.parse import container_from_list
from lbtui.core.docker.snapshots import HostSnapshot
from lbtui.core.errors import BadInput
from lbtui.tui.data.stats_view import ServerView
from lbtui.tui.present import rows as views
from lbtui.tui.present.event_text import describe_docker_event, server_changes
from lbtui.tui.present.stats_text import figures_text, share_text
from lbtui.tui.settings import RefreshSettings
from lbtui.tui.themes import default_themes_dir, load_themes
from tests.tui.snapshot_apps.fake import FROZEN_NOW, deployed_hosts, reference_topology


def test_container_rows_mark_members_and_planned_ones() -> None:
    hosts = deployed_hosts()
    del hosts["docker3"]
    rows = views.container_rows(reference_topology(), hosts)
    assert rows["docker2/web1"][3] == "running" and rows["docker2/web1"][8] == "● backend"
    assert rows["docker1/haproxy"][7] == "80->80/tcp"
    assert rows["docker3/web2"][3] == "unknown"  # its host was not polled yet
    assert rows["docker3/web2"][8] == "○ backend"


def test_a_port_docker_lists_for_ipv4_and_ipv6_is_shown_once() -> None:
    # `GET /containers/json` of `docker run -p 8090:80 -p 8091:81` on an engine with IPv6:
    # one entry per address family; a port published on IPv4 alone has one entry.
    item = {
        "Id": "f00dfeed0000",
        "Names": ["/haproxy"],
        "Image": "lbtui/haproxy:lab",
        "State": "running",
        "Status": "Up 2 minutes",
        "Ports": [
            {"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 8090, "Type": "tcp"},
            {"IP": "::", "PrivatePort": 80, "PublicPort": 8090, "Type": "tcp"},
            {"IP": "0.0.0.0", "PrivatePort": 81, "PublicPort": 8091, "Type": "tcp"},
            {"IP": "::", "PrivatePort": 81, "PublicPort": 8092, "Type": "tcp"},
            {"PrivatePort": 9000, "Type": "tcp"},
        ],
    }
    hosts = deployed_hosts()
    container = container_from_list("docker1", item)
    hosts["docker1"] = dataclasses.replace(hosts["docker1"], containers=(container,))
    rows = views.container_rows(reference_topology(), hosts)
    assert len(container.ports) == 4  # the snapshot keeps what Docker said
    assert rows["docker1/haproxy"][7] == "8090->80/tcp, 8091->81/tcp, 8092->81/tcp"


def test_networks_merge_an_overlay_across_hosts_and_show_planned_ones() -> None:
    rows = views.network_rows(reference_topology(), deployed_hosts())
    overlay = rows["net/presentation_backend"]
    assert overlay[1:3] == ("overlay", "swarm")
    assert "docker2: web1 10.0.1.3" in overlay[6] and "docker3: web2 10.0.1.4" in overlay[6]
    empty = {"docker1": HostSnapshot("docker1", "unix:///x", True, 0.0)}
    planned = views.network_rows(reference_topology(), empty)
    assert planned["net/presentation_backend"][2] == "planned"


def test_host_rows_say_unreachable_with_the_reason_and_age() -> None:
    hosts = deployed_hosts()
    hosts["docker2"] = HostSnapshot("docker2", "unix:///x", False, 0.0, error="refused\nmore")
    last_ok = {"docker1": FROZEN_NOW - 3}
    rows = views.host_rows(reference_topology(), hosts, last_ok, FROZEN_NOW)
    assert rows["docker2"][2] == "NO: refused"
    assert rows["docker1"][6] == "<5s ago" and rows["docker2"][6] == "never"


def test_ages_are_coarse_and_one_width() -> None:
    ages = [views.age_text(0.0, float(seconds)) for seconds in (0, 4, 5, 59, 60, 119, 5999, 6000)]
    assert ages == [
        "<5s ago",
        "<5s ago",
        " 5s ago",
        "55s ago",
        " 1m ago",
        " 1m ago",
        "99m ago",
        " 1h ago",
    ]
    assert {len(age) for age in ages} == {7}


def test_a_stopped_daemons_reason_is_shown_whole_and_a_longer_one_cut() -> None:
    stopped = (
        "no Docker socket at /run/lbtui/presentation/docker2.sock "
        "(socket missing: is the daemon running?)"
    )
    hosts = deployed_hosts()
    hosts["docker2"] = HostSnapshot("docker2", "unix:///x", False, 0.0, error=stopped)
    hosts["docker3"] = HostSnapshot("docker3", "unix:///y", False, 0.0, error="x" * 150)
    rows = views.host_rows(reference_topology(), hosts, {}, FROZEN_NOW)
    assert rows["docker2"][2] == f"NO: {stopped}"
    assert rows["docker3"][2] == "NO: " + "x" * (views.REASON_WIDTH - 1) + "…"


def test_path_marks_a_down_server_bad() -> None:
    from tests.tui.snapshot_apps.fake import reference_stats

    stats = reference_stats()
    down = ServerView("web2", "DOWN", "L4CON")
    stats = type(stats)(stats.vip, True, stats.polled_at, None, 0, 0, 0.0, (stats.servers[0], down))
    hops = views.path_hops(reference_topology(), "presentation", deployed_hosts(), stats)
    assert [hop.state for hop in hops] == ["ok", "ok", "ok", "ok", "bad"]
    assert "LB: DOWN" in hops[-1].text


def test_docker_events_become_lines_and_health_execs_are_dropped() -> None:
    die = HostEvent("docker3", "container", "die", "abc", {"name": "web2", "exitCode": "137"}, 1.0)
    assert describe_docker_event(die) == "container die web2 (exit 137)"
    execs = HostEvent("docker3", "container", "exec_start: sh -c true", "abc", {"name": "x"}, 1.0)
    assert describe_docker_event(execs) is None


def test_server_state_changes() -> None:
    lines = server_changes("vip", {"a": "UP", "b": "UP"}, {"a": "DOWN", "c": "UP"})
    assert lines == ["vip/a UP -> DOWN", "vip/c appeared: UP", "vip/b left the pool"]


def test_figures_and_share_bar() -> None:
    server = ServerView("web1", "UP", "L7OK", "200", 3, 1, 2, 10, 9, 4.0, 9, 1, 0.25)
    assert figures_text(server).startswith("L7OK 200 <10ms ")
    slow = ServerView("web1", "UP", "L7OK", "200", 35, 1, 2, 10, 9, 4.0, 9, 1, 0.25)
    assert figures_text(slow).startswith("L7OK 200 35ms ")
    assert share_text(0.25) == "██░░░░░░░░  25%" or share_text(0.25) == "███░░░░░░░  25%"
    assert share_text(-1.0).startswith("░" * 10) and share_text(2.0).startswith("█" * 10)


def test_status_classes() -> None:
    classes = {s: ServerView("x", s).status_class for s in ("UP 1/3", "DOWN", "MAINT", "DRAIN")}
    assert classes == {"UP 1/3": "-up", "DOWN": "-down", "MAINT": "-maint", "DRAIN": "-drain"}
    assert ServerView("x", "no check").status_class == "-other"


def test_shipped_themes_load() -> None:
    loaded = load_themes(default_themes_dir())
    assert loaded.problems == ()
    assert {"dark", "light", "high-contrast"} <= set(loaded.names)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("name: x\nprimary: '#fff'\ncolour: red\n", "unknown key(s) colour"),
        ("primary: '#fff'\n", "`name` must be a non-empty string"),
        ("name: x\n", "`primary` (a colour) is required"),
        ("name: x\nprimary: notacolour\n", "x.yaml"),
        ("- a list\n", "must be a mapping"),
        ("name: [unclosed\n", "x.yaml"),
        ("name: x\nprimary: '#fff'\ndark: maybe\n", "`dark` must be true or false"),
    ],
)
def test_broken_theme_is_reported_and_skipped(tmp_path: Path, text: str, problem: str) -> None:
    (tmp_path / "x.yaml").write_text(text)
    (tmp_path / "ok.yaml").write_text("name: ok\nprimary: '#123456'\n")
    loaded = load_themes(tmp_path)
    assert loaded.names == ["ok"]
    assert len(loaded.problems) == 1 and problem in loaded.problems[0]


def test_refresh_settings_are_bounded() -> None:
    with pytest.raises(BadInput, match="stats_s=0"):
        RefreshSettings(stats_s=0)


def test_cli_reports_bad_dashboard_input_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(tmp_path / "missing.yaml")]) == 2
    assert "not found" in capsys.readouterr().err
    topology = Path(__file__).resolve().parents[2] / "sample_topologies" / "presentation.yaml"
    assert main([str(topology), "--theme", "nope"]) == 2
    assert "unknown theme 'nope'" in capsys.readouterr().err
    assert main([str(topology), "--refresh", "0"]) == 2


def test_no_verb_opens_the_dashboard_on_the_reference_topology(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--theme", "nope"]) == 2  # reached the dashboard's own validation
    assert "unknown theme 'nope'" in capsys.readouterr().err
