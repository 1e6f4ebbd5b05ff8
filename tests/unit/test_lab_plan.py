"""The lab's names, addresses and paths, derived from its spec."""

from __future__ import annotations

from pathlib import Path

import pytest

from lbtui.lab import LabSpec
from lbtui.lab.plan import IFNAME_MAX, parse_netns_name, plan_lab


def test_default_lab_matches_the_sample_topologies() -> None:
    plan = plan_lab(LabSpec())
    assert [h.name for h in plan.hosts] == ["docker1", "docker2", "docker3"]
    assert [h.socket_url for h in plan.hosts] == [
        f"unix:///run/lbtui/lab/docker{i}.sock" for i in (1, 2, 3)
    ]
    assert [h.address for h in plan.hosts] == ["198.18.0.11", "198.18.0.12", "198.18.0.13"]
    assert plan.gateway == "198.18.0.1"
    assert plan.prefixlen == 24
    assert plan.hosts[0].tls_url == "tcp://198.18.0.11:2376"


def test_paths_live_under_the_labs_own_directories() -> None:
    plan = plan_lab(LabSpec(name="lbtest", subnet="198.18.1.0/24"))
    host = plan.hosts[1]
    assert host.data_root == Path("/var/lib/lbtui/lbtest/docker2")
    assert host.exec_root.parent == plan.run_dir == Path("/run/lbtui/lbtest")
    assert host.pidfile.parent == plan.run_dir
    assert host.log_file.is_relative_to(plan.state_dir)
    assert host.netns == "lbtui-lbtest-docker2"
    assert host.netns_path == Path("/run/netns/lbtui-lbtest-docker2")


def test_every_host_has_its_own_daemon_bridge() -> None:
    plan = plan_lab(LabSpec(hosts=9))
    assert len({host.bip for host in plan.hosts}) == 9
    assert plan.hosts[8].address == "198.18.0.19"


def test_interface_names_fit_the_kernel_limit_for_the_longest_names() -> None:
    plan = plan_lab(LabSpec(name="abcdefgh", hosts=9))
    names = [plan.bridge, *(host.veth for host in plan.hosts)]
    assert all(len(name) <= IFNAME_MAX for name in names), names
    assert len(set(names)) == len(names)


def test_unix_socket_paths_stay_short() -> None:
    host = plan_lab(LabSpec(name="abcdefgh", hosts=9)).hosts[8]
    # containerd puts its sockets about 50 characters below the exec-root; the limit is 108.
    assert len(str(host.exec_root)) + 50 < 108


def test_namespaces_of_two_labs_are_told_apart() -> None:
    assert parse_netns_name("lbtui-lab-docker3") == ("lab", 3)
    assert parse_netns_name("lbtui-lab2-docker1") == ("lab2", 1)
    assert parse_netns_name("lbtui-lab-docker10") is None
    assert parse_netns_name("docker1") is None
    assert parse_netns_name("lbtui-LAB-docker1") is None


@pytest.mark.parametrize("index", [4, 9])
def test_host_plans_exist_beyond_the_spec_for_cleanup(index: int) -> None:
    plan = plan_lab(LabSpec(hosts=2))
    assert plan.host(index).name == f"docker{index}"
