"""The test lab is three real Docker hosts, each reachable and serving from its own address."""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import httpx
import pytest
import requests
from docker.tls import TLSConfig

from lbtui.core.errors import LabError
from lbtui.lab import HAPROXY_IMAGE, WEB_IMAGE, LabSpec, LabStatus, lab_up
from lbtui.lab.firewall import ensure_rules, remove_rules
from lbtui.lab.plan import plan_lab

pytestmark = pytest.mark.integration

WEB_PORT = 18080
BRIDGE_NF = Path("/proc/sys/net/bridge/bridge-nf-call-iptables")


@contextlib.contextmanager
def client(lab: LabStatus, host: str) -> Iterator[docker.DockerClient]:
    """An SDK client on a lab host's unix socket."""
    sdk = docker.DockerClient(base_url=lab.host(host).socket_url, version="1.41", timeout=30)
    try:
        yield sdk
    finally:
        sdk.close()


@contextlib.contextmanager
def web_containers(lab: LabStatus) -> Iterator[dict[str, str]]:
    """One `lbtui/web:lab` container per host, port published; host -> container name."""
    names = {host.name: f"labtest-web-{host.name}" for host in lab.hosts}
    try:
        for host, name in names.items():
            with client(lab, host) as sdk:
                sdk.containers.run(
                    WEB_IMAGE, name=name, hostname=name, detach=True, ports={"80/tcp": WEB_PORT}
                )
        yield names
    finally:
        for host, name in names.items():
            with client(lab, host) as sdk, contextlib.suppress(docker.errors.NotFound):
                sdk.containers.get(name).remove(force=True)


def get(url: str, method: str = "GET") -> httpx.Response:
    """One request with bounded retries while a just-started container comes up."""
    last: Exception | None = None
    for _ in range(50):
        try:
            return httpx.request(method, url, timeout=2.0)
        except httpx.TransportError as error:
            last = error
            time.sleep(0.1)
    raise AssertionError(f"{url} never answered: {last}")


def test_three_hosts_are_reachable_with_distinct_engines(lab: LabStatus) -> None:
    assert [host.name for host in lab.hosts] == ["docker1", "docker2", "docker3"]
    ids = set()
    for host in lab.hosts:
        with client(lab, host.name) as sdk:
            ids.add(sdk.info()["ID"])
            tags = {tag for image in sdk.images.list() for tag in image.tags}
        assert {WEB_IMAGE, HAPROXY_IMAGE} <= tags
        assert host.reachable and host.pid is not None
    assert len(ids) == 3


def test_each_host_serves_its_own_container_at_its_address(lab: LabStatus) -> None:
    with web_containers(lab) as names:
        for host in lab.hosts:
            url = f"http://{host.address}:{WEB_PORT}/index.html"
            assert get(url).text.strip() == f"served by {names[host.name]}"
            head = get(url, method="HEAD")
            assert head.status_code == 200


def test_server_name_can_come_from_the_environment(lab: LabStatus) -> None:
    with client(lab, "docker1") as sdk:
        output = sdk.containers.run(
            WEB_IMAGE,
            ["/bin/sh", "-c", "timeout 1 /bin/sh /start.sh; cat /www/index.html"],
            environment={"LBTUI_SERVER_NAME": "blue"},
            remove=True,
        )
    assert output.decode().strip() == "served by blue"


def test_haproxy_image_validates_a_config(lab: LabStatus) -> None:
    config = (
        "defaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n"
        "  timeout connect 1s\nfrontend f\n  bind :8080\n  default_backend b\n"
        "backend b\n  server s 127.0.0.1:80\n"
    )
    with client(lab, "docker2") as sdk:
        output = sdk.containers.run(
            HAPROXY_IMAGE,
            [
                "sh",
                "-c",
                'printf "$CFG" > /usr/local/etc/haproxy/haproxy.cfg && '
                "haproxy -c -f /usr/local/etc/haproxy/haproxy.cfg",
            ],
            environment={"CFG": config},
            remove=True,
        )
    assert b"Configuration file is valid" in output


def _iptables(*args: str) -> str:
    return subprocess.run(
        ["iptables", "-w", *args], check=True, capture_output=True, text=True
    ).stdout


def _fetch_from_docker1(lab: LabStatus, url: str) -> bool:
    with client(lab, "docker1") as sdk:
        try:
            # busybox's own `wget -T` crashes in Debian's build, so `timeout` bounds it, under
            # a shell: as PID 1 wget itself would ignore the signal.
            sdk.containers.run(
                WEB_IMAGE, ["sh", "-c", f"timeout 4 wget -q -O - {url}; exit $?"], remove=True
            )
        except docker.errors.ContainerError:
            return False
    return True


def test_hosts_reach_each_other_when_forward_policy_is_drop(lab: LabStatus) -> None:
    """What a root-namespace dockerd does to FORWARD must not cut the lab bridge."""
    plan = plan_lab(lab.spec)
    policy = "DROP" if "-P FORWARD DROP" in _iptables("-S", "FORWARD") else "ACCEPT"
    url = f"http://{lab.host('docker2').address}:{WEB_PORT}/index.html"
    with web_containers(lab):
        get(url)
        try:
            _iptables("-P", "FORWARD", "DROP")
            assert _fetch_from_docker1(lab, url), "docker1 cannot reach docker2 despite the rule"
            if BRIDGE_NF.exists() and BRIDGE_NF.read_text().strip() == "1":
                remove_rules(plan)
                assert not _fetch_from_docker1(lab, url), "without the rule, DROP should bite"
        finally:
            ensure_rules(plan)
            _iptables("-P", "FORWARD", policy)
        # `up` itself restores a missing rule.
        remove_rules(plan)
        lab_up(lab.spec)
        assert ensure_rules(plan) == []


def test_tls_endpoint_needs_the_client_certificate(
    lab: LabStatus, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert lab.tls is not None
    # These machines point requests at the system bundle; the lab's CA must still win.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    monkeypatch.setenv("CURL_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    host = lab.host("docker3")
    assert host.tls_url == f"tcp://{host.address}:2376"
    with_cert = TLSConfig(client_cert=(lab.tls.cert, lab.tls.key), ca_cert=lab.tls.ca, verify=True)
    sdk = docker.DockerClient(base_url=host.tls_url, tls=with_cert, version="1.41", timeout=10)
    sdk.api.trust_env = False
    try:
        assert sdk.info()["ID"] == host.engine_id
    finally:
        sdk.close()
    without_cert = TLSConfig(ca_cert=lab.tls.ca, verify=True)
    anonymous = docker.DockerClient(
        base_url=host.tls_url, tls=without_cert, version="1.41", timeout=10
    )
    anonymous.api.trust_env = False
    try:
        with pytest.raises(requests.exceptions.SSLError, match=r"(?i)certificate"):
            anonymous.ping()
    finally:
        anonymous.close()


def test_a_range_in_use_is_refused_before_anything_changes(lab: LabStatus) -> None:
    with pytest.raises(LabError, match=f"already in use on lbtui-{lab.spec.name}"):
        lab_up(LabSpec(name="lbclash", hosts=1, subnet=lab.spec.subnet))
    assert not plan_lab(LabSpec(name="lbclash")).lock_file.exists()
