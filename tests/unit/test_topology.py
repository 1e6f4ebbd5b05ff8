"""Loading good topology files: samples, defaults, shorthands, paths and guards."""

from __future__ import annotations

import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lbtui.core.errors import BadInput, TopologyInvalid
from lbtui.core.topology.load import load_topology, parse_topology, require_tls_files
from lbtui.core.topology.model import Host, PoolMember, TlsFiles
from lbtui.core.topology.yaml_guard import MAX_BYTES

SAMPLES = sorted((Path(__file__).parent.parent.parent / "sample_topologies").glob("*.yaml"))

MINIMAL = """\
name: mini
hosts:
  docker1: {url: "unix:///run/docker.sock"}
networks:
  app_net: {driver: bridge}
backends:
  web1: {host: docker1, image: "lbtui/web:lab", network: app_net}
  web2: {host: docker1, image: "lbtui/web:lab", network: app_net}
vips:
  front:
    host: docker1
    image: "lbtui/haproxy:lab"
    network: app_net
    publish: 8080
    servers: [web1, {backend: web2, weight: 5}]
"""


def test_there_are_samples() -> None:
    names = {sample.name for sample in SAMPLES}
    assert {"presentation.yaml", "single-host.yaml", "two-vips.yaml", "registry.yaml"} <= names
    assert "tls-lab.yaml" in names


@pytest.mark.parametrize("sample", SAMPLES, ids=[s.stem for s in SAMPLES])
def test_every_sample_loads(sample: Path) -> None:
    topology = load_topology(sample)

    assert topology.source == sample.absolute()
    assert topology.vips


def test_reference_sample_is_the_recipe() -> None:
    topology = load_topology(next(s for s in SAMPLES if s.name == "presentation.yaml"))

    assert topology.name == "presentation"
    assert {name: (h.url, h.address) for name, h in topology.hosts.items()} == {
        f"docker{i}": (f"unix:///run/lbtui/lab/docker{i}.sock", f"198.18.0.1{i}") for i in (1, 2, 3)
    }
    assert topology.swarm is not None and topology.swarm.manager == "docker1"
    network = topology.networks["presentation_backend"]
    assert (network.driver, network.internal, network.attachable) == ("overlay", True, True)
    assert {(b.name, b.host, b.image, b.network, b.port) for b in topology.backends.values()} == {
        ("web1", "docker2", "lbtui/web:lab", "presentation_backend", 80),
        ("web2", "docker3", "lbtui/web:lab", "presentation_backend", 80),
    }
    vip = topology.vips["presentation"]
    assert (vip.host, vip.container, vip.image, vip.network) == (
        "docker1",
        "haproxy",
        "lbtui/haproxy:lab",
        "presentation_backend",
    )
    assert (vip.publish, vip.frontend_port, vip.connect_bridge, vip.balance) == (
        80,
        80,
        True,
        "roundrobin",
    )
    assert vip.servers == (PoolMember("web1"), PoolMember("web2"))
    check = vip.health_check
    assert (check.method, check.path, check.version) == ("HEAD", "/index.html", "HTTP/1.0")
    assert (vip.stats.uri, vip.stats.user, vip.stats.password_env) == (
        "/lbstats",
        "user",
        "LBTUI_STATS_PASSWORD",
    )
    timeouts = vip.timeouts
    assert (timeouts.connect_ms, timeouts.client_ms, timeouts.server_ms) == (5000, 50000, 50000)
    assert (vip.frontend_name, vip.haproxy_backend) == ("all", "pres_containers")


def test_defaults_fill_what_the_file_leaves_out() -> None:
    topology = parse_topology(MINIMAL, "mini.yaml")

    assert topology.swarm is None
    assert topology.hosts["docker1"].address is None
    assert topology.hosts["docker1"].tls is None
    assert topology.backends["web1"].port == 80
    assert topology.backends["web1"].command is None
    assert topology.backends["web1"].environment == ()
    vip = topology.vips["front"]
    assert vip.container == "front"
    assert vip.frontend_port == 80
    assert vip.connect_bridge is False
    assert vip.balance == "roundrobin"
    assert vip.frontend_name == "all"
    assert vip.haproxy_backend == "front_servers"
    assert vip.stats.password_env is None
    assert (vip.log_target, vip.log_facility) == ("stdout format raw", "local0")


