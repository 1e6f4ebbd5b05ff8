"""Faults on the real lab, each with traffic through the VIP: HAProxy's view, read-back, clear.

Bounds: a server must show DOWN within fall x inter (3 x 2 s) plus one interval for
the check already in flight when the fault starts plus 4 s for polling and a busy
2-core machine: 12 s. After a clear it must be UP within 30 s (rise x inter, plus
the DNS re-resolution a reconnected container needs).
"""

from __future__ import annotations

import io
import json
import shutil
import tarfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import yaml

from lbtui.cli import main
from lbtui.core.actions import apply, teardown
from lbtui.core.docker.hosts import DockerHosts
from lbtui.core.faults.apply import add_fault
from lbtui.core.faults.clear import clear_faults
from lbtui.core.faults.model import FaultKind, FaultOptions, fault_request
from lbtui.core.faults.readback import list_faults
from lbtui.core.haproxy.config import SERVED_BY_HEADER
from lbtui.core.topology.select import vip_url
from lbtui.core.traffic.generator import TrafficGenerator, TrafficSpec, run_traffic
from lbtui.lab import LabStatus
from tests.integration.fault_support import (
    assert_no_marks,
    error_figures,
    kernel_has_netem,
    wait_state,
)
from tests.integration.probes import sdk, wait_servers_up
from tests.integration.redeploy_support import VIP, Deployed, deployed_reference, load
from tests.integration.topologies import SAMPLES, lab_topology

pytestmark = pytest.mark.integration

HELPER = FaultOptions(via="helper")


