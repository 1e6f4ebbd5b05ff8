"""Echoed values: control characters escaped, URL passwords masked, length bounded."""

from __future__ import annotations

from lbtui.core.echo import escape_controls, mask_credentials, shorten, shown
from lbtui.core.errors import HostUnreachable, Problem
from lbtui.core.topology.model import Host, Topology
from lbtui.tui.present.rows import host_rows


def test_control_characters_become_escapes() -> None:
    assert escape_controls("a\x1b[2Jb\x07\x00\x7f\x9b") == r"a\x1b[2Jb\x07\x00\x7f\x9b"
    assert escape_controls("left\u202eright\U000e0001") == r"left\u202eright\U000e0001"
    assert escape_controls("tab\tnew\nline", keep="\n") == "tab\\x09new\nline"
    assert escape_controls("plain text, é ü ✓") == "plain text, é ü ✓"


def test_url_passwords_are_masked_wherever_they_appear() -> None:
    text = "tcp://user:secret@host:2376 and ssh://me:pw@box, not unix:///a:b@c"
    masked = mask_credentials(text)

    assert masked == "tcp://user:***@host:2376 and ssh://me:***@box, not unix:///a:b@c"
    assert mask_credentials("ssh://user@host") == "ssh://user@host"


def test_long_text_keeps_head_and_tail() -> None:
    text = "h" * 1000 + "t" * 100

    short = shorten(text, 200)

    assert len(short) < 250
    assert short.startswith("h" * 100) and short.endswith("t" * 25)
    assert "[925 characters cut]" in short
    assert shorten("short", 200) == "short"
    assert shown(text, limit=None) == text


def test_a_problem_is_safe_to_print_whatever_it_quotes() -> None:
    problem = Problem("f\x1b.yaml", 1, 2, "hosts.a\x07", "'tcp://u:pw@h:1' bad \x1b[31m")

    assert str(problem) == r"f\x1b.yaml:1:2: hosts.a\x07: 'tcp://u:***@h:1' bad \x1b[31m"


def test_an_unreachable_host_never_shows_its_password() -> None:
    error = HostUnreachable("h", "ssh://u:pw@h", "ssh://u:pw@h refused the connection")

    assert "pw" not in str(error)
    assert (
        str(error) == "host h (ssh://u:***@h) is unreachable: ssh://u:***@h refused the connection"
    )


def test_the_hosts_pane_masks_and_escapes_urls() -> None:
    host = Host(name="h", url="ssh://u:pw@h\x1b[2J")
    topology = Topology(name="t", hosts={"h": host}, networks={}, backends={}, vips={})

    rows = host_rows(topology, {}, {}, 0.0)

    assert rows["h"][1] == r"ssh://u:***@h\x1b[2J"
