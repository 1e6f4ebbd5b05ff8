"""Services in the topology and in haproxy.cfg: read, rendered as a template, read back."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from lbtui.core.errors import BadInput
from lbtui.core.haproxy.config import RenderOptions, build_config, server_ports
from lbtui.core.haproxy.config_text import parse, render
from lbtui.core.haproxy.credentials import StatsCredentials
from lbtui.core.topology.limits import (
    SERVICE_REPLICAS_MAX,
    backend_of,
    slot_names,
    slot_service,
)
from lbtui.core.topology.load import load_topology, parse_topology
from lbtui.core.topology.model import PoolMember, Service, Topology, UpdateSettings
from tests.unit._haproxy_helpers import HAPROXY

SAMPLE = Path(__file__).parents[2] / "lbtui" / "resources" / "topologies" / "services.yaml"
CREDS = StatsCredentials("user", "secret")


def _mixed() -> Topology:
    """The sample with a plain backend added to the service's pool, weighted."""
    sample = load_topology(SAMPLE)
    text = SAMPLE.read_text(encoding="utf-8")
    text = text.replace(
        "services:\n",
        'backends:\n  solo: {host: docker2, image: "lbtui/web:lab", network: app_overlay}\n\n'
        "services:\n",
    ).replace("servers: [web]", "servers: [solo, {backend: web, weight: 3}]")
    topology = parse_topology(text, "mixed.yaml")
    assert topology.services == sample.services
    return topology


def test_the_sample_declares_a_service_with_every_setting() -> None:
    topology = load_topology(SAMPLE)
    assert topology.services["web"] == Service(
        name="web",
        image="lbtui/web:lab",
        network="app_overlay",
        port=80,
        replicas=4,
        placement=("docker1", "docker2", "docker3"),
        update=UpdateSettings(parallelism=1, order="start-first"),
    )
    assert topology.vips["front"].servers == (PoolMember("web"),)


def test_service_defaults_are_one_replica_anywhere_start_first() -> None:
    text = SAMPLE.read_text(encoding="utf-8")
    start = text.index("    port: 80\n")
    end = text.index("vips:")
    topology = parse_topology(text[:start] + "\n" + text[end:], "short.yaml")
    service = topology.services["web"]
    assert (service.replicas, service.placement, service.port) == (1, (), 80)
    assert service.update == UpdateSettings(1, "start-first")


def test_a_service_renders_a_server_template_that_reads_back() -> None:
    topology = _mixed()
    config = build_config(topology, topology.vips["front"], CREDS)
    text = render(config)
    template = (
        f"server-template web. 1-{SERVICE_REPLICAS_MAX} tasks.web:80 check inter 2000ms "
        "fastinter 500ms rise 2 fall 3 weight 3 init-addr none resolvers docker "
        "resolve-prefer ipv4"
    )
    assert template in text.splitlines()[-1]
    assert "server solo solo:80 check" in text
    # Tasks come and go: names are resolved every second (other VIPs keep HAProxy's 10 s).
    assert "    hold valid 1s\n" in text and "hold valid 10s" not in text
    # 32 A records (one per slot) do not fit in DNS's 512 bytes.
    assert "    accepted_payload_size 8192\n" in text
    assert parse(text) == config
    assert config.server_names == ("solo", *slot_names("web"))
    assert server_ports(topology, topology.vips["front"]) == dict.fromkeys(
        ("solo", *slot_names("web")), 80
    )


def test_a_service_without_resolvers_cannot_be_rendered() -> None:
    topology = load_topology(SAMPLE)
    with pytest.raises(BadInput, match="service web is followed through DNS"):
        build_config(topology, topology.vips["front"], CREDS, RenderOptions(dns_nameserver=None))


def test_haproxy_accepts_the_rendered_template(tmp_path: Path) -> None:
    topology = load_topology(SAMPLE)
    # A loopback bind and no DNS server at all: `-c` must not need the names to resolve.
    options = RenderOptions(bind_address="127.0.0.1", runtime_socket=str(tmp_path / "s"))
    config = build_config(topology, topology.vips["front"], CREDS, options)
    config = replace(
        config, global_settings=replace(config.global_settings, server_state_file=None)
    )
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(render(config).replace("load-server-state-from-file global\n", ""))
    result = subprocess.run(
        [HAPROXY, "-c", "-f", str(cfg)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("server", "services", "member"),
    [
        ("web.1", {"web"}, "web"),
        (f"web.{SERVICE_REPLICAS_MAX}", {"web"}, "web"),
        (f"web.{SERVICE_REPLICAS_MAX + 1}", {"web"}, f"web.{SERVICE_REPLICAS_MAX + 1}"),
        ("web.0", {"web"}, "web.0"),
        ("web.01", {"web"}, "web.01"),
        ("web.3", set(), "web.3"),
        ("web1", {"web"}, "web1"),
        ("api.v2.7", {"api.v2"}, "api.v2"),
    ],
)
def test_slot_names_map_back_to_their_service_only(
    server: str, services: set[str], member: str
) -> None:
    assert backend_of(server, services) == member


def test_slot_service_reads_only_real_slot_numbers() -> None:
    assert [slot_service(name) for name in ("web.2", "web", "web.", ".2", "web.x")] == [
        "web",
        None,
        None,
        None,
        None,
    ]
