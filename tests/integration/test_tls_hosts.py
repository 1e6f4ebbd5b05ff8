"""Docker over TLS: the topology's CA wins over REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE."""

from __future__ import annotations

from pathlib import Path

import docker
import docker.tls
import pytest
import requests.exceptions

from lbtui.core.docker.connect import Connection, HostLink
from lbtui.core.errors import HostUnreachable
from lbtui.core.topology.model import Host
from lbtui.lab import LabStatus
from tests.integration.probes import single_host_round_trip, snapshot_through
from tests.integration.topologies import lab_topology

pytestmark = pytest.mark.integration

SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


@pytest.fixture
def tls_lab(lab: LabStatus, monkeypatch: pytest.MonkeyPatch) -> LabStatus:
    if lab.tls is None:
        pytest.skip("the test lab was brought up without TLS")
    # What these machines (and many corporate ones) set: a CA bundle without the lab's CA.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", SYSTEM_BUNDLE)
    monkeypatch.setenv("CURL_CA_BUNDLE", SYSTEM_BUNDLE)
    monkeypatch.setenv("LBTUI_STATS_PASSWORD", "tls-test")
    return lab


def test_environment_bundle_breaks_a_plain_sdk_client(tls_lab: LabStatus) -> None:
    # The trap this module guards against: without lbtui's fix the SDK fails here.
    assert tls_lab.tls is not None
    tls = docker.tls.TLSConfig(
        client_cert=(tls_lab.tls.cert, tls_lab.tls.key), ca_cert=tls_lab.tls.ca, verify=True
    )
    url = tls_lab.host("docker1").tls_url
    assert url is not None
    client = docker.APIClient(base_url=url.replace("tcp://", "https://"), version="1.41", tls=tls)
    try:
        with pytest.raises(requests.exceptions.SSLError):
            client.version()
    finally:
        client.close()


def test_tls_host_is_reached_with_the_topologys_ca(tls_lab: LabStatus, tmp_path: Path) -> None:
    topology = lab_topology(tls_lab, "single-host.yaml", tmp_path, tls=True)
    snapshot = snapshot_through(topology, "docker1")
    assert snapshot.reachable, snapshot.error
    assert snapshot.engine_id == tls_lab.host("docker1").engine_id


def test_daemon_refuses_a_client_without_certificate(tls_lab: LabStatus) -> None:
    assert tls_lab.tls is not None
    url = tls_lab.host("docker1").tls_url
    assert url is not None
    host = Host("docker1", url, address=tls_lab.host("docker1").address)
    no_cert = docker.tls.TLSConfig(ca_cert=tls_lab.tls.ca, verify=True)
    link = HostLink(
        Connection(host, {"base_url": url.replace("tcp://", "https://"), "tls": no_cert})
    )
    try:
        with pytest.raises(HostUnreachable) as raised:
            link.ping()
    finally:
        link.close()
    assert raised.value.url == url
    assert "BAD_CERTIFICATE" in raised.value.reason


def test_apply_and_teardown_over_tls(tls_lab: LabStatus, tmp_path: Path) -> None:
    topology = lab_topology(tls_lab, "single-host.yaml", tmp_path, tls=True)
    single_host_round_trip(tls_lab, topology)
