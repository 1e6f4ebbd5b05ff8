"""Certificates for the lab's TLS endpoints, made with the openssl command line."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from lbtui.lab.plan import HostPlan, LabPlan
from lbtui.lab.system import run

DAYS = "825"
_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


@dataclass(frozen=True)
class LabTls:
    """The client side of the lab's TLS: CA certificate, client certificate and key (paths)."""

    ca: str
    cert: str
    key: str


@dataclass(frozen=True)
class ServerTls:
    """One daemon's server certificate and key (paths)."""

    cert: Path
    key: Path


def client_files(plan: LabPlan) -> LabTls:
    """Where the client files of the lab are."""
    return LabTls(
        ca=str(plan.tls_dir / "ca.pem"),
        cert=str(plan.tls_dir / "cert.pem"),
        key=str(plan.tls_dir / "key.pem"),
    )


def server_files(plan: LabPlan, host: HostPlan) -> ServerTls:
    """Where a host's server certificate and key are."""
    return ServerTls(plan.tls_dir / f"{host.name}-cert.pem", plan.tls_dir / f"{host.name}-key.pem")


def _inventory(plan: LabPlan) -> str:
    return json.dumps({host.name: host.address for host in plan.hosts}, sort_keys=True)


def tls_ready(plan: LabPlan) -> bool:
    """True when every file exists and the server certificates match the hosts' addresses."""
    client = client_files(plan)
    files = [Path(client.ca), Path(client.cert), Path(client.key), plan.tls_dir / "ca-key.pem"]
    for host in plan.hosts:
        server = server_files(plan, host)
        files += [server.cert, server.key]
    marker = plan.tls_dir / "hosts.json"
    if not (marker.exists() and all(f.exists() for f in files)):
        return False
    return marker.read_text() == _inventory(plan)


def ensure_tls(plan: LabPlan) -> bool:
    """Make the CA, server and client certificates unless they are current; True if made."""
    if tls_ready(plan):
        return False
    d = plan.tls_dir
    d.mkdir(parents=True, exist_ok=True)
    d.chmod(0o700)
    ca, ca_key = d / "ca.pem", d / "ca-key.pem"
    run(
        [
            "openssl",
            "req",
            "-x509",
            *_KEY,
            "-keyout",
            str(ca_key),
            "-out",
            str(ca),
            "-days",
            DAYS,
            "-subj",
            f"/CN=lbtui lab {plan.name} CA",
        ]
    )
    for host in plan.hosts:
        server = server_files(plan, host)
        _issue(
            d,
            ca,
            ca_key,
            server.cert,
            server.key,
            f"/CN={host.name}",
            f"subjectAltName=IP:{host.address},DNS:{host.name}\nextendedKeyUsage=serverAuth\n",
        )
    client = client_files(plan)
    _issue(
        d,
        ca,
        ca_key,
        Path(client.cert),
        Path(client.key),
        "/CN=lbtui-client",
        "extendedKeyUsage=clientAuth\n",
    )
    for key in d.glob("*key.pem"):
        key.chmod(0o600)
    (d / "hosts.json").write_text(_inventory(plan))
    return True


def _issue(
    d: Path, ca: Path, ca_key: Path, cert: Path, key: Path, subject: str, extensions: str
) -> None:
    csr, ext = d / "request.csr", d / "request.ext"
    ext.write_text(extensions)
    run(["openssl", "req", "-new", *_KEY, "-keyout", str(key), "-out", str(csr), "-subj", subject])
    run(
        [
            "openssl",
            "x509",
            "-req",
            "-in",
            str(csr),
            "-CA",
            str(ca),
            "-CAkey",
            str(ca_key),
            "-set_serial",
            f"0x{secrets.token_hex(16)}",
            "-days",
            DAYS,
            "-extfile",
            str(ext),
            "-out",
            str(cert),
        ]
    )
    csr.unlink()
    ext.unlink()