def test_network_defaults() -> None:
    text = MINIMAL.replace("app_net: {driver: bridge}", "app_net:").replace(
        "hosts:", "swarm: {manager: docker1}\nhosts:"
    )
    network = parse_topology(text, "mini.yaml").networks["app_net"]

    assert (network.driver, network.internal, network.attachable, network.subnet) == (
        "overlay",
        False,
        True,
        None,
    )


def test_servers_take_names_or_weighted_entries() -> None:
    vip = parse_topology(MINIMAL, "mini.yaml").vips["front"]

    assert vip.servers == (PoolMember("web1", 1), PoolMember("web2", 5))


def test_backend_command_and_environment() -> None:
    text = MINIMAL.replace(
        'web1: {host: docker1, image: "lbtui/web:lab", network: app_net}',
        'web1: {host: docker1, image: "lbtui/web:lab", network: app_net, port: 8000,'
        ' command: [httpd, -f, -p, "8000"], environment: {GREETING: hello, EMPTY: ""}}',
    )
    backend = parse_topology(text, "mini.yaml").backends["web1"]

    assert backend.port == 8000
    assert backend.command == ("httpd", "-f", "-p", "8000")
    assert backend.environment == (("GREETING", "hello"), ("EMPTY", ""))


@pytest.mark.parametrize(
    "balance",
    [
        "static-rr",
        "leastconn",
        "first",
        "source",
        "uri",
        "uri whole",
        "url_param userid",
        "hdr(host)",
        "random",
        "random(2)",
        "rdp-cookie",
        "rdp-cookie(mstshash)",
        "hash path",
    ],
)
def test_haproxy_balance_algorithms_are_accepted(balance: str) -> None:
    text = MINIMAL.replace("publish: 8080", f"publish: 8080\n    balance: {balance}")

    assert parse_topology(text, "mini.yaml").vips["front"].balance == balance


def test_relative_tls_paths_resolve_against_the_file_folder(tmp_path: Path) -> None:
    folder = tmp_path / "site"
    (folder / "certs").mkdir(parents=True)
    file = folder / "remote.yaml"
    file.write_text(
        "name: remote\n"
        "hosts:\n"
        "  far:\n"
        '    url: "tcp://203.0.113.5:2376"\n'
        "    tls: {ca: certs/ca.pem, cert: certs/cert.pem, key: /abs/key.pem}\n"
        "vips: {}\n"
    )

    host = load_topology(file).hosts["far"]

    assert host.tls == TlsFiles(
        ca=folder / "certs/ca.pem", cert=folder / "certs/cert.pem", key=Path("/abs/key.pem")
    )


def test_missing_tls_files_are_reported_when_asked(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("x")
    file = tmp_path / "remote.yaml"
    file.write_text(
        "name: remote\n"
        "hosts:\n"
        "  far:\n"
        '    url: "tcp://203.0.113.5:2376"\n'
        "    tls: {ca: ca.pem, cert: cert.pem, key: key.pem}\n"
    )
    load_topology(file)  # existence is not checked by default

    with pytest.raises(TopologyInvalid) as caught:
        load_topology(file, check_files=True)

    assert [(p.line, p.column, p.path) for p in caught.value.problems] == [
        (5, 29, "hosts.far.tls.cert"),
        (5, 44, "hosts.far.tls.key"),
    ]
    assert f"file {tmp_path / 'cert.pem'} does not exist" in str(caught.value)


def test_require_tls_files_names_host_and_file(tmp_path: Path) -> None:
    for name in ("ca.pem", "cert.pem"):
        (tmp_path / name).write_text("x")
    tls = TlsFiles(tmp_path / "ca.pem", tmp_path / "cert.pem", tmp_path / "key.pem")
    host = Host(name="far", url="tcp://203.0.113.5:2376", tls=tls)

    with pytest.raises(BadInput, match=r"host far: TLS key file .*key\.pem does not exist"):
        require_tls_files(host)
    (tmp_path / "key.pem").write_text("x")
    require_tls_files(host)


def test_all_mistakes_of_a_file_are_reported_at_once() -> None:
    text = (
        MINIMAL.replace("network: app_net}", "network: app_nett}", 1)
        .replace("publish: 8080", "publish: 99999")
        .replace("servers:", "balance: roundrobbin\n    servers:")
    )

    with pytest.raises(TopologyInvalid) as caught:
        parse_topology(text, "mini.yaml")

    assert [str(p) for p in caught.value.problems] == [
        "mini.yaml:7:58: backends.web1.network: unknown network 'app_nett'; "
        "did you mean 'app_net'?",
        "mini.yaml:14:14: vips.front.publish: 99999 is out of range; allowed: 1 to 65535",
        "mini.yaml:15:14: vips.front.balance: unknown balance algorithm 'roundrobbin'; "
        "did you mean 'roundrobin'?",
    ]
    assert str(caught.value).startswith("3 problems in topology\n")


def test_merge_keys_share_settings() -> None:
    text = MINIMAL.replace(
        "backends:\n",
        'backends:\n  base: &web {host: docker1, image: "lbtui/web:lab", network: app_net}\n',
    ).replace(
        'web2: {host: docker1, image: "lbtui/web:lab", network: app_net}',
        "web2: {<<: *web, port: 8081}",
    )

    web2 = parse_topology(text, "mini.yaml").backends["web2"]

    assert (web2.host, web2.image, web2.network, web2.port) == (
        "docker1",
        "lbtui/web:lab",
        "app_net",
        8081,
    )


def test_huge_file_is_refused_before_parsing(tmp_path: Path) -> None:
    file = tmp_path / "huge.yaml"
    file.write_text("name: huge\n" + "#" * MAX_BYTES + "\n")

    with pytest.raises(TopologyInvalid, match=r"huge\.yaml:1:1: file is \d+ bytes; the limit"):
        load_topology(file)
    with pytest.raises(TopologyInvalid, match="the limit is"):
        parse_topology(file.read_text(), "huge.yaml")


def test_missing_file_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match=r"topology file .*nowhere\.yaml does not exist"):
        load_topology(tmp_path / "nowhere.yaml")


