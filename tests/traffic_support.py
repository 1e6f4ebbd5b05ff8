"""A whole bounded traffic run, for tests that want the tally at the end."""

from __future__ import annotations

from lbtui.core.traffic.generator import TrafficGenerator, TrafficSpec
from lbtui.core.traffic.tally import TrafficTally


def run_traffic(spec: TrafficSpec) -> TrafficTally:
    """Start, wait for the run's own bound, stop: the public API as `lbtui traffic` drives it."""
    generator = TrafficGenerator(spec)
    generator.start()
    generator.wait(spec.deadline_s + spec.timeout_s + 5.0)
    return generator.stop()
