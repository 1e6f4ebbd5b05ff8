"""What a lab is: its name, how many hosts, which address range, TLS or not."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from lbtui.core.errors import BadInput

MAX_HOSTS = 9
FIRST_HOST_OFFSET = 10
"""Host i gets address `.10+i` of the subnet; the bridge gets `.1`."""
DAEMON_BRIDGES = ipaddress.IPv4Network("172.31.0.0/16")
"""Each lab dockerd's own `--bip` comes from here, so the lab subnet must stay out of it."""

_NAME = re.compile(r"[a-z0-9]{1,8}")
#: The only ranges a lab may use: private (RFC 1918) and benchmarking (RFC 2544) space,
#: so a lab can never take over addresses that are real somewhere on the internet.
ALLOWED_RANGES = tuple(
    ipaddress.IPv4Network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "198.18.0.0/15")
)


@dataclass(frozen=True)
class LabSpec:
    """A lab to bring up: validated on construction (raises BadInput)."""

    name: str = "lab"
    hosts: int = 3
    subnet: str = "198.18.0.0/24"
    tls: bool = False

    def __post_init__(self) -> None:
        if not _NAME.fullmatch(self.name):
            raise BadInput(
                f"lab name {self.name!r} is invalid: use 1 to 8 characters from a-z and 0-9"
            )
        if isinstance(self.hosts, bool) or not 1 <= self.hosts <= MAX_HOSTS:
            raise BadInput(f"a lab has 1 to {MAX_HOSTS} hosts, not {self.hosts}")
        network = parse_subnet(self.subnet)
        # Normalise so that "198.18.0.0/24" and "198.18.0.0/255.255.255.0" are one lab.
        object.__setattr__(self, "subnet", str(network))

    @property
    def network(self) -> ipaddress.IPv4Network:
        """The subnet as an address object."""
        return ipaddress.IPv4Network(self.subnet)


def parse_subnet(text: str) -> ipaddress.IPv4Network:
    """The lab subnet, or BadInput saying why it cannot hold a lab."""
    try:
        network = ipaddress.IPv4Network(text, strict=True)
    except ValueError as error:
        raise BadInput(
            f"subnet {text!r} is not an IPv4 network like 198.18.0.0/24: {error}"
        ) from None
    if network.num_addresses < 32:
        raise BadInput(
            f"subnet {network} is too small: the lab needs a /27 or larger "
            f"(bridge .1, hosts .{FIRST_HOST_OFFSET + 1} to .{FIRST_HOST_OFFSET + MAX_HOSTS})"
        )
    if network.overlaps(DAEMON_BRIDGES):
        raise BadInput(
            f"subnet {network} overlaps {DAEMON_BRIDGES}, which the lab's Docker engines use "
            "for their own bridges: choose another range, e.g. 198.18.0.0/24"
        )
    if not any(network.subnet_of(allowed) for allowed in ALLOWED_RANGES):
        ranges = ", ".join(str(allowed) for allowed in ALLOWED_RANGES)
        raise BadInput(
            f"subnet {network} is not usable for a lab: it must lie within one of the private "
            f"or benchmarking ranges {ranges}, e.g. 198.18.0.0/24"
        )
    return network
