"""Where everything of a lab lives: names, addresses and paths, derived from its spec alone.

Interface names must fit Linux's 15 characters: with a lab name of at most 8
characters, the bridge `lbtui-<lab>` takes at most 14 and a host's veth
`lb-<lab>-<N>` at most 13.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from lbtui.lab.spec import FIRST_HOST_OFFSET, LabSpec

RUN_ROOT = Path("/run/lbtui")
STATE_ROOT = Path("/var/lib/lbtui")
NETNS_DIR = Path("/run/netns")
TLS_PORT = 2376
IFNAME_MAX = 15

_NETNS = re.compile(r"lbtui-(?P<lab>[a-z0-9]{1,8})-docker(?P<index>[1-9])")


@dataclass(frozen=True)
class HostPlan:
    """Names, address and paths of one lab host."""

    index: int
    name: str
    netns: str
    veth: str
    address: str
    bip: str
    socket_path: Path
    data_root: Path
    exec_root: Path
    pidfile: Path
    log_file: Path
    config_file: Path
    key_file: Path

    @property
    def netns_path(self) -> Path:
        """The bind-mounted namespace file `ip netns` keeps."""
        return NETNS_DIR / self.netns

    @property
    def socket_url(self) -> str:
        """The Docker URL of the host's unix socket."""
        return f"unix://{self.socket_path}"

    @property
    def tls_url(self) -> str:
        """The Docker URL of the host's TLS endpoint (only listening when the lab has TLS)."""
        return f"tcp://{self.address}:{TLS_PORT}"


@dataclass(frozen=True)
class LabPlan:
    """Everything of a lab that can be derived from its spec, without looking at the machine."""

    spec: LabSpec
    bridge: str
    gateway: str
    prefixlen: int
    run_dir: Path
    state_dir: Path
    tls_dir: Path
    spec_file: Path
    lock_file: Path
    rule_comment: str
    hosts: tuple[HostPlan, ...]

    @property
    def name(self) -> str:
        """The lab's name."""
        return self.spec.name

    def host(self, index: int) -> HostPlan:
        """The plan of host `index` (1-based), also beyond the spec's host count."""
        return host_plan(self.spec, index, self.run_dir, self.state_dir)


def bridge_name(lab: str) -> str:
    """The lab's bridge in the root namespace."""
    return f"lbtui-{lab}"


def veth_name(lab: str, index: int) -> str:
    """The root-namespace end of host `index`'s veth pair."""
    return f"lb-{lab}-{index}"


def netns_name(lab: str, index: int) -> str:
    """The network namespace of host `index`."""
    return f"lbtui-{lab}-docker{index}"


def parse_netns_name(name: str) -> tuple[str, int] | None:
    """(lab, host index) for a namespace a lab created, else None."""
    match = _NETNS.fullmatch(name)
    if match is None:
        return None
    return match["lab"], int(match["index"])


def host_plan(spec: LabSpec, index: int, run_dir: Path, state_dir: Path) -> HostPlan:
    """Names, address and paths of host `index` of the lab."""
    name = f"docker{index}"
    return HostPlan(
        index=index,
        name=name,
        netns=netns_name(spec.name, index),
        veth=veth_name(spec.name, index),
        address=str(spec.network.network_address + FIRST_HOST_OFFSET + index),
        bip=f"172.31.{index}.1/24",
        socket_path=run_dir / f"{name}.sock",
        data_root=state_dir / name,
        # Short on purpose: containerd puts unix sockets under it (108-byte limit).
        exec_root=run_dir / f"x{index}",
        pidfile=run_dir / f"{name}.pid",
        log_file=state_dir / "logs" / f"{name}.log",
        config_file=state_dir / "config" / f"{name}.json",
        key_file=state_dir / "config" / f"{name}-key.json",
    )


def plan_lab(spec: LabSpec, run_root: Path = RUN_ROOT, state_root: Path = STATE_ROOT) -> LabPlan:
    """The lab's full plan."""
    run_dir = run_root / spec.name
    state_dir = state_root / spec.name
    network = spec.network
    return LabPlan(
        spec=spec,
        bridge=bridge_name(spec.name),
        gateway=str(network.network_address + 1),
        prefixlen=network.prefixlen,
        run_dir=run_dir,
        state_dir=state_dir,
        tls_dir=state_dir / "tls",
        spec_file=run_dir / "lab.json",
        lock_file=run_root / f"{spec.name}.lock",
        rule_comment=f"lbtui-lab:{spec.name}",
        hosts=tuple(host_plan(spec, i, run_dir, state_dir) for i in range(1, spec.hosts + 1)),
    )
