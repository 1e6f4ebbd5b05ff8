"""Time `lab up`: cold (fresh lab, images built from scratch) and warm (already up).

    .venv/bin/python bench/lab_up.py [--name lbbench] [--subnet 198.18.6.0/24] [--hosts 3]

Targets on 2 cores: cold < 30 s, warm < 3 s. The lab is taken down at the end.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from lbtui.core.errors import LbtuiError
from lbtui.lab import LabSpec, lab_down, lab_up
from lbtui.lab.images import lab_recipes


def main() -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="lbbench")
    parser.add_argument("--subnet", default="198.18.6.0/24")
    parser.add_argument("--hosts", type=int, default=3)
    parser.add_argument("--tls", action="store_true")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("bench/lab_up.py needs root", file=sys.stderr)
        return 1
    spec = LabSpec(name=args.name, hosts=args.hosts, subnet=args.subnet, tls=args.tls)
    try:
        lab_down(spec)  # a cold start: no engines, no images
        lab_recipes.cache_clear()  # and the recipes hashed afresh
        started = time.monotonic()
        lab_up(spec)
        cold = time.monotonic() - started
        warm_runs = []
        for _ in range(3):
            started = time.monotonic()
            lab_up(spec)
            warm_runs.append(time.monotonic() - started)
    except LbtuiError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        lab_down(spec)
    warm = sorted(warm_runs)[len(warm_runs) // 2]
    print(f"lab up, {spec.hosts} hosts{' with TLS' if spec.tls else ''}, {os.cpu_count()} cores:")
    print(f"  cold: {cold:.2f} s (target < 30 s)")
    print(f"  warm: {warm:.2f} s median of {len(warm_runs)} (target < 3 s)")
    return 0 if cold < 30 and warm < 3 else 1


if __name__ == "__main__":
    sys.exit(main())
