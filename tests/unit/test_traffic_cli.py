"""`lbtui traffic`: bad input exits 2 before any load; a run prints the JSON summary."""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from lbtui.cli import main

TOPOLOGY = {
    "name": "trafficcli",
    "hosts": {"docker1": {"url": "unix:///nonexistent.sock", "address": "127.0.0.1"}},
    "networks": {"net": {"driver": "bridge"}},
    "backends": {"web1": {"host": "docker1", "image": "lbtui/web:lab", "network": "net"}},
    "vips": {
        "front": {
            "host": "docker1",
            "container": "haproxy",
            "image": "lbtui/haproxy:lab",
            "network": "net",
            "publish": 8080,
            "servers": ["web1"],
        }
    },
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _topology(folder: Path, publish: int, address: str = "127.0.0.1") -> Path:
    data = json.loads(json.dumps(TOPOLOGY))
    data["vips"]["front"]["publish"] = publish
    data["hosts"]["docker1"]["address"] = address
    path = folder / "topology.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture
def page(tmp_path: Path) -> Iterator[int]:
    """A busybox httpd on a loopback port standing in for the VIP (`served by bb`)."""
    busybox = shutil.which("busybox")
    if busybox is None:
        pytest.skip("busybox is not installed")
    www = tmp_path / "www"
    www.mkdir()
    (www / "index.html").write_text("served by bb\n")
    port = _free_port()
    process = subprocess.Popen([busybox, "httpd", "-f", "-p", f"127.0.0.1:{port}", "-h", str(www)])
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.02)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=5)


def test_a_run_prints_the_json_summary(
    tmp_path: Path, page: int, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _topology(tmp_path, page)
    code = main(["traffic", str(path), "front", "--rate", "100", "--count", "10", "--json"])
    summary = json.loads(capsys.readouterr().out)
    assert code == 0
    assert summary["sent"] == 10 and summary["ok"] == 10 and summary["failed"] == 0
    assert summary["servers"] == {"bb": 10}
    assert summary["url"] == f"http://127.0.0.1:{page}/"


def test_the_json_summary_breaks_down_per_server_and_record_writes_each_request(
    tmp_path: Path, page: int, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _topology(tmp_path, page)
    record = tmp_path / "requests.jsonl"
    argv = ["traffic", str(path), "front", "--rate", "200", "--count", "25", "--json"]
    code = main([*argv, "--record", str(record)])
    summary = json.loads(capsys.readouterr().out)
    assert code == 0
    bb = summary["per_server"]["bb"]
    assert (bb["requests"], bb["ok"], bb["failed"], bb["share"]) == (25, 25, 0, 1.0)
    assert bb["statuses"] == {"200": 25} and bb["errors"] == {}
    assert 0 < bb["latency_ms"]["p50"] <= bb["latency_ms"]["p99"] <= bb["latency_ms"]["max"]
    lines = [json.loads(line) for line in record.read_text().splitlines()]
    assert len(lines) == 25
    assert {(line["server"], line["status"], line["error"]) for line in lines} == {
        ("bb", 200, None)
    }


def test_failures_are_broken_down_by_kind_in_the_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _topology(tmp_path, _free_port())
    main(["traffic", str(path), "front", "--rate", "50", "--count", "3", "--json"])
    summary = json.loads(capsys.readouterr().out)
    assert summary["error_kinds"] == {"refused": 3}
    assert summary["per_server"]["?"]["errors"] == {"refused": 3}


def test_an_unwritable_record_file_exits_2_before_any_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _topology(tmp_path, 8080)
    record = tmp_path / "missing" / "r.jsonl"
    assert main(["traffic", str(path), "front", "--count", "1", "--record", str(record)]) == 2
    assert "cannot write the record file" in capsys.readouterr().err


def test_failures_make_the_exit_code_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _topology(tmp_path, _free_port())
    code = main(["traffic", str(path), "front", "--rate", "50", "--count", "3", "--json"])
    assert code == 1
    assert json.loads(capsys.readouterr().out)["errors"] == {"ConnectError": 3}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--rate", "5000"], "rate 5000"),
        (["--duration", "0"], "duration 0"),
        (["--connections", "0"], "connections 0"),
    ],
)
def test_unbounded_settings_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    path = _topology(tmp_path, 8080)
    assert main(["traffic", str(path), "front", *extra]) == 2
    assert message in capsys.readouterr().err


def test_an_unknown_vip_exits_2_with_a_suggestion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _topology(tmp_path, 8080)
    assert main(["traffic", str(path), "frnt"]) == 2
    assert "did you mean 'front'?" in capsys.readouterr().err


def test_a_vip_outside_the_lab_range_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _topology(tmp_path, 8080, address="192.0.2.7")
    assert main(["traffic", str(path), "front", "--count", "1"]) == 2
    assert "outside" in capsys.readouterr().err


def test_ctrl_c_stops_a_json_run_at_once_and_still_prints_the_summary(
    tmp_path: Path, page: int
) -> None:
    path = _topology(tmp_path, page)
    argv = ["traffic", str(path), "front", "--rate", "200", "--duration", "60", "--json"]
    process = subprocess.Popen(
        [sys.executable, "-m", "lbtui", *argv],
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as in a terminal
    )
    try:
        time.sleep(2.0)  # load running, with its worker threads
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=15)  # a 60 s run: this fails unless Ctrl-C works
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130
    summary = json.loads(out)
    assert summary["sent"] > 0
