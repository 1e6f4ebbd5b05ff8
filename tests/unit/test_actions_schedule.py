"""The job scheduler of apply and teardown: order, lanes, the bound, failures, stable progress."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from lbtui.cli import main
from lbtui.core.actions import Step, apply, lb
from lbtui.core.actions.apply import apply_jobs
from lbtui.core.actions.schedule import Job, default_parallel, run_jobs
from lbtui.core.actions.steps import Change, Verdict
from lbtui.core.errors import ActionFailed, BadInput
from lbtui.core.progress import Phase, ProgressEvent, Reporter
from lbtui.core.topology.load import load_topology
from tests.unit.fake_docker import FakeDockerHosts

SAMPLES = Path(__file__).resolve().parents[2] / "sample_topologies"
#: Bound of every wait in these tests: a broken scheduler fails them, it never hangs them.
WAIT_S = 5.0


class Log:
    """What the jobs did, in the order they did it, from any thread."""

    def __init__(self) -> None:
        self.entries: list[tuple[str, str]] = []
        self.active: dict[str, int] = {}
        self.most_at_once = 0
        self.lane_overlaps = 0
        self._lock = threading.Lock()

    def job(
        self,
        key: str,
        lane: str,
        after: frozenset[str] = frozenset(),
        body: Callable[[], None] = lambda: None,
    ) -> Job:
        """A job that logs its start and end around `body` and reports one DONE event."""

        def run(report: Reporter) -> list[Change]:
            with self._lock:
                self.entries.append(("start", key))
                self.active[lane] = self.active.get(lane, 0) + 1
                self.lane_overlaps += self.active[lane] > 1
                self.most_at_once = max(self.most_at_once, sum(self.active.values()))
            try:
                body()
                report(ProgressEvent(Phase.DONE, "job", key))
            finally:
                with self._lock:
                    self.active[lane] -= 1
                    self.entries.append(("end", key))
            return [Change("job", key, lane, Verdict.CREATE)]

        return Job(key, lane, run, after)

    def index(self, what: str, key: str) -> int:
        return self.entries.index((what, key))


def _keys(changes: list[Change]) -> list[str]:
    return [change.target for change in changes]


def test_one_worker_runs_the_jobs_in_list_order() -> None:
    log = Log()
    jobs = [log.job(f"j{n}", f"host{n % 3}") for n in range(7)]
    events: list[ProgressEvent] = []
    done = run_jobs(jobs, events.append, 1)
    expected = [f"j{n}" for n in range(7)]
    assert [e for e in log.entries if e[0] == "start"] == [("start", k) for k in expected]
    assert log.most_at_once == 1
    assert _keys(done) == expected
    assert [e.target for e in events] == expected


def test_a_job_starts_only_after_what_it_waits_for() -> None:
    log = Log()
    slow = lambda: time.sleep(0.05)  # noqa: E731 - the others start meanwhile
    jobs = [
        log.job("swarm", "h1", body=slow),
        log.job("web1", "h2", frozenset({"swarm"})),
        log.job("web2", "h3", frozenset({"swarm"}), body=slow),
        log.job("lb", "h1", frozenset({"web1", "web2"})),
        log.job("bridge", "h1", frozenset({"lb"})),
        log.job("web3", "h4", frozenset({"swarm"})),
    ]
    done = run_jobs(jobs, lambda _e: None, 4)
    for before, after in [
        ("swarm", "web1"),
        ("swarm", "web2"),
        ("web1", "lb"),
        ("web2", "lb"),
        ("lb", "bridge"),
    ]:
        assert log.index("end", before) < log.index("start", after), (before, after)
    # web3 did not wait for the LB's backends: it ran alongside them.
    assert log.index("start", "web3") < log.index("end", "web2")
    assert _keys(done) == ["swarm", "web1", "web2", "lb", "bridge", "web3"]


def test_jobs_of_one_lane_never_overlap() -> None:
    log = Log()
    nap = lambda: time.sleep(0.01)  # noqa: E731
    jobs = [log.job(f"j{n}", f"host{n % 2}", body=nap) for n in range(8)]
    run_jobs(jobs, lambda _e: None, 8)
    assert log.lane_overlaps == 0
    assert log.most_at_once == 2


def test_at_most_parallel_jobs_run_at_once_and_that_many_do() -> None:
    log = Log()
    # Three at a time must meet here: fewer and the barrier times out (BrokenBarrierError).
    meet = threading.Barrier(3, timeout=WAIT_S)
    jobs = [log.job(f"j{n}", f"host{n}", body=meet.wait) for n in range(9)]
    done = run_jobs(jobs, lambda _e: None, 3)
    assert log.most_at_once == 3
    assert _keys(done) == [f"j{n}" for n in range(9)]


def test_the_first_failure_starts_nothing_more_and_lets_work_in_flight_finish() -> None:
    log = Log()
    failed = threading.Event()

    def fail() -> None:
        failed.set()
        raise ActionFailed("web1: image missing")

    def in_flight() -> None:
        assert failed.wait(WAIT_S)
        time.sleep(0.05)  # still running when the failure is seen

    jobs = [
        log.job("web1", "h1", body=fail),
        log.job("web2", "h2", body=in_flight),
        log.job("web3", "h3"),
        log.job("lb", "h1", frozenset({"web1", "web2"})),
    ]
    events: list[ProgressEvent] = []
    with pytest.raises(ActionFailed, match="web1: image missing"):
        run_jobs(jobs, events.append, 2)
    assert ("end", "web2") in log.entries
    assert ("start", "web3") not in log.entries
    assert ("start", "lb") not in log.entries
    # What the job in flight did is still reported.
    assert [e.target for e in events] == ["web2"]


def test_progress_is_passed_on_in_list_order_whatever_finishes_first() -> None:
    first_may_end = threading.Event()
    calls_inside = 0
    overlapping = False
    order: list[str] = []
    guard = threading.Lock()

    def report(event: ProgressEvent) -> None:
        nonlocal calls_inside, overlapping
        with guard:
            calls_inside += 1
            overlapping |= calls_inside > 1
        time.sleep(0.001)
        order.append(f"{event.target} {event.phase.value}")
        with guard:
            calls_inside -= 1

    def slow_first(reporter: Reporter) -> list[Change]:
        reporter(ProgressEvent(Phase.STARTED, "job", "first"))
        assert first_may_end.wait(WAIT_S)
        reporter(ProgressEvent(Phase.DONE, "job", "first"))
        return []

    def quick(name: str) -> Callable[[Reporter], list[Change]]:
        def run(reporter: Reporter) -> list[Change]:
            reporter(ProgressEvent(Phase.STARTED, "job", name))
            reporter(ProgressEvent(Phase.DONE, "job", name))
            if name == "third":
                first_may_end.set()
            return []

        return run

    jobs = [
        Job("first", "h1", slow_first),
        Job("second", "h2", quick("second")),
        Job("third", "h3", quick("third")),
    ]
    run_jobs(jobs, report, 3)
    assert order == [
        "first started",
        "first done",
        "second started",
        "second done",
        "third started",
        "third done",
    ]
    assert not overlapping


def test_bad_job_lists_and_bounds_are_refused() -> None:
    job = Job("a", "h1", lambda _r: [], frozenset({"b"}))
    with pytest.raises(ValueError, match="listed after it"):
        run_jobs([job, Job("b", "h1", lambda _r: [])], lambda _e: None, 2)
    with pytest.raises(BadInput, match="1 or more"):
        run_jobs([], lambda _e: None, 0)
    # A job waiting for one that is not in the list (another step) does not wait.
    assert run_jobs([job], lambda _e: None, 2) == []


def test_apply_waits_where_resources_need_each_other() -> None:
    topology = load_topology(SAMPLES / "services.yaml")
    jobs = {job.key: job for job in apply_jobs(FakeDockerHosts(topology), topology, list(Step))}
    assert list(jobs) == [
        "swarm manager",
        "swarm worker docker2",
        "swarm worker docker3",
        "networks",
        "service web",
        "lb front",
        "bridge front",
    ]
    assert jobs["swarm worker docker2"].after == {"swarm manager"}
    assert jobs["networks"].after == {
        "swarm manager",
        "swarm worker docker2",
        "swarm worker docker3",
    }
    assert jobs["service web"].after == {"networks"}
    # The LB follows the service through DNS: it need not wait for the tasks.
    assert jobs["lb front"].after == {"networks"}
    assert jobs["bridge front"].after == {"lb front"}
    # One lane per host; a service's is its own (its work is the swarm's).
    assert [jobs[k].lane for k in jobs] == [
        "docker1",
        "docker2",
        "docker3",
        "docker1",
        "service web",
        "docker1",
        "docker1",
    ]
    # A worker per host, and one per service (its job mostly waits for the swarm).
    assert default_parallel(topology) == 3 + 1


def test_apply_in_parallel_does_what_one_worker_does_and_reports_it_alike(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LBTUI_STATS_PASSWORD", "unit-test")
    monkeypatch.setattr(lb, "SETTLE_S", 0.0)
    topology = load_topology(SAMPLES / "presentation.yaml")
    runs = []
    for parallel in (1, 3):
        fake = FakeDockerHosts(topology)
        events: list[ProgressEvent] = []
        done = apply(fake, topology, events.append, parallel=parallel)
        lines = [e.describe().split(": ")[0] for e in events if e.step != "check"]
        runs.append((done, lines, sorted(c[:3] for c in fake.changes if "check" not in c[2])))
    assert runs[0] == runs[1]


def test_cli_refuses_a_bad_parallel(capsys: pytest.CaptureFixture[str]) -> None:
    for bad in ("0", "-2", "many"):
        with pytest.raises(SystemExit) as raised:
            main(["apply", str(SAMPLES / "presentation.yaml"), "--parallel", bad])
        assert raised.value.code == 2
        err = capsys.readouterr().err
        assert "--parallel" in err and "1 or more" in err and "Traceback" not in err
