"""The marks faults leave in a network namespace: written and parsed here, nowhere else.

Every fault keeps a record in the namespace's iptables filter table, a rule whose
comment is `lbtui-fault:KIND:key=value,...` (percent-encoded values): the DROP
rules of `loss` and `down` carry it themselves; `pause`, `disconnect`, `rate`
and `delay` add a rule without a target, which only counts packets. Queueing
disciplines lbtui adds use handle majors 0x4c42 (`rate`, TBF) and 0x4c43
(`delay`, netem) and nothing else. So `fault list` reads faults back from the
engines, and `clear` deletes exactly these rules and queues.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote, unquote

from lbtui.core.faults.model import FaultKind

MARK_PREFIX = "lbtui-fault:"
#: iptables refuses comments longer than this.
MAX_COMMENT = 256
QDISC_HANDLES: dict[FaultKind, str] = {FaultKind.RATE: "4c42:", FaultKind.DELAY: "4c43:"}
#: The command that fails on a kernel without netem; run in a throwaway namespace.
NETEM_PROBE = ("tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms")
LIST_RULES = ("iptables", "-w", "5", "-t", "filter", "-S")
LIST_QDISCS = ("tc", "qdisc", "show")
LIST_LINKS = ("ip", "-o", "link", "show")

Argv = tuple[str, ...]


@dataclass(frozen=True)
class Mark:
    """A fault's record: its kind and its values (parameters, applied-at time, ...)."""

    kind: FaultKind
    values: Mapping[str, str]

    def render(self) -> str:
        """The comment text; ValueError when it would not fit in an iptables comment."""
        body = ",".join(f"{key}={quote(value, safe='')}" for key, value in self.values.items())
        text = f"{MARK_PREFIX}{self.kind.value}:{body}"
        if len(text) > MAX_COMMENT:
            raise ValueError(f"fault mark longer than {MAX_COMMENT} characters: {text[:60]}...")
        return text


def parse_mark(text: str) -> Mark | None:
    """The mark in a comment, or None when the comment is not an lbtui fault mark."""
    if not text.startswith(MARK_PREFIX):
        return None
    kind_text, _, body = text[len(MARK_PREFIX) :].partition(":")
    try:
        kind = FaultKind(kind_text)
    except ValueError:
        return None
    values: dict[str, str] = {}
    for item in filter(None, body.split(",")):
        key, sep, value = item.partition("=")
        if not sep:
            return None
        values[key] = unquote(value)
    return Mark(kind, values)


@dataclass(frozen=True)
class MarkedRule:
    """An iptables rule carrying an lbtui mark, as `iptables -S` printed it."""

    chain: str
    mark: Mark
    spec: Argv
    """The rule's words after `-A CHAIN`."""

    def delete_argv(self) -> Argv:
        """The command that deletes exactly this rule."""
        return ("iptables", "-w", "5", "-t", "filter", "-D", self.chain, *self.spec)


def parse_rules(text: str) -> tuple[MarkedRule, ...]:
    """The marked rules in `iptables -S` output; other rules and policies are left out."""
    found: list[MarkedRule] = []
    for line in text.splitlines():
        try:
            words = shlex.split(line)
        except ValueError:
            continue
        if len(words) < 2 or words[0] != "-A" or "--comment" not in words:
            continue
        position = words.index("--comment")
        mark = parse_mark(words[position + 1]) if position + 1 < len(words) else None
        if mark is not None:
            found.append(MarkedRule(words[1], mark, tuple(words[2:])))
    return tuple(found)


@dataclass(frozen=True)
class MarkedQdisc:
    """A root queueing discipline lbtui added (by its handle)."""

    device: str
    kind: FaultKind
    kbit: int | None = None
    ms: int | None = None

    def delete_argv(self) -> Argv:
        """The command that removes it (the device falls back to its default queue)."""
        return (
            "tc",
            "qdisc",
            "del",
            "dev",
            self.device,
            "root",
            "handle",
            QDISC_HANDLES[self.kind],
        )


