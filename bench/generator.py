"""The traffic generator's own CPU per 1000 requests, without the lab: fresh connections to a
local `busybox httpd` on loopback, and the recording path alone.

    .venv/bin/python bench/generator.py [--rate 1000] [--seconds 5] [--workers 50]
    PYTHONPATH=/path/to/other/checkout .venv/bin/python bench/generator.py   # another version

1. A bounded run at `--rate` req/s of fresh connections (as `bench/load_compare.py` sends
   through the lab's VIP): achieved rate, and this process's CPU seconds per 1000 requests
   (busybox forks a child per connection; its CPU is not counted here).
2. The recording path alone: `--outcomes` synthetic outcomes over 10 servers recorded into a
   `Tallier` (overall counts, the sliding window, totals, histograms) by 4 threads, as the
   workers do, with a snapshot every 1000 outcomes (the dashboard polls once a second at
   1000 req/s): CPU seconds per 1000 outcomes.
Prints which lbtui it imported, so a run against another checkout says so.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import lbtui
from lbtui.core.traffic.generator import TrafficSpec, run_traffic
from lbtui.core.traffic.outcome import ErrorKind, Outcome, answered
from lbtui.core.traffic.tally import Tallier


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@contextmanager
def busybox_httpd() -> Iterator[str]:
    """A busybox httpd on a free loopback port, stopped (by its PID) on exit."""
    busybox = shutil.which("busybox")
    if busybox is None:
        raise SystemExit("busybox is not installed (apt-get install busybox-static)")
    with tempfile.TemporaryDirectory(prefix="lbtui-bench-") as www:
        Path(www, "index.html").write_text("<h1>served by bb1</h1>\n")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        process = subprocess.Popen(
            [busybox, "httpd", "-f", "-p", f"127.0.0.1:{port}", "-h", www],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 5
            while True:
                with socket.socket() as probe:
                    if probe.connect_ex(("127.0.0.1", port)) == 0:
                        break
                if time.monotonic() > deadline:
                    raise SystemExit("busybox httpd did not start listening")
                time.sleep(0.02)
            yield f"http://127.0.0.1:{port}/"
        finally:
            process.terminate()
            process.wait(timeout=5)


def run_loopback(rate: float, seconds: float, workers: int) -> None:
    """Part 1: a bounded fresh-connection run against busybox on loopback."""
    with busybox_httpd() as url:
        spec = TrafficSpec(url=url, rate=rate, duration_s=seconds, connections=workers)
        before = _cpu()
        tally = run_traffic(spec)
        cpu = _cpu() - before
    short = 100 * (1 - tally.achieved_rate / rate)
    latency = tally.latency
    print(
        f"loopback busybox, fresh connections, {workers} workers, asked {rate:g} req/s for "
        f"{seconds:g} s: sent {tally.sent}, failed {tally.failed}, achieved "
        f"{tally.achieved_rate:.0f} req/s ({short:+.1f} % short) over {tally.elapsed_s:.2f} s; "
        f"latency p50/p99/max {latency.p50_ms:.2f}/{latency.p99_ms:.2f}/{latency.max_ms:.1f} ms; "
        f"CPU {cpu / max(tally.sent, 1) * 1000:.3f} s per 1000 requests"
    )


def _outcomes(count: int) -> list[Outcome]:
    servers = [f"web{n}" for n in range(10)]
    made = []
    for n in range(count):
        if n % 97 == 0:
            made.append(Outcome(0.0, 0.002, None, None, ErrorKind.RESET, "ReadError"))
        else:
            made.append(answered(0.0, 0.0005 + (n * 7919 % 1000) / 100_000, 200, servers[n % 10]))
    return made


def run_recording(outcomes: int, threads: int = 4) -> None:
    """Part 2: the recording path alone, `threads` threads, a snapshot every 1000 outcomes."""
    tallier = Tallier("http://127.0.0.1/", "fresh", 1000.0, 50)
    tallier.start()
    made = _outcomes(outcomes)
    share = len(made) // threads

    every = 1000 // threads  # the first thread snapshots: about once per 1000 recorded

    def feed(part: list[Outcome], snapshots: bool) -> None:
        for index, outcome in enumerate(part):
            tallier.sent()
            tallier.record(outcome)
            if snapshots and index % every == every - 1:
                tallier.snapshot()

    workers = [
        threading.Thread(target=feed, args=(made[i * share : (i + 1) * share], i == 0))
        for i in range(threads)
    ]
    before = _cpu()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    cpu = _cpu() - before
    recorded = tallier.snapshot().done
    print(
        f"recording path: {recorded} outcomes, 10 servers, {threads} threads, a snapshot "
        f"per ~1000: CPU {cpu / recorded * 1000:.3f} s per 1000 outcomes"
    )


def main(argv: list[str] | None = None) -> int:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=50)
    parser.add_argument("--outcomes", type=int, default=100_000)
    parser.add_argument("--skip-loopback", action="store_true")
    args = parser.parse_args(argv)
    print(f"lbtui from {Path(lbtui.__file__).parent}")
    run_recording(args.outcomes)
    if not args.skip_loopback:
        run_loopback(args.rate, args.seconds, args.workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
