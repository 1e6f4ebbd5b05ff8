"""Parsers over system tool output: ip addresses, iptables rules, mountinfo, /proc trees."""

from __future__ import annotations

import ipaddress
from pathlib import Path

from lbtui.lab import LabSpec
from lbtui.lab.firewall import deletions, rule_spec
from lbtui.lab.mounts import mount_points, under
from lbtui.lab.network import conflicting_addresses, conflicting_routes
from lbtui.lab.plan import plan_lab
from lbtui.lab.processes import is_lab_daemon, with_descendants

SUBNET = ipaddress.IPv4Network("198.18.0.0/24")


def test_an_address_in_the_range_on_another_interface_conflicts() -> None:
    addr_json = [
        {"ifname": "eth0", "addr_info": [{"family": "inet", "local": "10.0.0.5", "prefixlen": 8}]},
        {"ifname": "lbtui-lab", "addr_info": [{"local": "198.18.0.1", "prefixlen": 24}]},
        {"ifname": "wg0", "addr_info": [{"local": "198.18.0.200", "prefixlen": 32}]},
        {"ifname": "big", "addr_info": [{"local": "198.0.0.1", "prefixlen": 8}]},
    ]
    assert conflicting_addresses(addr_json, SUBNET, "lbtui-lab") == [
        "wg0 (198.18.0.200/32)",
        "big (198.0.0.1/8)",
    ]


def test_no_conflict_when_only_the_labs_own_bridge_uses_the_range() -> None:
    addr_json = [{"ifname": "lbtui-lab", "addr_info": [{"local": "198.18.0.1", "prefixlen": 24}]}]
    assert conflicting_addresses(addr_json, SUBNET, "lbtui-lab") == []


def test_a_route_overlapping_the_range_conflicts_and_is_named() -> None:
    route_json = [
        {"dst": "default", "gateway": "192.0.2.1", "dev": "eth0", "flags": []},
        {"dst": "192.0.2.0/24", "dev": "eth0", "protocol": "kernel", "scope": "link"},
        {"dst": "198.0.0.0/8", "gateway": "192.0.2.7", "dev": "eth0", "flags": []},
        {"dst": "198.18.0.128/25", "dev": "wg0", "table": "42", "flags": []},
        {"type": "blackhole", "dst": "198.18.0.9", "flags": []},
        {"dst": "198.18.0.0/24", "dev": "lbtui-lab", "protocol": "kernel"},
        {"type": "broadcast", "dst": "198.18.0.255", "dev": "lbtui-lab", "table": "local"},
        {"type": "local", "dst": "127.0.0.1", "dev": "lo", "table": "local"},
    ]
    assert conflicting_routes(route_json, SUBNET, "lbtui-lab") == [
        "198.0.0.0/8 via 192.0.2.7 dev eth0",
        "198.18.0.128/25 dev wg0 table 42",
        "blackhole 198.18.0.9",
    ]


def test_the_default_route_and_the_labs_own_routes_do_not_conflict() -> None:
    route_json = [
        {"dst": "default", "gateway": "198.18.0.254", "dev": "eth0"},
        {"dst": "198.18.0.0/24", "dev": "lbtui-lab", "protocol": "kernel"},
        {"dst": "10.0.0.0/8", "dev": "eth0"},
    ]
    assert conflicting_routes(route_json, SUBNET, "lbtui-lab") == []


def test_only_rules_tagged_with_exactly_this_lab_are_deleted() -> None:
    listing = [
        "-P FORWARD DROP",
        '-A FORWARD -i lbtui-lab -o lbtui-lab -m comment --comment "lbtui-lab:lab" -j ACCEPT',
        "-A FORWARD -i lbtui-lab2 -o lbtui-lab2 -m comment --comment lbtui-lab:lab2 -j ACCEPT",
        "-A FORWARD -j DOCKER-USER",
        "-A DOCKER-USER -i lbtui-lab -o lbtui-lab -m comment --comment lbtui-lab:lab -j ACCEPT",
    ]
    assert deletions(listing, "lbtui-lab:lab") == [
        [
            "-D",
            "FORWARD",
            "-i",
            "lbtui-lab",
            "-o",
            "lbtui-lab",
            "-m",
            "comment",
            "--comment",
            "lbtui-lab:lab",
            "-j",
            "ACCEPT",
        ],
        [
            "-D",
            "DOCKER-USER",
            "-i",
            "lbtui-lab",
            "-o",
            "lbtui-lab",
            "-m",
            "comment",
            "--comment",
            "lbtui-lab:lab",
            "-j",
            "ACCEPT",
        ],
    ]


def test_the_rule_accepts_bridged_lab_traffic_only() -> None:
    spec = rule_spec(plan_lab(LabSpec(name="lbtest", subnet="198.18.1.0/24")))
    assert spec == [
        "-i",
        "lbtui-lbtest",
        "-o",
        "lbtui-lbtest",
        "-m",
        "comment",
        "--comment",
        "lbtui-lab:lbtest",
        "-j",
        "ACCEPT",
    ]


MOUNTINFO = """\
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/vda rw
80 22 0:50 / /var/lib/lbtui/lab/docker1 rw shared:40 - ext4 /dev/vda rw
81 80 0:51 / /var/lib/lbtui/lab/docker1/overlay2/abc/merged rw - overlay overlay rw
82 22 0:4 net:[4026532] /run/lbtui/lab/x1/netns/1a2b rw - nsfs nsfs rw
83 22 0:52 / /var/lib/lbtui/lab2/docker1 rw - ext4 /dev/vda rw
84 22 0:53 / /var/lib/lbtui/lab/with\\040space rw - tmpfs tmpfs rw
"""


def test_mountinfo_points_are_unescaped() -> None:
    assert "/var/lib/lbtui/lab/with space" in mount_points(MOUNTINFO)


def test_mounts_under_a_lab_are_found_deepest_first_and_no_others() -> None:
    points = mount_points(MOUNTINFO)
    found = under(points, [Path("/var/lib/lbtui/lab"), Path("/run/lbtui/lab")])
    assert found == [
        "/var/lib/lbtui/lab/docker1/overlay2/abc/merged",
        "/run/lbtui/lab/x1/netns/1a2b",
        "/var/lib/lbtui/lab/with space",
        "/var/lib/lbtui/lab/docker1",
    ]
    assert "/var/lib/lbtui/lab2/docker1" not in found


def test_descendants_follow_the_process_tree() -> None:
    parents = {10: 1, 11: 10, 12: 11, 13: 12, 20: 1, 21: 20}
    assert with_descendants([11], parents) == {11, 12, 13}
    assert with_descendants([], parents) == set()


def test_a_lab_daemon_is_dockerd_serving_that_socket() -> None:
    socket = Path("/run/lbtui/lab/docker1.sock")
    argv = ["dockerd", "--host=unix:///run/lbtui/lab/docker1.sock", "--data-root=/x"]
    assert is_lab_daemon(argv, socket)
    assert is_lab_daemon(["/usr/sbin/dockerd", *argv[1:]], socket)
    assert not is_lab_daemon(argv, Path("/run/lbtui/lab/docker2.sock"))
    assert not is_lab_daemon(["sleep", "unix:///run/lbtui/lab/docker1.sock"], socket)
    assert not is_lab_daemon([], socket)
