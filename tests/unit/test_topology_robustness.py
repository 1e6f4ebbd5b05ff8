"""Hostile topology input: special files, huge files, thousands of entries, escapes, secrets.

Each must end in a clear message and exit code 2: never a hang, a traceback,
minutes of CPU, a terminal driven by escape sequences or a password echoed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lbtui.core.errors import BadInput, TopologyInvalid
from lbtui.core.topology.load import load_topology, parse_topology
from lbtui.core.topology.yaml_guard import MAX_BYTES
from lbtui.core.topology.yaml_nodes import FUZZY_MAX_CHOICES, Suggester

HEAD = 'name: big\nhosts:\n  docker1: {url: "unix:///run/docker.sock"}\n'


def _validate(path: Path | str) -> subprocess.CompletedProcess[str]:
    """`lbtui validate PATH` in a child process; the timeout turns a hang into a failure."""
    return subprocess.run(
        [sys.executable, "-m", "lbtui", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _assert_refused(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr


def test_cli_refuses_a_fifo_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "topology.yaml"
    os.mkfifo(fifo)

    _assert_refused(_validate(fifo), "is a FIFO (named pipe), not a regular file")


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null"])
def test_cli_refuses_a_character_device(device: str) -> None:
    _assert_refused(_validate(device), f"{device} is a character device, not a regular file")


def test_cli_refuses_a_symlink_to_a_device_naming_its_target(tmp_path: Path) -> None:
    link = tmp_path / "topology.yaml"
    link.symlink_to("/dev/zero")

    _assert_refused(_validate(link), "(a symlink to /dev/zero) is a character device")


def test_cli_refuses_a_directory_and_a_missing_file(tmp_path: Path) -> None:
    _assert_refused(_validate(tmp_path), "is a directory, not a regular file")
    _assert_refused(_validate(tmp_path / "nowhere.yaml"), "does not exist")


def test_cli_refuses_a_huge_file_generated_here(tmp_path: Path) -> None:
    huge = tmp_path / "huge.yaml"
    with huge.open("w", encoding="utf-8") as out:
        out.write(HEAD)
        out.write("# padding\n" * (MAX_BYTES // 10 + 1))

    _assert_refused(_validate(huge), f"; the limit is {MAX_BYTES}")


def test_cli_reports_a_huge_integer_without_a_traceback(tmp_path: Path) -> None:
    file = tmp_path / "topology.yaml"
    number = "1" * 10_000
    backend = f"  b: {{host: docker1, image: x, network: n, port: {number}}}\n"
    file.write_text(HEAD + "networks: {n: {driver: bridge}}\nbackends:\n" + backend)

    _assert_refused(_validate(file), "a 10000-digit number is out of range")


def test_a_value_near_the_size_limit_is_echoed_shortened(tmp_path: Path) -> None:
    image = "x!" * (MAX_BYTES // 2 - 2048)
    text = HEAD + f'backends:\n  b: {{host: docker1, image: "{image}", network: n}}\n'

    started = time.monotonic()
    with pytest.raises(TopologyInvalid) as caught:
        parse_topology(text, "long.yaml")

    assert time.monotonic() - started < 30
    assert all(len(str(problem)) < 1000 for problem in caught.value.problems)
    assert "characters cut" in str(caught.value)


def _timed_problems(text: str) -> tuple[float, list[str]]:
    started = time.monotonic()
    with pytest.raises(TopologyInvalid) as caught:
        parse_topology(text, "many.yaml")
    return time.monotonic() - started, [p.message for p in caught.value.problems]


def test_five_thousand_unknown_keys_are_each_reported_quickly() -> None:
    keys = "".join(f"key{i:05d}: 1\n" for i in range(5000))

    elapsed, messages = _timed_problems(HEAD + keys)

    assert len(messages) == 5000
    assert all(m.startswith("unknown key") for m in messages)
    assert elapsed < 30, f"{elapsed:.1f} s"


def test_five_thousand_misspelt_references_stay_linear() -> None:
    """5000 hosts and 5000 backends each naming a misspelt host (before: about 10 minutes)."""
    hosts = "".join(f'  host{i:05d}: {{url: "unix:///run/d{i}.sock"}}\n' for i in range(5000))
    backends = "".join(
        f"  b{i:05d}: {{host: hots{i:05d}, image: x, network: n}}\n" for i in range(5000)
    )
    text = f"name: big\nhosts:\n{hosts}networks: {{n: {{driver: bridge}}}}\nbackends:\n{backends}"

    elapsed, messages = _timed_problems(text)

    assert len(messages) == 5000
    assert messages[42] == "unknown host 'hots00042'; did you mean 'host00042'?"
    assert elapsed < 60, f"{elapsed:.1f} s"


def test_an_unknown_reference_lists_only_some_declared_names() -> None:
    backends = "".join(f"  b{i:05d}: {{host: docker1, image: x, network: n}}\n" for i in range(500))
    vip = "vips:\n  v: {host: docker1, image: x, network: n, publish: 80, servers: [zzzzzz]}\n"
    text = HEAD + "networks: {n: {driver: bridge}}\nbackends:\n" + backends + vip

    _, messages = _timed_problems(text)

    assert messages == [
        "unknown backend 'zzzzzz'; declared: b00000, b00001, b00002, b00003, b00004, "
        "b00005, b00006, b00007, b00008, b00009 and 490 more"
    ]


@pytest.mark.parametrize(
    ("typo", "meant"),
    [
        ("web0042", "web00042"),
        ("web000042", "web00042"),
        ("wib00042", "web00042"),
        ("ewb00042", "web00042"),
        ("web00042x", "web00042"),
    ],
)
def test_a_large_name_set_suggests_one_edit_typos(typo: str, meant: str) -> None:
    names = [f"web{i:05d}" for i in range(FUZZY_MAX_CHOICES * 5)]

    assert Suggester(names).hint(typo) == f"; did you mean '{meant}'?"


def test_a_large_name_set_suggests_nothing_far_off() -> None:
    names = [f"web{i:05d}" for i in range(FUZZY_MAX_CHOICES * 5)]

    assert Suggester(names).hint("database") == ""
    assert Suggester(names).hint("w" * 5000) == ""


def test_a_password_in_a_host_url_is_never_echoed(tmp_path: Path) -> None:
    file = tmp_path / "topology.yaml"
    file.write_text('name: x\nhosts:\n  h: {url: "tcp://admin:hunter2@203.0.113.10"}\n')

    result = _validate(file)

    _assert_refused(result, "a password in a host URL is refused")
    assert "hunter2" not in result.stderr + result.stdout


def test_control_characters_reach_the_terminal_escaped(tmp_path: Path) -> None:
    file = tmp_path / "topology.yaml"
    file.write_text('name: "x\\e]0;title\\a"\nhosts:\n  h: {url: "unix:///run/d.sock"}\n')

    result = _validate(file)

    _assert_refused(result, r"'x\x1b]0;title\x07' is not allowed")
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr


def test_a_file_that_is_not_utf8_is_bad_input(tmp_path: Path) -> None:
    file = tmp_path / "utf16.yaml"
    file.write_text(HEAD, encoding="utf-16")

    with pytest.raises(BadInput, match="not UTF-8 text"):
        load_topology(file)
