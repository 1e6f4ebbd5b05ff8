"""LabSpec validation: what a lab may be called, how big it may be, which range it may use."""

from __future__ import annotations

import pytest

from lbtui.core.errors import BadInput
from lbtui.lab import LabSpec


def test_defaults_are_the_users_lab() -> None:
    spec = LabSpec()
    assert (spec.name, spec.hosts, spec.subnet, spec.tls) == ("lab", 3, "198.18.0.0/24", False)


@pytest.mark.parametrize("name", ["", "Lab", "lab-1", "toolongxx", "lab_1", "lab 1"])
def test_bad_names_are_refused(name: str) -> None:
    with pytest.raises(BadInput, match="lab name"):
        LabSpec(name=name)


@pytest.mark.parametrize("name", ["a", "lbtest", "12345678"])
def test_good_names_are_accepted(name: str) -> None:
    assert LabSpec(name=name).name == name


@pytest.mark.parametrize("hosts", [0, 10, -1])
def test_host_count_must_be_1_to_9(hosts: int) -> None:
    with pytest.raises(BadInput, match="1 to 9 hosts"):
        LabSpec(hosts=hosts)


@pytest.mark.parametrize(
    ("subnet", "message"),
    [
        ("198.18.0.1/24", "not an IPv4 network"),
        ("nonsense", "not an IPv4 network"),
        ("fd00::/64", "not an IPv4 network"),
        ("198.18.0.0/28", "too small"),
        ("172.31.0.0/24", "overlaps 172.31.0.0/16"),
        ("127.0.0.0/24", "not usable"),
        ("8.8.8.0/24", "not usable for a lab: it must lie within one of the private"),
        ("192.0.2.0/24", "not usable"),
        ("100.64.0.0/24", "not usable"),
        ("169.254.1.0/24", "not usable"),
        ("224.0.0.0/24", "not usable"),
        ("172.32.0.0/24", "not usable"),
        ("198.20.0.0/24", "not usable"),
        ("11.0.0.0/24", "not usable"),
        ("10.0.0.0/7", "not usable"),
        ("192.168.0.0/15", "not usable"),
    ],
)
def test_bad_subnets_are_refused(subnet: str, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        LabSpec(subnet=subnet)


def test_subnet_is_normalised() -> None:
    assert LabSpec(subnet="198.18.7.0/255.255.255.0").subnet == "198.18.7.0/24"


def test_a_27_is_just_big_enough() -> None:
    assert LabSpec(subnet="10.9.8.32/27", hosts=9).network.num_addresses == 32


@pytest.mark.parametrize(
    "subnet",
    [
        "10.0.0.0/8",
        "10.250.3.0/24",
        "172.16.0.0/24",
        "172.30.255.0/24",
        "192.168.77.0/24",
        "198.18.0.0/24",
        "198.19.255.0/24",
        "198.18.0.0/15",
    ],
)
def test_private_and_benchmark_ranges_are_allowed(subnet: str) -> None:
    assert LabSpec(subnet=subnet).subnet == subnet


def test_the_refusal_names_every_allowed_range() -> None:
    with pytest.raises(BadInput) as caught:
        LabSpec(subnet="8.8.8.0/24")
    for allowed in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "198.18.0.0/15"):
        assert allowed in str(caught.value)
