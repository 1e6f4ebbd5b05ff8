"""render_config, config_hash, config_diff and parse_check_output, checked with the real haproxy."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from lbtui.core.errors import BadInput
from lbtui.core.haproxy.check import parse_check_output
from lbtui.core.haproxy.config import (
    EMPTY_SERVER_STATE,
    RenderOptions,
    config_diff,
    config_hash,
    render_config,
)
from lbtui.core.haproxy.credentials import StatsCredentials
from lbtui.core.topology.model import HealthCheck, PoolMember, Timeouts
from tests.unit._haproxy_helpers import (
    haproxy_check,
    reference_topology,
    reference_vip,
    require_root_tools,
)

CREDS = StatsCredentials("user", "docker")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines()]


def _section(text: str, header: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index(header)
    body: list[str] = []
    for line in lines[start + 1 :]:
        if not line.startswith("    "):
            break
        body.append(line.strip())
    return body


def _local_options(tmp_path: Path) -> RenderOptions:
    state = tmp_path / "server-state"
    state.write_text(EMPTY_SERVER_STATE, encoding="utf-8")
    return RenderOptions(runtime_socket=str(tmp_path / "sock"), server_state_file=str(state))


def test_reference_config_carries_every_setting_of_the_recipe() -> None:
    text = render_config(reference_topology(), reference_vip(), CREDS)
    glob = _section(text, "global")
    assert "log stdout format raw local0" in glob
    assert "master-worker" in glob
    assert "stats socket /run/haproxy.sock mode 600 level admin" in glob
    assert "stats socket ipv4@127.0.0.1:9999 level admin" in glob
    assert "server-state-file /run/haproxy-server-state" in glob
    assert any(line.startswith("hard-stop-after ") for line in glob)
    defaults = _section(text, "defaults")
    for expected in (
        "mode http",
        "option httplog",
        "timeout connect 5000ms",
        "timeout client 50000ms",
        "timeout server 50000ms",
        "stats enable",
        "stats uri /lbstats",
        "stats auth user:docker",
        "option idle-close-on-response",
        "option redispatch 1",
        "load-server-state-from-file global",
    ):
        assert expected in defaults, expected
    assert any(line.startswith("retries ") for line in defaults)
    assert _section(text, "frontend all") == ["bind *:80", "default_backend pres_containers"]
    backend = _section(text, "backend pres_containers")
    assert backend[:4] == [
        "balance roundrobin",
        "option httpchk HEAD /index.html HTTP/1.0",
        "timeout check 2000ms",
        "http-response set-header X-Served-By %s",
    ]
    servers = [line for line in backend if line.startswith("server ")]
    assert len(servers) == 2
    assert servers[0].startswith("server web1 web1:80 check ")
    assert servers[1].startswith("server web2 web2:80 check ")
    for server in servers:
        assert "resolvers docker" in server
        assert "init-addr libc,last" in server
    assert _section(text, "resolvers docker")[0] == "nameserver dns1 127.0.0.11:53"


def test_rendering_is_deterministic_and_the_hash_follows_the_content() -> None:
    topology, vip = reference_topology(), reference_vip()
    first = render_config(topology, vip, CREDS)
    second = render_config(
        reference_topology(), reference_vip(), StatsCredentials("user", "docker")
    )
    assert first == second
    assert config_hash(first) == config_hash(second)
    assert len(config_hash(first)) == 64
    heavier = reference_vip(servers=(PoolMember("web1", 3), PoolMember("web2")))
    changed = render_config(topology, heavier, CREDS)
    assert config_hash(changed) != config_hash(first)


def test_section_names_timeouts_and_checks_come_from_the_vip() -> None:
    vip = reference_vip(
        frontend_name="front",
        backend_name="",
        frontend_port=8080,
        balance="leastconn",
        timeouts=Timeouts(connect_ms=1000, client_ms=2000, server_ms=3000),
        health_check=HealthCheck(
            method="GET", path="/health", version="HTTP/1.1", interval_ms=500, rise=1, fall=2
        ),
        log_target="127.0.0.1:514",
        log_facility="local3",
    )
    text = render_config(reference_topology(ports=(8001, 8002)), vip, CREDS)
    lines = _lines(text)
    assert "frontend front" in lines
    assert "bind *:8080" in lines
    assert "default_backend presentation_servers" in lines
    assert "backend presentation_servers" in lines
    assert "balance leastconn" in lines
    assert "timeout connect 1000ms" in lines
    assert "timeout client 2000ms" in lines
    assert "timeout server 3000ms" in lines
    assert "option httpchk GET /health HTTP/1.1" in lines
    assert "log 127.0.0.1:514 local3" in lines
    assert any(
        line.startswith("server web1 web1:8001 check inter 500ms fastinter 125ms rise 1 fall 2")
        for line in lines
    )


def test_without_a_nameserver_there_is_no_resolvers_section() -> None:
    text = render_config(
        reference_topology(), reference_vip(), CREDS, RenderOptions(dns_nameserver=None)
    )
    assert "resolvers" not in text


def test_config_diff_shows_only_what_changed() -> None:
    topology = reference_topology()
    old = render_config(topology, reference_vip(), CREDS)
    new = render_config(
        topology, reference_vip(servers=(PoolMember("web1", 5), PoolMember("web2"))), CREDS
    )
    diff = config_diff(old, new)
    assert diff.startswith("--- running\n+++ new\n")
    changed = [
        line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("---", "+++")
    ]
    assert len(changed) == 2
    assert changed[0].startswith("-    server web1 web1:80") and "weight 1 " in changed[0]
    assert changed[1].startswith("+    server web1 web1:80") and "weight 5 " in changed[1]
    assert config_diff(old, old) == ""


@pytest.mark.parametrize(
    ("vip_changes", "message"),
    [
        ({"servers": (PoolMember("web9"),)}, "unknown backend 'web9'"),
        ({"servers": ()}, "at least one server"),
        ({"frontend_name": "all fe"}, "vips.presentation.frontend: 'all fe'"),
        ({"balance": "roundrobin\nbind *:1"}, "balance"),
        ({"health_check": HealthCheck(path="index.html")}, "must start with '/'"),
        ({"health_check": HealthCheck(method="HE AD")}, "not an HTTP method"),
        ({"log_target": "stdout\nlisten x"}, "log.target"),
        ({"log_target": '127.0.0.1:514 "x'}, "log.target"),
        ({"log_target": "127.0.0.1:514 \\x"}, "log.target"),
        ({"balance": "url_param a#b"}, "vips.presentation.balance"),
        ({"balance": "hdr(x'y)"}, "vips.presentation.balance"),
        ({"frontend_port": 9999}, "frontend_port: 9999 is the port lbtui's runtime API"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(
    vip_changes: dict[str, object], message: str
) -> None:
    with pytest.raises(BadInput, match=message):
        render_config(reference_topology(), reference_vip(**vip_changes), CREDS)


def test_password_cannot_break_out_of_its_word() -> None:
    creds = StatsCredentials("user", "a b#c\n    stats admin if TRUE")
    text = render_config(reference_topology(), reference_vip(), creds)
    auth = [line for line in text.splitlines() if "stats auth" in line]
    escaped = "a\\x20b\\x23c\\x0a" + "\\x20" * 4 + "stats\\x20admin\\x20if\\x20TRUE"
    assert auth == [f"    stats auth user:{escaped}"]
    assert "stats admin" not in text.replace(auth[0], "")


def test_real_haproxy_accepts_the_reference_config(tmp_path: Path) -> None:
    require_root_tools()
    text = render_config(reference_topology(), reference_vip(), CREDS, _local_options(tmp_path))
    output, code = haproxy_check(text, tmp_path, ["web1", "web2"])
    assert "Configuration file is valid" in output
    result = parse_check_output(output, code)
    assert result.valid, result.summary()
    assert result.errors == []
    assert result.warnings == [], result.summary()


def test_real_haproxy_accepts_a_password_full_of_special_characters(tmp_path: Path) -> None:
    require_root_tools()
    creds = StatsCredentials("user", "p a#s\\s\"q'$HOME:é%")
    text = render_config(reference_topology(), reference_vip(), creds, _local_options(tmp_path))
    output, code = haproxy_check(text, tmp_path, ["web1", "web2"])
    assert parse_check_output(output, code).valid, output


def test_real_haproxy_rejects_a_server_name_that_does_not_resolve(tmp_path: Path) -> None:
    require_root_tools()
    text = render_config(reference_topology(), reference_vip(), CREDS, _local_options(tmp_path))
    output, code = haproxy_check(text, tmp_path, ["web1"])
    assert code != 0
    result = parse_check_output(output, code)
    assert not result.valid
    assert any("could not resolve address 'web2'" in e for e in result.errors), result.errors
    assert not any("web1" in e for e in result.errors)


def test_real_haproxy_rejects_an_unresolvable_name_also_without_resolvers(tmp_path: Path) -> None:
    require_root_tools()
    options = replace(_local_options(tmp_path), dns_nameserver=None)
    text = render_config(reference_topology(), reference_vip(), CREDS, options)
    output, code = haproxy_check(text, tmp_path, [])
    result = parse_check_output(output, code)
    assert not result.valid
    assert len([e for e in result.errors if "could not resolve address" in e]) == 2


def test_real_haproxy_rejects_a_syntax_error(tmp_path: Path) -> None:
    require_root_tools()
    text = render_config(reference_topology(), reference_vip(), CREDS, _local_options(tmp_path))
    broken = text.replace("balance roundrobin", "balance no-such-algorithm")
    output, code = haproxy_check(broken, tmp_path, ["web1", "web2"])
    result = parse_check_output(output, code)
    assert not result.valid
    assert any("haproxy.cfg:" in e and "] : balance only supports" in e for e in result.errors), (
        result.errors
    )


DATA = Path(__file__).parent / "data"


def test_parse_check_output_of_an_unresolvable_server() -> None:
    # Captured from haproxy 2.6.12 `-c` on the host, where web1/web2 do not resolve.
    output = (DATA / "haproxy_check_invalid.txt").read_text(encoding="utf-8")
    result = parse_check_output(output, 1)
    assert not result.valid
    assert result.errors == [
        "[v.cfg:44] : 'server pres_containers/web1' : could not resolve address 'web1'.",
        "[v.cfg:45] : 'server pres_containers/web2' : could not resolve address 'web2'.",
        "Failed to initialize server(s) addr.",
    ]
    assert result.warnings == [
        "config: Can't open global server state file '/run/haproxy-server-state': "
        "No such file or directory"
    ]
    assert "error: [v.cfg:44]" in result.summary()


def test_parse_check_output_of_a_syntax_error_drops_the_generic_alerts() -> None:
    output = (DATA / "haproxy_check_syntax_error.txt").read_text(encoding="utf-8")
    result = parse_check_output(output, 1)
    assert not result.valid
    assert len(result.errors) == 1
    assert result.errors[0].startswith("parsing [b.cfg:41] : balance only supports 'roundrobin'")
    assert result.warnings == []


def test_parse_check_output_of_a_valid_config() -> None:
    result = parse_check_output("Configuration file is valid\n", 0)
    assert result.valid and result.errors == [] and result.warnings == []


def test_parse_check_output_without_any_alert_keeps_the_raw_output() -> None:
    result = parse_check_output("sh: haproxy: not found\n", 127)
    assert not result.valid
    assert result.errors == ["haproxy -c exited with code 127: sh: haproxy: not found"]
