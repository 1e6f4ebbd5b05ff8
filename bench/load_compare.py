"""lbtui's generator next to `hey` at the same VIP, rate, concurrency and connection kind, each
run watched by a third, independent clock: a tcpdump capture on the lab bridge (per connection:
first SYN -> first byte of the answer, SYN retransmissions counted) and the kernel's counters
(`nstat`: SYN retransmits on this side, listen-queue overflows in the LB's namespace).

Used by bench/faults.py; not a test.
"""

from __future__ import annotations

import re
import resource
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from lbtui.core.traffic.generator import TrafficSpec, run_traffic
from lbtui.core.traffic.latency import LatencyHistogram, LatencySummary

#: Counters read in this namespace (the client's) and in each container's: a SYN sent again
#: (no SYN-ACK within the 1 s initial timeout) and SYNs a full listen queue dropped.
COUNTERS = ("TcpExtTCPSynRetrans", "TcpExtListenOverflows", "TcpExtListenDrops")
_PACKET = re.compile(
    r"^(?P<t>\d+\.\d+) IP (?P<src>[\d.]+)\.(?P<sport>\d+) > (?P<dst>[\d.]+)\.(?P<dport>\d+): "
    r"Flags \[(?P<flags>[^\]]*)\].*?length (?P<length>\d+)"
)


@dataclass
class Measured:
    """One tool's run and what the wire and the kernels saw meanwhile."""

    tool: str
    asked_rate: float
    workers: int
    requests: int = 0
    failed: int = 0
    achieved_rate: float = 0.0
    latency: LatencySummary = field(default_factory=LatencySummary)
    cpu_s: float | None = None
    wire: LatencySummary = field(default_factory=LatencySummary)
    syn_retransmits_on_wire: int = 0
    counters: dict[str, int] = field(default_factory=dict)


def nstat(names: tuple[str, ...], pid: int | None = None) -> dict[str, int]:
    """Absolute values of kernel counters (in `pid`'s network namespace when given)."""
    argv = ["nstat", "-saz", *names]
    if pid is not None:
        argv = ["nsenter", f"--net=/proc/{pid}/ns/net", "--", *argv]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=True).stdout
    values = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in names:
            values[parts[0]] = int(parts[1])
    return {name: values.get(name, 0) for name in names}


def bridge_of(address: str) -> str:
    """The interface this machine reaches `address` through (the lab bridge)."""
    out = subprocess.run(
        ["ip", "route", "get", address], capture_output=True, text=True, timeout=5, check=True
    ).stdout
    match = re.search(r"\bdev (\S+)", out)
    if match is None:
        raise RuntimeError(f"no route to {address}: {out.strip()}")
    return match.group(1)


@contextmanager
def captured(interface: str, address: str, port: int) -> Iterator[Path]:
    """tcpdump of the VIP's TCP port on `interface` while the block runs (headers only)."""
    if shutil.which("tcpdump") is None:
        raise RuntimeError("tcpdump is missing: apt-get install tcpdump")
    folder = Path(tempfile.mkdtemp(prefix="lbtui-bench-"))
    path = folder / "capture.pcap"
    argv = ["tcpdump", "-i", interface, "-n", "-s", "96", "-B", "8192", "-U", "-w", str(path)]
    argv += [f"host {address} and tcp port {port}"]
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(1.0)  # tcpdump needs a moment before it captures
    try:
        yield path
    finally:
        time.sleep(0.5)
        process.terminate()  # our own child, by its handle
        _, err = process.communicate(timeout=10)
        if b"dropped by kernel" in err and not re.search(rb"\b0 packets dropped by kernel", err):
            print(f"  note: tcpdump {err.decode(errors='replace').strip().splitlines()[-1]}")


def wire_latency(path: Path, vip: str) -> tuple[LatencySummary, int]:
    """Per connection, first SYN -> first answer byte from the VIP; and SYN retransmissions."""
    out = subprocess.run(
        ["tcpdump", "-r", str(path), "-n", "-tt"], capture_output=True, text=True, timeout=120
    ).stdout
    first_syn: dict[int, float] = {}
    answered: set[int] = set()
    histogram = LatencyHistogram()
    retransmits = 0
    for line in out.splitlines():
        match = _PACKET.match(line)
        if match is None:
            continue
        at, flags = float(match["t"]), match["flags"]
        if match["dst"] == vip and flags == "S":
            port = int(match["sport"])
            if port in first_syn and port not in answered:
                retransmits += 1  # the same connection's SYN again: no SYN-ACK came in time
            else:
                first_syn[port] = at
                answered.discard(port)
        elif match["src"] == vip and int(match["length"]) > 0:
            port = int(match["dport"])
            if port in first_syn and port not in answered:
                answered.add(port)
                histogram.add(at - first_syn[port])
    return histogram.summary(), retransmits


