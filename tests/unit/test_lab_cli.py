"""`lbtui lab`: argument handling (bad input exits 2 before anything is touched)."""

from __future__ import annotations

import pytest

from lbtui.cli import build_parser, main


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["lab", "up", "--name", "Bad-Name"], "lab name"),
        (["lab", "up", "--hosts", "12"], "1 to 9 hosts"),
        (["lab", "up", "--subnet", "198.18.0.0/30"], "too small"),
        (["lab", "down", "--name", "x" * 9], "lab name"),
        (["lab", "status", "--name", "UPPER"], "lab name"),
    ],
)
def test_bad_input_exits_2_with_a_message(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_non_numeric_host_count_is_an_argparse_error() -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["lab", "up", "--hosts", "three"])
    assert exit_info.value.code == 2


def test_verbs_and_options_parse() -> None:
    parser = build_parser()
    args = parser.parse_args(
        ["lab", "up", "--hosts", "2", "--name", "lbx", "--subnet", "198.18.9.0/24", "--tls"]
    )
    assert (args.hosts, args.name, args.subnet, args.tls) == (2, "lbx", "198.18.9.0/24", True)
    assert parser.parse_args(["lab", "status", "--json"]).json is True
    assert parser.parse_args(["lab", "down"]).name == "lab"


def test_lab_without_a_verb_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lab"]) == 0
    assert "usage" in capsys.readouterr().out
