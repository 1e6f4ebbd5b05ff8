"""Fault marks: written and parsed back by the same module; rules, queues and links parsed."""

from __future__ import annotations

import pytest

from lbtui.core.faults.marks import (
    Mark,
    MarkedQdisc,
    drop_rules,
    lacks_netem,
    parse_links,
    parse_mark,
    parse_qdiscs,
    parse_rules,
    record_rule,
    tbf_argv,
)
from lbtui.core.faults.model import FaultKind

# `iptables -S` in a container's namespace while a loss and a pause fault are active
# (iptables 1.8.9, nft variant), with an unrelated rule of someone else.
LOSS = (
    "-m statistic --mode random --probability 0.29999999981 "
    '-m comment --comment "lbtui-fault:loss:percent=30,at=1700000001" -j DROP'
)
RULES = f"""\
-P INPUT ACCEPT
-P FORWARD ACCEPT
-P OUTPUT ACCEPT
-A INPUT -m comment --comment "lbtui-fault:pause:at=1700000000.500"
-A INPUT ! -i lo {LOSS}
-A INPUT -p tcp -m comment --comment "someone else" -j ACCEPT
-A OUTPUT ! -o lo {LOSS}
"""

QDISCS = """\
qdisc noqueue 0: dev lo root refcnt 2
qdisc tbf 4c42: dev eth0 root refcnt 3 rate 1Mbit burst 32Kb lat 50ms
qdisc tbf 4c42: dev eth1 root refcnt 3 rate 512Kbit burst 8Kb lat 100ms
qdisc netem 4c43: dev eth2 root refcnt 2 limit 1000 delay 1.5s
qdisc tbf 8001: dev eth3 root refcnt 2 rate 1Mbit burst 32Kb lat 50ms
"""


def test_a_mark_renders_and_parses_back_with_awkward_values() -> None:
    mark = Mark(FaultKind.DISCONNECT, {"network": "net,1", "aliases": "a b,c=d", "at": "1.5"})
    text = mark.render()
    assert text.startswith("lbtui-fault:disconnect:")
    assert " " not in text and '"' not in text
    assert parse_mark(text) == mark


@pytest.mark.parametrize(
    "text", ["someone else", "lbtui-fault:", "lbtui-fault:explode:x=1", "lbtui-fault:loss:x"]
)
def test_foreign_or_broken_comments_are_not_marks(text: str) -> None:
    assert parse_mark(text) is None


def test_a_mark_too_long_for_iptables_is_refused() -> None:
    with pytest.raises(ValueError, match="256"):
        Mark(FaultKind.DISCONNECT, {"aliases": "a" * 300}).render()


def test_rules_are_read_back_with_their_chain_and_nothing_foreign() -> None:
    rules = parse_rules(RULES)
    assert [(r.chain, r.mark.kind) for r in rules] == [
        ("INPUT", FaultKind.PAUSE),
        ("INPUT", FaultKind.LOSS),
        ("OUTPUT", FaultKind.LOSS),
    ]
    assert rules[1].mark.values == {"percent": "30", "at": "1700000001"}
    delete = rules[2].delete_argv()
    assert delete[:7] == ("iptables", "-w", "5", "-t", "filter", "-D", "OUTPUT")
    assert delete[7:10] == ("!", "-o", "lo")
    assert "lbtui-fault:loss:percent=30,at=1700000001" in delete


def test_written_rules_parse_back_to_their_mark() -> None:
    mark = Mark(FaultKind.LOSS, {"percent": "12.5", "at": "1"})
    inbound, outbound = drop_rules(mark, 0.125)
    printed = "\n".join(
        "-A " + " ".join(argv[argv.index("-I") + 1 :]).replace(" 1 ", " ", 1)
        for argv in (inbound, outbound, record_rule(Mark(FaultKind.PAUSE, {"at": "2"})))
    )
    parsed = parse_rules(printed)
    assert [r.mark for r in parsed][:2] == [mark, mark]
    assert parsed[2].mark.kind is FaultKind.PAUSE
    assert "0.125000" in inbound and inbound[-2:] == ("-j", "DROP")
    assert drop_rules(mark)[0].count("statistic") == 0


def test_only_lbtuis_queue_handles_are_read_back_with_rate_and_delay() -> None:
    assert parse_qdiscs(QDISCS) == (
        MarkedQdisc("eth0", FaultKind.RATE, kbit=1000),
        MarkedQdisc("eth1", FaultKind.RATE, kbit=512),
        MarkedQdisc("eth2", FaultKind.DELAY, ms=1500),
    )
    assert MarkedQdisc("eth0", FaultKind.RATE).delete_argv() == (
        *("tc", "qdisc", "del", "dev", "eth0", "root", "handle", "4c42:"),
    )


def test_links_leave_out_loopback_and_the_peer_suffix() -> None:
    text = (
        "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN\\    link/loopback\n"
        "5: eth0@if6: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue\\    link/ether\n"
        "7: eth1@if8: <BROADCAST> mtu 1450\\    link/ether\n"
    )
    assert parse_links(text) == ("eth0", "eth1")


def test_tbf_bucket_holds_at_least_a_few_frames() -> None:
    assert tbf_argv("eth0", 64)[-5:] == ("64kbit", "burst", "8192", "latency", "100ms")
    assert tbf_argv("eth0", 100_000)[-3] == "250000"


def test_tcs_words_for_a_missing_netem_are_recognised() -> None:
    assert lacks_netem("Error: Specified qdisc kind is unknown.\n")
    assert not lacks_netem("RTNETLINK answers: Operation not permitted\n")