def run_lbtui(url: str, rate: float, workers: int, seconds: float) -> Measured:
    """The generator in this process, fresh connections; CPU from this process's own clock."""
    spec = TrafficSpec(
        url=url, rate=rate, duration_s=seconds, mode="fresh", connections=workers, timeout_s=20
    )
    before = resource.getrusage(resource.RUSAGE_SELF)
    tally = run_traffic(spec)
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Measured(
        tool="lbtui",
        asked_rate=rate,
        workers=workers,
        requests=tally.sent,
        failed=tally.failed + tally.in_flight,
        achieved_rate=tally.achieved_rate,
        latency=tally.latency,
        cpu_s=cpu,
    )


def run_hey(url: str, rate: float, workers: int, seconds: float) -> Measured:
    """`hey` at the same total rate: -q is per worker, so rate / workers each."""
    if shutil.which("hey") is None:
        raise RuntimeError("hey is missing: apt-get install hey")
    per_worker = rate / workers
    argv = ["hey", "-z", f"{seconds:g}s", "-c", str(workers), "-q", f"{per_worker:g}"]
    argv += ["-disable-keepalive", "-t", "20", "-o", "csv", url]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    histogram = LatencyHistogram()
    requests = failed = 0
    # CSV: response-time,DNS+dialup,DNS,Request-write,Response-delay,Response-read,status,offset
    for line in out.splitlines()[1:]:
        fields = line.split(",")
        if len(fields) < 8:
            continue
        requests += 1
        histogram.add(float(fields[0]))
        if not fields[6].startswith("2"):
            failed += 1
    return Measured(
        tool="hey",
        asked_rate=rate,
        workers=workers,
        requests=requests,
        failed=failed,
        achieved_rate=requests / seconds,
        latency=histogram.summary(),
        cpu_s=(after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
    )


def _counters(namespaces: dict[str, int | None]) -> dict[str, int]:
    """`where counter` -> value, for each namespace (None: this one)."""
    return {
        f"{where} {name}": value
        for where, pid in namespaces.items()
        for name, value in nstat(COUNTERS, pid).items()
    }


def compare(
    url: str,
    vip: str,
    port: int,
    containers: dict[str, int],
    rate: float,
    workers: int,
    seconds: float,
) -> list[Measured]:
    """Both tools in turn, each under its own capture and counters (containers: name -> pid)."""
    interface = bridge_of(vip)
    namespaces: dict[str, int | None] = {"client": None, **containers}
    results = []
    for runner in (run_lbtui, run_hey):
        before = _counters(namespaces)
        with captured(interface, vip, port) as path:
            measured = runner(url, rate, workers, seconds)
        after = _counters(namespaces)
        measured.wire, measured.syn_retransmits_on_wire = wire_latency(path, vip)
        measured.counters = {k: after[k] - before[k] for k in after if after[k] != before[k]}
        shutil.rmtree(path.parent, ignore_errors=True)
        results.append(measured)
        time.sleep(2.0)  # let TIME_WAIT sockets of one run not crowd the next
    return results


def print_comparison(results: list[Measured]) -> None:
    """One line per tool: its own percentiles, the wire's, and the counters."""
    for m in results:
        own, wire = m.latency, m.wire
        cpu = f"{m.cpu_s / m.requests * 1000:.2f}" if m.cpu_s and m.requests else "-"
        print(
            f"  {m.tool:<5} {m.workers:>2} workers: {m.requests} req, {m.failed} failed, "
            f"{m.achieved_rate:.0f}/s of {m.asked_rate:g}/s "
            f"({100 * (1 - m.achieved_rate / m.asked_rate):+.1f} % short); CPU {cpu} s/1000 req\n"
            f"        own   p50/p90/p99/max {own.p50_ms:.2f} / {own.p90_ms:.2f} / "
            f"{own.p99_ms:.2f} / {own.max_ms:.1f} ms\n"
            f"        wire  p50/p90/p99/max {wire.p50_ms:.2f} / {wire.p90_ms:.2f} / "
            f"{wire.p99_ms:.2f} / {wire.max_ms:.1f} ms ({wire.count} connections), "
            f"SYN retransmits on the wire {m.syn_retransmits_on_wire}; {m.counters}"
        )
