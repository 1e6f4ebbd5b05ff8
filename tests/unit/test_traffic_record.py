"""`--record FILE`: one JSON line per request, written off the workers' threads."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from lbtui.core.errors import BadInput
from lbtui.core.traffic.generator import TrafficSpec, run_traffic
from lbtui.core.traffic.outcome import ErrorKind, Outcome, answered
from lbtui.core.traffic.record import RequestRecorder
from tests.unit._traffic_servers import faulty_http_server, free_port


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_outcomes_from_many_threads_become_one_line_each(tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    with RequestRecorder(path) as recorder:

        def put(index: int) -> None:
            for n in range(500):
                recorder(answered(1000.0 + n, 0.001 * index, 200, f"web{index}"))

        threads = [threading.Thread(target=put, args=(i,)) for i in range(1, 5)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    lines = _lines(path)
    assert recorder.written == len(lines) == 2000
    assert {line["server"] for line in lines} == {"web1", "web2", "web3", "web4"}
    assert set(lines[0]) == {"time", "server", "status", "latency_ms", "error", "detail"}


def test_outcomes_after_close_are_counted_not_written(tmp_path: Path) -> None:
    path = tmp_path / "late.jsonl"
    recorder = RequestRecorder(path)
    recorder(Outcome(1.0, 0.5, error=ErrorKind.TIMEOUT, detail="ReadTimeout"))
    assert recorder.close() == 1
    recorder(Outcome(2.0, 0.5, error=ErrorKind.TIMEOUT, detail="ReadTimeout"))
    assert recorder.late == 1
    assert _lines(path) == [
        {
            "time": 1.0,
            "server": None,
            "status": None,
            "latency_ms": 500.0,
            "error": "timeout",
            "detail": "ReadTimeout",
        }
    ]


def test_an_unwritable_file_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="cannot write the record file"):
        RequestRecorder(tmp_path / "no-such-dir" / "x.jsonl")


def test_a_run_records_every_request_with_its_server_and_error(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    with faulty_http_server() as (url, _), RequestRecorder(path) as recorder:
        tally = run_traffic(TrafficSpec(url=url + "/", rate=200, count=40), sink=recorder)
        errors = run_traffic(TrafficSpec(url=url + "/error", rate=200, count=5), sink=recorder)
    refused_url = f"http://127.0.0.1:{free_port()}/"
    with RequestRecorder(tmp_path / "refused.jsonl") as refused_recorder:
        run_traffic(TrafficSpec(url=refused_url, rate=100, count=3), sink=refused_recorder)
    lines = _lines(path)
    assert tally.ok == 40 and errors.failed == 5
    assert len(lines) == 45
    assert sorted({str(line["server"]) for line in lines[:40]}) == ["srv1", "srv2"]
    assert [line["status"] for line in lines[40:]] == [500] * 5
    assert [line["error"] for line in lines[40:]] == ["5xx"] * 5
    assert all(float(str(line["latency_ms"])) > 0 for line in lines)
    times = [float(str(line["time"])) for line in lines[:40]]
    assert max(times) - min(times) < 5  # wall-clock seconds of one short run
    refused = _lines(tmp_path / "refused.jsonl")
    assert [(r["error"], r["detail"], r["server"]) for r in refused] == [
        ("refused", "ConnectError", None)
    ] * 3
