"""Runtime API commands and answers, checked against a real HAProxy's unix stats socket."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from lbtui.core.errors import BadInput, RuntimeFailure
from lbtui.core.haproxy.config import render_config, server_ports
from lbtui.core.haproxy.runtime import (
    RuntimeCommandFailed,
    ServerState,
    batch,
    check_set_reply,
    parse_servers_state,
    server_state_file_content,
    set_server_state,
    set_server_weight,
)
from lbtui.core.haproxy.stats import parse_stats_csv
from lbtui.core.topology.model import PoolMember
from tests.unit._dns_stub import DnsStub
from tests.unit._haproxy_helpers import (
    LocalLb,
    free_port,
    listening,
    local_lb,
    send_command,
    start_httpd,
    stop_process,
    wait_for,
)

DATA = Path(__file__).parent / "data"
BACKEND = "pres_containers"


def test_commands_are_built_exactly() -> None:
    assert (
        set_server_state(BACKEND, "web1", "drain") == "set server pres_containers/web1 state drain"
    )
    assert set_server_state(BACKEND, "web1", "maint").endswith("state maint")
    assert set_server_state(BACKEND, "web1", "ready").endswith("state ready")
    assert set_server_weight(BACKEND, "web2", 0) == "set server pres_containers/web2 weight 0"
    assert set_server_weight(BACKEND, "web2", 256).endswith("weight 256")
    assert batch("show stat", "show servers state") == "show stat; show servers state"


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: set_server_state(BACKEND, "web1", "disable"), "ready, drain, maint"),
        (lambda: set_server_weight(BACKEND, "web1", 257), "0 to 256"),
        (lambda: set_server_weight(BACKEND, "web1", -1), "0 to 256"),
        (lambda: set_server_weight(BACKEND, "web1", True), "0 to 256"),
        (lambda: set_server_state(BACKEND, "web1; shutdown sessions", "ready"), "server name"),
        (lambda: set_server_state("b\nshow", "web1", "ready"), "backend name"),
        (lambda: batch("show stat", "x;y"), "cannot be batched"),
    ],
)
def test_bad_commands_are_refused_before_anything_is_sent(build: object, message: str) -> None:
    with pytest.raises(BadInput, match=re.escape(message)):
        build()  # type: ignore[operator]


def test_set_replies() -> None:
    check_set_reply("set server b/s state drain", "\n")
    with pytest.raises(RuntimeCommandFailed, match=r"refused `set server b/x state drain`"):
        check_set_reply("set server b/x state drain", "No such server.\n\n")


def test_parse_a_captured_servers_state() -> None:
    # Captured from haproxy 2.6.12 after web1 weight 3 and web2 drain then maint.
    reply = (DATA / "haproxy26_show_servers_state.txt").read_text(encoding="utf-8")
    states = parse_servers_state(reply)
    assert states == (
        ServerState(BACKEND, "web1", "127.0.0.1", 52011, "running", 0, 3, 1),
        ServerState(BACKEND, "web2", "127.0.0.1", 37731, "stopped", 1, 1, 1),
    )
    assert [s.admin_state for s in states] == ["ready", "maint"]
    content = server_state_file_content(reply)
    assert content.startswith("1\n# be_id ") and content.endswith("- - 0\n")


def test_admin_state_flags() -> None:
    def state(flags: int) -> ServerState:
        return ServerState(BACKEND, "s", "", None, "running", flags, 1, 1)

    assert state(0x08).admin_state == "drain"
    assert state(0x09).admin_state == "maint"
    assert state(0x20).admin_state == "maint" and state(0x20).resolution_failed
    assert state(0x04).admin_state == "maint"


@pytest.mark.parametrize("reply", ["", "Unknown command.\n", "No such backend.\n\n"])
def test_an_error_is_never_taken_for_a_servers_state(reply: str) -> None:
    with pytest.raises(RuntimeCommandFailed):
        parse_servers_state(reply)
    with pytest.raises(RuntimeCommandFailed):
        server_state_file_content(reply)


def _run(lb: LocalLb, command: str) -> str:
    return send_command(str(lb.socket_path), command)


def _set(lb: LocalLb, command: str) -> None:
    check_set_reply(command, _run(lb, command))


def _server(lb: LocalLb, name: str) -> dict[str, str]:
    rows = parse_stats_csv(_run(lb, "show stat"), source="show stat")
    row = next(r for r in rows if r.pxname == BACKEND and r.svname == name)
    return {"state": row.state, "weight": str(row.weight), "check": row.check_status}


def _wait_checked(lb: LocalLb) -> None:
    def checked() -> bool | None:
        servers = [_server(lb, name) for name in ("web1", "web2")]
        return True if all(s["state"] == "UP" and s["check"] == "L7OK" for s in servers) else None

    wait_for("both servers checked UP", checked)


def _served(lb: LocalLb, count: int) -> list[str]:
    with httpx.Client() as http:
        return [http.get(lb.frontend_url).headers["X-Served-By"] for _ in range(count)]


def test_real_runtime_api_drain_maint_ready_and_weight(tmp_path: Path) -> None:
    with local_lb(tmp_path) as lb:
        _wait_checked(lb)
        _set(lb, set_server_state(BACKEND, "web2", "drain"))
        assert _server(lb, "web2")["state"] == "DRAIN"
        assert set(_served(lb, 6)) == {"web1"}
        states = {
            s.server: s for s in parse_servers_state(_run(lb, f"show servers state {BACKEND}"))
        }
        assert states["web2"].admin_state == "drain"
        assert states["web1"].admin_state == "ready"

        _set(lb, set_server_state(BACKEND, "web2", "maint"))
        assert _server(lb, "web2")["state"] == "MAINT"

        _set(lb, set_server_state(BACKEND, "web2", "ready"))
        wait_for("web2 back UP", lambda: True if _server(lb, "web2")["state"] == "UP" else None)
        _set(lb, set_server_weight(BACKEND, "web1", 3))
        assert _server(lb, "web1")["weight"] == "3"
        served = _served(lb, 40)
        assert served.count("web1") == 30 and served.count("web2") == 10

        with pytest.raises(RuntimeCommandFailed, match="No such server"):
            _set(lb, set_server_state(BACKEND, "web9", "drain"))
        with pytest.raises(RuntimeCommandFailed, match="No such backend"):
            _set(lb, set_server_state("nope", "web1", "drain"))


def _worker_pid(lb: LocalLb) -> int:
    info = _run(lb, "show info")
    match = re.search(r"^Pid: (\d+)$", info, re.MULTILINE)
    assert match, info
    return int(match[1])


def _reload(lb: LocalLb) -> None:
    old = _worker_pid(lb)
    os.kill(lb.pid, signal.SIGUSR2)  # the master we started; it re-reads the config

    def new_worker() -> int | None:
        try:
            pid = _worker_pid(lb)
        except RuntimeFailure:
            return None  # the new worker is binding the socket
        return pid if pid != old else None

    wait_for("a new worker after SIGUSR2", new_worker)


def test_runtime_state_survives_a_reload_through_the_server_state_file(tmp_path: Path) -> None:
    with local_lb(tmp_path) as lb:
        _wait_checked(lb)
        _set(lb, set_server_state(BACKEND, "web2", "drain"))
        _set(lb, set_server_weight(BACKEND, "web1", 7))
        state = server_state_file_content(_run(lb, "show servers state"))
        lb.state_path.write_text(state, encoding="utf-8")
        _reload(lb)
        assert _server(lb, "web2")["state"] == "DRAIN"
        assert _server(lb, "web1")["weight"] == "7"


def test_a_weight_changed_in_the_config_wins_over_the_saved_state(tmp_path: Path) -> None:
    with local_lb(tmp_path) as lb:
        _wait_checked(lb)
        _set(lb, set_server_weight(BACKEND, "web1", 7))
        lb.state_path.write_text(
            server_state_file_content(_run(lb, "show servers state")), encoding="utf-8"
        )
        vip = replace(lb.vip, servers=(PoolMember("web1", 4), PoolMember("web2", 1)))
        lb.config_path.write_text(
            render_config(lb.topology, vip, lb.credentials, lb.options), encoding="utf-8"
        )
        _reload(lb)
        assert _server(lb, "web1")["weight"] == "4"
        assert _server(lb, "web2")["weight"] == "1"


def test_saved_state_drops_servers_whose_port_changes() -> None:
    reply = (DATA / "haproxy26_show_servers_state.txt").read_text(encoding="utf-8")
    kept = server_state_file_content(reply, {"web1": 52011, "web2": 8080})
    assert [s.server for s in parse_servers_state(kept)] == ["web1"]
    gone = server_state_file_content(reply, {"web1": 52011})
    assert [s.server for s in parse_servers_state(gone)] == ["web1"]
    assert len(parse_servers_state(server_state_file_content(reply))) == 2


def _with_web1_on(lb: LocalLb, address: str, port: int) -> subprocess.Popen[bytes]:
    process = start_httpd(lb.directory, "web1-moved", address, port)
    wait_for(f"httpd on {address}:{port}", lambda: listening(port, address))
    return process


def _moved_port_serves(lb: LocalLb, filter_ports: bool) -> bool:
    port = free_port()
    moved = _with_web1_on(lb, "127.0.0.1", port)
    try:
        backends = dict(lb.topology.backends)
        backends["web1"] = replace(backends["web1"], port=port)
        topology = replace(lb.topology, backends=backends)
        reply = _run(lb, "show servers state")
        ports = server_ports(topology, lb.vip) if filter_ports else None
        lb.state_path.write_text(server_state_file_content(reply, ports), encoding="utf-8")
        lb.config_path.write_text(
            render_config(topology, lb.vip, lb.credentials, lb.options), encoding="utf-8"
        )
        _reload(lb)
        with httpx.Client() as http:
            pages = [http.get(lb.frontend_url).text for _ in range(4)]
        return "served by web1-moved\n" in pages
    finally:
        stop_process(moved)


def test_a_port_changed_in_the_config_wins_once_the_state_is_filtered(tmp_path: Path) -> None:
    with local_lb(tmp_path / "a") as lb:
        _wait_checked(lb)
        # HAProxy 2.6 itself keeps the port saved in the state file: the reason for `ports`.
        assert not _moved_port_serves(lb, filter_ports=False)
    with local_lb(tmp_path / "b") as lb:
        _wait_checked(lb)
        assert _moved_port_serves(lb, filter_ports=True)


def test_a_server_that_moved_to_a_new_address_is_resolved_afresh_on_reload(
    tmp_path: Path,
) -> None:
    with local_lb(tmp_path) as lb:
        _wait_checked(lb)
        moved = _with_web1_on(lb, "127.0.0.2", lb.topology.backends["web1"].port)
        try:
            lb.state_path.write_text(
                server_state_file_content(_run(lb, "show servers state")), encoding="utf-8"
            )
            # Like a backend container recreated with a new IP: its name now resolves elsewhere.
            lb.hosts_path.write_text("127.0.0.1 localhost web2\n127.0.0.2 web1\n", encoding="utf-8")
            _reload(lb)
            states = {s.server: s for s in parse_servers_state(_run(lb, "show servers state"))}
            assert states["web1"].address == "127.0.0.2"
            with httpx.Client() as http:
                pages = [http.get(lb.frontend_url).text for _ in range(2)]
            assert sorted(pages) == ["served by web1-moved\n", "served by web2\n"]
        finally:
            stop_process(moved)


def test_resolvers_find_a_backend_that_comes_back_with_a_new_address(tmp_path: Path) -> None:
    records = {"web1": "127.0.0.1", "web2": "127.0.0.1"}
    with DnsStub(records) as dns, local_lb(tmp_path, nameserver=f"127.0.0.1:{dns.port}") as lb:
        assert f"nameserver dns1 127.0.0.1:{dns.port}" in lb.config
        _wait_checked(lb)
        port = lb.topology.backends["web1"].port
        # web1 "dies" and comes back elsewhere, as a recreated container does; no reload.
        stop_process(lb.backends["web1"])
        moved = _with_web1_on(lb, "127.0.0.2", port)
        try:
            dns.records["web1"] = "127.0.0.2"

            def web1_address() -> str | None:
                states = parse_servers_state(_run(lb, "show servers state"))
                address = next(s.address for s in states if s.server == "web1")
                return address if address == "127.0.0.2" else None

            wait_for("HAProxy to re-resolve web1", web1_address, timeout=15)
            wait_for(
                "web1 UP at its new address",
                lambda: True if _server(lb, "web1")["state"] == "UP" else None,
                timeout=15,
            )
            with httpx.Client() as http:
                pages = [http.get(lb.frontend_url).text for _ in range(4)]
            assert pages.count("served by web1-moved\n") == 2
            assert dns.queries > 0
        finally:
            stop_process(moved)


def test_the_loopback_tcp_runtime_socket_answers_too(tmp_path: Path) -> None:
    with local_lb(tmp_path) as lb:
        port = lb.options.runtime_tcp_port
        assert port is not None
        assert f"stats socket ipv4@127.0.0.1:{port} level admin" in lb.config
        wait_for("the TCP runtime socket", lambda: listening(port))
        with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
            conn.sendall(b"show servers state\n")
            reply = b"".join(iter(lambda: conn.recv(65536), b"")).decode()
        assert [s.server for s in parse_servers_state(reply)] == ["web1", "web2"]


def test_a_killed_backend_whose_name_vanishes_shows_down_not_maint(tmp_path: Path) -> None:
    records = {"web1": "127.0.0.1", "web2": "127.0.0.1"}
    with DnsStub(records) as dns, local_lb(tmp_path, nameserver=f"127.0.0.1:{dns.port}") as lb:
        _wait_checked(lb)
        # What `docker kill web2` does: the process dies and Docker's DNS forgets the name.
        stop_process(lb.backends["web2"])
        del dns.records["web2"]
        queries = dns.queries

        def left_up() -> str | None:
            state = _server(lb, "web2")["state"]
            return state if state != "UP" else None

        status = wait_for("web2 to leave UP", left_up, timeout=15)
        assert status == "DOWN"
        assert dns.queries > queries, "HAProxy kept resolving while the checks failed"
        with httpx.Client() as http:
            assert {http.get(lb.frontend_url).headers["X-Served-By"] for _ in range(4)} == {"web1"}
