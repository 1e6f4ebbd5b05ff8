"""Rendering cases whose haproxy.cfg text is pinned byte for byte in `data/haproxy_golden/`.

Running LBs carry the hash of their config text as a label: a renderer that changed a
single byte for an unchanged topology would make every deployed LB look drifted. The
golden files were written by the renderer as it was before the config model existed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from lbtui.core.haproxy.config import RenderOptions
from lbtui.core.haproxy.credentials import StatsCredentials
from lbtui.core.topology.load import load_topology
from lbtui.core.topology.model import HealthCheck, PoolMember, Timeouts, Topology, Vip
from tests.unit._haproxy_helpers import reference_topology, reference_vip

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "data" / "haproxy_golden"
SAMPLES = ("presentation", "registry", "single-host", "tls-lab", "two-vips")

Case = tuple[Topology, Vip, StatsCredentials, RenderOptions]


def sample_file(name: str) -> Path:
    """A bundled sample topology, wherever the repository keeps it."""
    found = sorted(REPO.glob(f"**/sample_topologies/{name}.yaml"))
    found = [path for path in found if ".venv" not in path.parts]
    assert found, f"sample topology {name}.yaml not found under {REPO}"
    return found[0]


def _sample_cases() -> dict[str, Callable[[], Case]]:
    cases: dict[str, Callable[[], Case]] = {}
    for sample in SAMPLES:
        for vip_name in load_topology(sample_file(sample)).vips:

            def build(sample: str = sample, vip_name: str = vip_name) -> Case:
                topology = load_topology(sample_file(sample))
                vip = topology.vips[vip_name]
                creds = StatsCredentials(vip.stats.user, "golden-Passw0rd")
                return topology, vip, creds, RenderOptions()

            cases[f"{sample}-{vip_name}"] = build
    return cases


_DEFAULT_OPTIONS = RenderOptions()
_REFERENCE_CREDS = StatsCredentials("user", "docker")


def _reference(
    options: RenderOptions = _DEFAULT_OPTIONS,
    creds: StatsCredentials = _REFERENCE_CREDS,
    ports: tuple[int, int] = (80, 80),
    **vip_changes: object,
) -> Callable[[], Case]:
    def build() -> Case:
        return reference_topology(ports), reference_vip(**vip_changes), creds, options

    return build


CASES: dict[str, Callable[[], Case]] = {
    **_sample_cases(),
    "no-resolvers": _reference(RenderOptions(dns_nameserver=None)),
    "no-runtime-tcp-port": _reference(RenderOptions(runtime_tcp_port=None)),
    "local-options": _reference(
        RenderOptions(
            runtime_socket="/tmp/lbtui test/haproxy.sock",
            runtime_tcp_port=41234,
            server_state_file="/tmp/lbtui test/server-state",
            dns_nameserver="127.0.0.1:5353",
            bind_address="127.0.0.1",
            hard_stop_after="5s",
            max_connections=100,
            retries=0,
        )
    ),
    "weights": _reference(
        servers=(PoolMember("web1", 0), PoolMember("web2", 256)), ports=(8001, 8002)
    ),
    "escaped-password": _reference(
        creds=StatsCredentials("us#er", "p a#s\\s\"q'$HOME:é%\n    stats admin if TRUE")
    ),
    "checks-and-names": _reference(
        frontend_name="front:1",
        backend_name="",
        frontend_port=8080,
        balance="uri whole len 3",
        timeouts=Timeouts(connect_ms=1000, client_ms=2000, server_ms=3000),
        health_check=HealthCheck(
            method="GET", path="/health?x=1 2", version="HTTP/1.1", interval_ms=100, rise=1, fall=9
        ),
        log_target="127.0.0.1:514",
        log_facility="local3",
    ),
    "one-server": _reference(servers=(PoolMember("web2", 7),)),
}


def build_case(name: str) -> Case:
    """The topology, VIP, credentials and options of one case."""
    topology, vip, creds, options = CASES[name]()
    # The VIP in the topology's table is the one rendered (the reference helpers differ).
    return replace(topology, vips={**topology.vips, vip.name: vip}), vip, creds, options
