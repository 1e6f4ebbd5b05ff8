"""Point a sample topology at the test lab: its sockets, addresses, and a unique name."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from lbtui.core.topology.load import load_topology
from lbtui.core.topology.model import Topology
from lbtui.lab import LabStatus

SAMPLES = Path(__file__).resolve().parents[2] / "sample_topologies"


def unique_name(prefix: str) -> str:
    """A topology name no other test uses, so labels never mix."""
    return f"{prefix}-{secrets.token_hex(3)}"


def lab_topology(
    lab: LabStatus,
    sample: str,
    folder: Path,
    name: str | None = None,
    tls: bool = False,
    edit: dict[str, Any] | None = None,
    urls: Mapping[str, str] | None = None,
) -> Topology:
    """Load `sample_topologies/<sample>` rewritten for `lab` (over TLS when asked).

    `urls` replaces the URL of some hosts (e.g. an ssh:// endpoint in front of the engine).
    """
    data = yaml.safe_load((SAMPLES / sample).read_text(encoding="utf-8"))
    data["name"] = name or unique_name(Path(sample).stem)
    hosts: dict[str, Any] = {}
    for host_name in data["hosts"]:
        status = lab.host(host_name)
        entry: dict[str, Any] = {"url": status.socket_url, "address": status.address}
        if tls:
            assert lab.tls is not None and status.tls_url is not None, "the lab has no TLS"
            entry["url"] = status.tls_url
            entry["tls"] = {"ca": lab.tls.ca, "cert": lab.tls.cert, "key": lab.tls.key}
        if urls and host_name in urls:
            entry["url"] = urls[host_name]
        hosts[host_name] = entry
    data["hosts"] = hosts
    data.update(edit or {})
    path = folder / f"{data['name']}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return load_topology(path, check_files=True)