_QDISC = re.compile(
    r"^qdisc (?P<type>\S+) (?P<handle>[0-9a-f]+:) dev (?P<dev>\S+) root\b(?P<rest>.*)"
)
_RATE = re.compile(r"\brate (?P<value>[0-9.]+)(?P<unit>[KMG]?)bit\b")
_DELAY = re.compile(r"\bdelay (?P<value>[0-9.]+)(?P<unit>s|ms|us)\b")
_RATE_UNITS = {"": 0.001, "K": 1, "M": 1000, "G": 1_000_000}
_DELAY_UNITS = {"s": 1000.0, "ms": 1.0, "us": 0.001}


def parse_qdiscs(text: str) -> tuple[MarkedQdisc, ...]:
    """lbtui's root queues in `tc qdisc show` output, with their rate or delay."""
    by_handle = {handle: kind for kind, handle in QDISC_HANDLES.items()}
    found: list[MarkedQdisc] = []
    for line in text.splitlines():
        match = _QDISC.match(line.strip())
        if match is None or match["handle"] not in by_handle:
            continue
        kind = by_handle[match["handle"]]
        rate, delay = _RATE.search(match["rest"]), _DELAY.search(match["rest"])
        kbit = round(float(rate["value"]) * _RATE_UNITS[rate["unit"]]) if rate else None
        ms = round(float(delay["value"]) * _DELAY_UNITS[delay["unit"]]) if delay else None
        found.append(MarkedQdisc(match["dev"], kind, kbit=kbit, ms=ms))
    return tuple(found)


def parse_links(text: str) -> tuple[str, ...]:
    """The interfaces in `ip -o link show` output, loopback left out (`eth0@if6` -> `eth0`)."""
    devices = []
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) < 3:
            continue
        device = parts[1].strip().split("@", 1)[0]
        if device and device != "lo":
            devices.append(device)
    return tuple(devices)


def record_rule(mark: Mark) -> Argv:
    """A rule without a target that only records the fault (it counts packets, nothing more)."""
    return ("iptables", "-w", "5", "-t", "filter", "-I", "INPUT", "1", *_comment(mark))


def drop_rules(mark: Mark, fraction: float | None = None) -> tuple[Argv, Argv]:
    """DROP rules for what comes in and goes out (loopback spared: Docker's DNS lives there).

    With `fraction`, each packet is dropped with that probability (the `statistic` match).
    """
    chance = (
        ("-m", "statistic", "--mode", "random", "--probability", f"{fraction:.6f}")
        if fraction is not None
        else ()
    )
    head = ("iptables", "-w", "5", "-t", "filter", "-I")
    return (
        (*head, "INPUT", "1", "!", "-i", "lo", *chance, *_comment(mark), "-j", "DROP"),
        (*head, "OUTPUT", "1", "!", "-o", "lo", *chance, *_comment(mark), "-j", "DROP"),
    )


def _comment(mark: Mark) -> Argv:
    return ("-m", "comment", "--comment", mark.render())


def tbf_argv(device: str, kbit: int) -> Argv:
    """A TBF root queue limiting `device` to `kbit` kbit/s.

    The bucket holds 20 ms at that rate (at least 8 KiB, a few full frames): smaller
    stalls TCP, larger lets bursts through. Packets waiting over 100 ms are dropped,
    so TCP backs off instead of queueing without end.
    """
    burst = max(8192, kbit * 1000 // 8 // 50)
    return (
        *("tc", "qdisc", "add", "dev", device, "root", "handle", QDISC_HANDLES[FaultKind.RATE]),
        *("tbf", "rate", f"{kbit}kbit", "burst", str(burst), "latency", "100ms"),
    )


def netem_argv(device: str, ms: int) -> Argv:
    """A netem root queue delaying what `device` sends by `ms` milliseconds."""
    handle = QDISC_HANDLES[FaultKind.DELAY]
    return (
        "tc",
        "qdisc",
        "add",
        "dev",
        device,
        "root",
        "handle",
        handle,
        "netem",
        "delay",
        f"{ms}ms",
    )


def lacks_netem(output: str) -> bool:
    """True when tc's words say the kernel has no netem queueing discipline."""
    lowered = output.lower()
    return "unknown" in lowered and ("qdisc" in lowered or "netem" in lowered)


def command_text(argv: Sequence[str]) -> str:
    """A command as a shell would show it, for messages."""
    return shlex.join(argv)
