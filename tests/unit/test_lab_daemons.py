"""How each lab dockerd is started."""

from __future__ import annotations

from pathlib import Path

from lbtui.lab import LabSpec
from lbtui.lab.daemons import daemon_config, daemon_env, dockerd_argv
from lbtui.lab.plan import plan_lab
from lbtui.lab.tls import client_files, server_files


def test_dockerd_runs_in_the_hosts_namespace_with_its_own_everything() -> None:
    plan = plan_lab(LabSpec(name="lbtest", subnet="198.18.1.0/24"))
    host = plan.hosts[0]
    argv = dockerd_argv(host, None)
    assert argv[:4] == ["nsenter", "--net=/run/netns/lbtui-lbtest-docker1", "--", "dockerd"]
    for flag in (
        "--host=unix:///run/lbtui/lbtest/docker1.sock",
        "--data-root=/var/lib/lbtui/lbtest/docker1",
        f"--exec-root={host.exec_root}",
        "--pidfile=/run/lbtui/lbtest/docker1.pid",
        f"--config-file={host.config_file}",
        "--bip=172.31.1.1/24",
        "--iptables=true",
    ):
        assert flag in argv
    assert not any(arg.startswith("--host=tcp") for arg in argv)


def test_with_tls_dockerd_also_listens_on_its_address_and_verifies_clients() -> None:
    plan = plan_lab(LabSpec(name="lbtest", subnet="198.18.1.0/24", tls=True))
    host = plan.hosts[2]
    client, server = client_files(plan), server_files(plan, host)
    argv = dockerd_argv(host, (client, server))
    assert "--host=tcp://198.18.1.13:2376" in argv
    assert "--tlsverify" in argv
    assert f"--tlscacert={client.ca}" in argv
    assert f"--tlscert={server.cert}" in argv
    assert f"--tlskey={server.key}" in argv
    assert Path(client.ca).parent == plan.state_dir / "tls"


def test_each_host_has_its_own_identity_key() -> None:
    plan = plan_lab(LabSpec())
    keys = {daemon_config(host)["deprecated-key-path"] for host in plan.hosts}
    assert len(keys) == 3


def test_engines_start_swarm_tasks_from_local_images() -> None:
    env = daemon_env()
    assert env["DOCKER_SERVICE_PREFER_OFFLINE_IMAGE"] == "1"
    assert "/usr/sbin" in env["PATH"].split(":")
