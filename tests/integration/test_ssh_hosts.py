"""Docker over ssh://: a real sshd in a lab host's namespace, the docker SDK's SSH transport.

The sshd is the user's remote machine: it runs `docker system dial-stdio` for the login,
against that host's engine (DOCKER_HOST set by the authorized key). The `ssh` on PATH is
the user's ssh with their config (key, known host): a wrapper adding `-F`, since
OpenSSH reads ~/.ssh from the password database, not from $HOME.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lbtui.lab import LabStatus
from lbtui.lab.plan import netns_name
from tests.integration.probes import single_host_round_trip, snapshot_through
from tests.integration.topologies import lab_topology

pytestmark = pytest.mark.integration

SSHD = "/usr/sbin/sshd"
SSH_PORT = 2222
START_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class SshHost:
    url: str
    log: Path


def _keygen(path: Path) -> str:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True, timeout=30
    )
    return path.with_suffix(".pub").read_text(encoding="utf-8").strip()


def _listening(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture
def ssh_host(lab: LabStatus, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SshHost]:
    for tool in (SSHD, "ssh", "ssh-keygen"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (Debian: openssh-server, openssh-client)")
    docker1 = lab.host("docker1")
    host_key = _keygen(tmp_path / "host_key")
    client_key = _keygen(tmp_path / "client_key")
    (tmp_path / "authorized_keys").write_text(
        f'environment="DOCKER_HOST={docker1.socket_url}" {client_key}\n', encoding="utf-8"
    )
    (tmp_path / "sshd_config").write_text(
        f"Port {SSH_PORT}\nListenAddress {docker1.address}\nHostKey {tmp_path / 'host_key'}\n"
        f"AuthorizedKeysFile {tmp_path / 'authorized_keys'}\nPermitRootLogin prohibit-password\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
        "StrictModes no\nPermitUserEnvironment DOCKER_HOST\n",
        encoding="utf-8",
    )
    (tmp_path / "known_hosts").write_text(
        f"[{docker1.address}]:{SSH_PORT} {host_key}\n", encoding="utf-8"
    )
    (tmp_path / "ssh_config").write_text(
        f"Host *\n  IdentityFile {tmp_path / 'client_key'}\n  IdentitiesOnly yes\n"
        f"  UserKnownHostsFile {tmp_path / 'known_hosts'}\n  StrictHostKeyChecking yes\n"
        "  BatchMode yes\n",
        encoding="utf-8",
    )
    wrapper = tmp_path / "bin" / "ssh"
    wrapper.parent.mkdir()
    real_ssh = shutil.which("ssh")
    wrapper.write_text(
        f'#!/bin/sh\nexec {real_ssh} -F {tmp_path / "ssh_config"} "$@"\n', encoding="utf-8"
    )
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{wrapper.parent}:{os.environ['PATH']}")
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation dir
    log = tmp_path / "sshd.log"
    netns = netns_name(lab.spec.name, 1)
    argv = ["ip", "netns", "exec", netns, SSHD, "-D", "-f", str(tmp_path / "sshd_config")]
    sshd = subprocess.Popen([*argv, "-E", str(log)])
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _listening(docker1.address, SSH_PORT):
            if sshd.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"sshd did not start: {log.read_text(encoding='utf-8')}")
            time.sleep(0.05)
        yield SshHost(f"ssh://root@{docker1.address}:{SSH_PORT}", log)
    finally:
        sshd.terminate()  # the sshd this fixture started, by its PID
        sshd.wait(timeout=10)


def test_ssh_host_is_the_same_engine(lab: LabStatus, ssh_host: SshHost, tmp_path: Path) -> None:
    topology = lab_topology(lab, "single-host.yaml", tmp_path, urls={"docker1": ssh_host.url})
    snapshot = snapshot_through(topology, "docker1")
    assert snapshot.reachable, snapshot.error
    assert snapshot.url == ssh_host.url
    assert snapshot.engine_id == lab.host("docker1").engine_id
    assert "Accepted publickey for root" in ssh_host.log.read_text(encoding="utf-8")


def test_apply_and_teardown_over_ssh(lab: LabStatus, ssh_host: SshHost, tmp_path: Path) -> None:
    # Networks, containers, files into the LB, haproxy -c by exec: all of it over ssh.
    topology = lab_topology(lab, "single-host.yaml", tmp_path, urls={"docker1": ssh_host.url})
    single_host_round_trip(lab, topology)