@pytest.fixture(scope="module")
def ref(lab: LabStatus, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    with deployed_reference(lab, tmp_path_factory.mktemp("faults"), "faults") as deployed:
        yield deployed


@pytest.fixture
def clean(ref: Deployed) -> Iterator[Deployed]:
    """The deployed reference; every fault is cleared afterwards, whatever the test did."""
    try:
        yield ref
    finally:
        clear_faults(ref.hosts, ref.topology)
        wait_state(ref.topology, VIP, "web2", "UP", 30.0)


def _bound(ref: Deployed) -> float:
    check = ref.topology.vips[VIP].health_check
    return (check.fall + 1) * check.interval_ms / 1000 + 4.0


def test_pause_through_the_cli_is_down_listed_and_cleared(
    lab: LabStatus, clean: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(clean.path)
    with load(clean.topology, "fresh", timeout_s=30.0) as fresh:
        assert main(["fault", "add", path, "web2", "pause"]) == 0
        paused_at = time.monotonic()
        down_at = wait_state(clean.topology, VIP, "web2", "DOWN", _bound(clean))
        capsys.readouterr()
        assert main(["fault", "list", path, "--json"]) == 0
        listed = json.loads(capsys.readouterr().out)
        assert main(["fault", "clear", path, "web2"]) == 0
        cleared_at = time.monotonic()
        up_at = wait_state(clean.topology, VIP, "web2", "UP", 30.0)
        final = fresh.stop()
    assert [(f["target"], f["kind"], f["host"]) for f in listed] == [("web2", "pause", "docker3")]
    with sdk(lab, "docker3") as client:
        assert client.api.inspect_container("web2")["State"]["Paused"] is False
    assert_no_marks(lab, "docker3", "web2")
    assert final.servers.get("web1", 0) > 0
    print(
        f"pause: web2 DOWN {down_at - paused_at:.1f} s after pause, UP "
        f"{up_at - cleared_at:.1f} s after clear; {final.failed} of {final.sent} failed"
    )


def test_disconnect_is_down_and_clear_reconnects_with_the_aliases(
    lab: LabStatus, clean: Deployed
) -> None:
    with sdk(lab, "docker3") as client:
        before = client.api.inspect_container("web2")["NetworkSettings"]["Networks"]
    network = clean.topology.backends["web2"].network
    request = fault_request("web2", "disconnect")
    with load(clean.topology, "fresh", timeout_s=30.0):
        faults = add_fault(clean.hosts, clean.topology, request)
        wait_state(clean.topology, VIP, "web2", "DOWN", _bound(clean))
        listed = list_faults(clean.hosts, clean.topology)
        clear_faults(clean.hosts, clean.topology, "web2")
        wait_state(clean.topology, VIP, "web2", "UP", 30.0)
    assert [(f.kind, f.network) for f in faults] == [(FaultKind.DISCONNECT, network)]
    assert listed == faults
    with sdk(lab, "docker3") as client:
        after = client.api.inspect_container("web2")["NetworkSettings"]["Networks"]
    assert set(after) == set(before)
    # The same aliases (Docker adds the short ID itself) and the name resolves again (UP).
    assert set(before[network]["Aliases"] or []) == set(after[network]["Aliases"] or [])
    assert_no_marks(lab, "docker3", "web2")


def test_loss_raises_that_servers_error_and_latency_figures(clean: Deployed) -> None:
    url = vip_url(clean.topology, clean.topology.vips[VIP])
    spec = TrafficSpec(url=url, rate=50, count=150, mode="fresh", connections=8, timeout_s=20)
    baseline = run_traffic(spec)
    errors_before = {s: error_figures(clean.topology, VIP, s) for s in ("web1", "web2")}
    add_fault(clean.hosts, clean.topology, fault_request("web2", "loss", percent=40))
    lossy = run_traffic(spec)
    errors_after = {s: error_figures(clean.topology, VIP, s) for s in ("web1", "web2")}
    listed = list_faults(clean.hosts, clean.topology)
    assert [(f.target, f.kind, f.percent) for f in listed] == [("web2", FaultKind.LOSS, 40.0)]
    assert errors_after["web2"] > errors_before["web2"], (errors_before, errors_after)
    assert errors_after["web1"] == errors_before["web1"], (errors_before, errors_after)
    # A lost SYN or segment costs a retransmission timeout (200 ms to 1 s) on web2's requests.
    assert lossy.latency.p99_ms > baseline.latency.p99_ms + 150, (baseline.latency, lossy.latency)
    print(f"loss 40 %: p99 {baseline.latency.p99_ms:.1f} -> {lossy.latency.p99_ms:.1f} ms")


def _put_big_file(lab: LabStatus, host: str, container: str, size: int) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo("www/big.bin")
        info.size = size
        tar.addfile(info, io.BytesIO(b"x" * size))
    with sdk(lab, host) as client:
        client.api.put_archive(container, "/", buffer.getvalue())


def _throughputs(
    url: str, each: int, servers: tuple[str, ...] = ("web1", "web2")
) -> dict[str, list[float]]:
    """kbit/s of downloads of big.bin through the VIP, by the server that sent it, until
    every server sent `each`. The downloads go in pairs started together, so that
    round-robin gives the two to different servers: one at a time, the load running
    meanwhile could keep giving every download the same server (a steady number of
    load requests between two downloads). At most 6 x `each` pairs."""
    found: dict[str, list[float]] = {}

    def download(client: httpx.Client) -> tuple[str, float]:
        started = time.monotonic()
        response = client.get(url + "big.bin", headers={"Connection": "close"})
        elapsed = time.monotonic() - started
        response.raise_for_status()
        return response.headers[SERVED_BY_HEADER], len(response.content) * 8 / 1000 / elapsed

    with (
        httpx.Client(trust_env=False, timeout=60.0) as client,
        ThreadPoolExecutor(max_workers=2) as pool,
    ):
        for _ in range(6 * each):
            if all(len(found.get(server, [])) >= each for server in servers):
                break
            for server, kbit in pool.map(lambda _: download(client), range(2)):
                found.setdefault(server, []).append(kbit)
    return found


def test_rate_lowers_that_servers_throughput(lab: LabStatus, clean: Deployed) -> None:
    size, kbit = 1_000_000, 4000
    _put_big_file(lab, "docker2", "web1", size)
    _put_big_file(lab, "docker3", "web2", size)
    url = vip_url(clean.topology, clean.topology.vips[VIP])
    with load(clean.topology, "fresh", rate=20):
        before = _throughputs(url, 2)
        add_fault(clean.hosts, clean.topology, fault_request("web2", "rate", kbit=kbit))
        during = _throughputs(url, 2)
        listed = list_faults(clean.hosts, clean.topology)
    assert [(f.kind, f.kbit) for f in listed] == [(FaultKind.RATE, kbit)]
    assert max(during["web2"]) < kbit * 1.3, during
    assert min(before["web2"]) > kbit * 3, before
    assert min(during["web1"]) > kbit * 3, during
    print(f"rate {kbit} kbit/s: web2 {before['web2']} -> {during['web2']} kbit/s")


def test_host_down_takes_its_servers_down(lab: LabStatus, clean: Deployed) -> None:
    with load(clean.topology, "fresh", timeout_s=30.0) as fresh:
        faults = add_fault(clean.hosts, clean.topology, fault_request("host:docker3", "down"))
        wait_state(clean.topology, VIP, "web2", "DOWN", _bound(clean))
        listed = list_faults(clean.hosts, clean.topology)
        cleared = clear_faults(clean.hosts, clean.topology, "host:docker3")
        wait_state(clean.topology, VIP, "web2", "UP", 30.0)
        fresh.stop()
    assert [(f.target, f.kind, f.containers) for f in listed] == [
        ("host:docker3", FaultKind.DOWN, ("web2",))
    ]
    assert faults == listed and cleared == listed
    assert_no_marks(lab, "docker3", "web2")


def test_a_fault_over_tls_goes_through_the_helper_container(
    lab: LabStatus, clean: Deployed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if lab.tls is None:
        pytest.skip("the test lab was brought up without TLS")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    over_tls = lab_topology(lab, "presentation.yaml", tmp_path, name=clean.topology.name, tls=True)
    assert over_tls.hosts["docker3"].url.startswith("tcp://")
    hosts = DockerHosts(over_tls)
    try:
        with load(clean.topology, "fresh", timeout_s=30.0):
            add_fault(hosts, over_tls, fault_request("web2", "loss", percent=100))
            wait_state(clean.topology, VIP, "web2", "DOWN", _bound(clean))
            # Read back through the other path: the marks are the engine's, not the path's.
            seen_locally = list_faults(clean.hosts, clean.topology)
            seen_over_tls = list_faults(hosts, over_tls)
            clear_faults(hosts, over_tls, "web2")
            wait_state(clean.topology, VIP, "web2", "UP", 30.0)
        with sdk(lab, "docker3") as client:
            helpers = client.containers.list(all=True, filters={"label": "lbtui.role"})
    finally:
        hosts.close()
    assert [(f.kind, f.percent) for f in seen_over_tls] == [(FaultKind.LOSS, 100.0)]
    assert seen_locally == seen_over_tls
    assert [c.name for c in helpers if c.labels.get("lbtui.role") == "fault-helper"] == []
    assert_no_marks(lab, "docker3", "web2")


def test_delay_says_the_kernel_lacks_netem_before_changing_anything(
    lab: LabStatus, clean: Deployed, capsys: pytest.CaptureFixture[str]
) -> None:
    if kernel_has_netem():
        pytest.skip("this kernel has netem; the refusal path cannot be shown here")
    for via in ("host", "helper"):
        code = main(["fault", "add", str(clean.path), "web2", "delay", "--ms", "100", "--via", via])
        assert code == 2
        assert "netem" in capsys.readouterr().err
    assert list_faults(clean.hosts, clean.topology, HELPER) == ()
    assert_no_marks(lab, "docker3", "web2")


def _bare_image(lab: LabStatus, host: str, busybox: Path) -> str:
    """An image with one static binary and a page: no shell, no iptables, no tc, no ip."""
    tag = "lbtui-test/bare:1"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data, mode in (
            ("httpd", busybox.read_bytes(), 0o755),
            ("www/index.html", b"served by solo2\n", 0o644),
        ):
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), mode
            tar.addfile(info, io.BytesIO(data))
    with sdk(lab, host) as client:
        client.api.import_image_from_data(
            buffer.getvalue(),
            repository="lbtui-test/bare",
            tag="1",
            changes=['CMD ["/httpd", "-f", "-p", "80", "-h", "/www"]'],
        )
    return tag


def test_a_fault_works_on_an_image_without_a_shell(lab: LabStatus, tmp_path: Path) -> None:
    busybox = shutil.which("busybox")
    assert busybox is not None
    image = _bare_image(lab, "docker1", Path(busybox).resolve())
    with pytest.MonkeyPatch.context() as env:
        env.setenv("LBTUI_STATS_PASSWORD", "bare-test")
        sample = yaml.safe_load((SAMPLES / "single-host.yaml").read_text(encoding="utf-8"))
        sample["backends"]["solo2"]["image"] = image
        topology = lab_topology(
            lab, "single-host.yaml", tmp_path, edit={"backends": sample["backends"]}
        )
        hosts = DockerHosts(topology)
        try:
            apply(hosts, topology)
            wait_servers_up(topology, "single")
            with sdk(lab, "docker1") as client:
                bare = client.containers.get("solo2")
                for tool in ("sh", "iptables", "tc", "ip"):
                    found = bare.exec_run([tool, "-h"])
                    assert found.exit_code != 0 and b"not found" in found.output, found
            url = vip_url(topology, topology.vips["single"])
            spec = TrafficSpec(url=url, rate=50, count=600, mode="fresh", timeout_s=30.0)
            generator = TrafficGenerator(spec)
            generator.start()
            try:
                add_fault(hosts, topology, fault_request("solo2", "loss", percent=100))
                wait_state(topology, "single", "solo2", "DOWN", 12.0)
                listed = list_faults(hosts, topology)
                clear_faults(hosts, topology, "solo2")
                wait_state(topology, "single", "solo2", "UP", 30.0)
            finally:
                generator.stop()
            assert [(f.target, f.kind) for f in listed] == [("solo2", FaultKind.LOSS)]
            assert_no_marks(lab, "docker1", "solo2")
        finally:
            teardown(hosts, topology)
            hosts.close()