def test_a_folder_is_not_a_topology_file(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="is a directory, not a regular file"):
        load_topology(tmp_path)


def test_mangled_files_fail_only_with_topology_invalid() -> None:
    """Random edits of the samples either load or raise TopologyInvalid, never anything else."""
    rng = random.Random(20261125)
    pieces = [*" :-[]{},*&!|'\"#\n\tab01\x07", "yes", "~", "<<: *x", "&x", "*x", "- ", "tcp://"]
    for sample in SAMPLES:
        base = sample.read_text(encoding="utf-8")
        for _ in range(80):
            chars = list(base)
            for _ in range(rng.randint(1, 4)):
                at = rng.randrange(len(chars))
                if rng.random() < 0.5:
                    del chars[at : at + rng.randint(1, 5)]
                else:
                    chars.insert(at, rng.choice(pieces))
            try:
                parse_topology("".join(chars), "mangled.yaml")
            except TopologyInvalid as error:
                assert error.problems
                assert all(p.line >= 1 and p.column >= 1 for p in error.problems)


def test_validation_never_loads_a_docker_client() -> None:
    code = (
        "import sys\n"
        "from lbtui.core.topology.load import load_topology\n"
        f"load_topology({str(SAMPLES[0])!r})\n"
        "assert not any(m == 'docker' or m.startswith('docker.') for m in sys.modules), 'docker'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_topology_id_defaults_to_a_hash_of_the_files_path(tmp_path: Path) -> None:
    text = 'name: same\nhosts:\n  docker1: {url: "unix:///run/docker.sock"}\n'
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text(text)
    second.write_text(text)
    link = tmp_path / "link.yaml"
    link.symlink_to(first)

    ids = {load_topology(path).id for path in (first, second, link)}

    assert load_topology(first).id == load_topology(link).id
    assert len(ids) == 2
    assert all(re.fullmatch(r"file-[0-9a-f]{16}", i) for i in ids)
    labels = load_topology(first).labels("backend")
    assert labels["lbtui.topology"] == "same"
    assert labels["lbtui.topology-id"] == load_topology(first).id


def test_an_explicit_id_makes_copies_one_topology(tmp_path: Path) -> None:
    text = 'name: same\nid: shop-prod\nhosts:\n  docker1: {url: "unix:///run/docker.sock"}\n'
    (tmp_path / "a.yaml").write_text(text)
    (tmp_path / "b.yaml").write_text(text)

    assert load_topology(tmp_path / "a.yaml").id == "shop-prod"
    assert load_topology(tmp_path / "b.yaml").id == "shop-prod"
    with pytest.raises(TopologyInvalid, match="id: 'Shop Prod' is not allowed"):
        parse_topology(text.replace("shop-prod", "'Shop Prod'"), "c.yaml")
