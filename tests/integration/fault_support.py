"""Helpers of the fault tests: a server's stats row, DOWN/UP waits, marks seen independently."""

from __future__ import annotations

import csv
import io
import subprocess

import httpx

from lbtui.core.haproxy.credentials import resolve_stats_credentials
from lbtui.core.haproxy.stats import StatsClient, StatsRow, StatsUnavailable, vip_stats_url
from lbtui.core.topology.model import Topology
from lbtui.lab import LabStatus
from tests.integration.probes import sdk
from tests.integration.redeploy_support import wait_for

#: HAProxy's counters that say a server misbehaves: failed checks, connection and
#: response errors, retries and redispatches.
ERROR_FIELDS = ("chkfail", "econ", "eresp", "wretr", "wredis")


def server_row(topology: Topology, vip_name: str, server: str) -> StatsRow | None:
    """The server's row of the VIP's stats, or None while the page does not answer."""
    vip = topology.vips[vip_name]
    credentials = resolve_stats_credentials(topology, vip)
    try:
        with StatsClient() as stats:
            rows = stats.fetch(vip_stats_url(topology, vip), credentials, None, vip.haproxy_backend)
    except StatsUnavailable:
        return None
    return rows.server(server)


def wait_state(topology: Topology, vip: str, server: str, state: str, bound_s: float) -> float:
    """Wait (bounded) until the server shows `state` in the stats; the monotonic time it did."""

    def reached() -> bool:
        row = server_row(topology, vip, server)
        return row is not None and row.state == state

    return wait_for(reached, f"{server} {state} in the stats", bound_s)


def raw_server_fields(topology: Topology, vip_name: str, server: str) -> dict[str, str]:
    """Every column of the server's CSV row (ctime, rtime, ttime ... which StatsRow leaves out)."""
    vip = topology.vips[vip_name]
    credentials = resolve_stats_credentials(topology, vip)
    url = vip_stats_url(topology, vip) + ";csv"
    with httpx.Client(trust_env=False, timeout=5.0) as client:
        text = client.get(url, auth=(credentials.user, credentials.password)).text
    lines = text.splitlines()
    header = lines[0][2:].split(",")
    for values in csv.reader(io.StringIO("\n".join(lines[1:]))):
        row = dict(zip(header, values, strict=False))
        if row.get("pxname") == vip.haproxy_backend and row.get("svname") == server:
            return row
    raise AssertionError(f"{server} missing from the stats CSV")


def error_figures(topology: Topology, vip: str, server: str) -> int:
    """The sum of the server's error counters."""
    row = raw_server_fields(topology, vip, server)
    return sum(int(row.get(name) or 0) for name in ERROR_FIELDS)


def namespace_text(lab: LabStatus, host: str, container: str) -> str:
    """`iptables -S` and `tc qdisc show` in the container's namespace, read without lbtui."""
    with sdk(lab, host) as client:
        pid = client.api.inspect_container(container)["State"]["Pid"]
    outputs = []
    for argv in (["iptables", "-S"], ["tc", "qdisc", "show"]):
        done = subprocess.run(
            ["nsenter", f"--net=/proc/{pid}/ns/net", "--", *argv],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        )
        outputs.append(done.stdout)
    return "\n".join(outputs)


def assert_no_marks(lab: LabStatus, host: str, container: str) -> None:
    """No lbtui rule comment and no lbtui queue handle left in the container's namespace."""
    text = namespace_text(lab, host, container)
    assert "lbtui-fault" not in text and "4c42:" not in text and "4c43:" not in text, text


def kernel_has_netem() -> bool:
    """Whether this machine's kernel takes a netem queue (tried in a throwaway namespace)."""
    done = subprocess.run(
        ["unshare", "--net", "tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms"],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    return done.returncode == 0
