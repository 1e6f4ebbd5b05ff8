"""Run the jobs of apply or teardown concurrently: bounded, one at a time per lane, stable output.

A job is one resource's work (a backend, an LB, a host's networks ...). Its `lane`
is what it must not share with another job at the same time (its host: one worker
per host keeps every engine doing one change at a time); `after` names the jobs it
waits for. The jobs are listed in the order apply always ran them, and may only wait
for jobs listed before them, so with one worker they run exactly in that order.

    run_jobs(jobs, report, parallel)    at most `parallel` jobs at once; the first
                                        failure starts nothing more, lets the jobs in
                                        flight finish, then is raised

Progress stays in list order whatever the timing: the earliest unfinished job reports
live, later jobs' events wait in a buffer and follow as soon as every job before them
has finished. The caller's reporter is only ever called by one thread at a time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from lbtui.core.actions.steps import Change
from lbtui.core.errors import BadInput
from lbtui.core.progress import ProgressEvent, Reporter
from lbtui.core.topology.model import Topology

#: The default number of workers is one per host of the topology (at most this many),
#: plus one per service.
MAX_DEFAULT_PARALLEL = 8


@dataclass(frozen=True)
class Job:
    """One resource's work: where it runs, what it waits for, and the work itself."""

    key: str
    """Unique among the jobs, e.g. `backend web1`."""
    lane: str
    """Jobs of one lane never run at the same time (a host name, mostly)."""
    run: Callable[[Reporter], list[Change]]
    after: frozenset[str] = frozenset()
    """Keys of earlier jobs this one needs finished; keys not among the jobs count as met."""


def default_parallel(topology: Topology) -> int:
    """One worker per host (at most MAX_DEFAULT_PARALLEL), plus one per service.

    A service's job runs on its own lane and mostly waits for the swarm to converge:
    counted among the hosts' workers, it waited for a free one while the hosts'
    backends started (measured on a 6-host lab: services began 3.5 s late).
    """
    return max(1, min(len(topology.hosts), MAX_DEFAULT_PARALLEL)) + len(topology.services)


def check_parallel(parallel: int) -> int:
    """`parallel` itself when it is a usable number of workers; BadInput otherwise."""
    if parallel < 1:
        raise BadInput(f"--parallel must be 1 or more (got {parallel})")
    return parallel


def run_jobs(jobs: Sequence[Job], report: Reporter, parallel: int) -> list[Change]:
    """Run every job (see the module's docstring); their changes in list order."""
    check_parallel(parallel)
    needs = _dependencies(jobs)
    output = _InOrder(report, len(jobs))
    results: dict[int, list[Change]] = {}
    waiting = list(range(len(jobs)))
    running: dict[Future[list[Change]], int] = {}
    busy: set[str] = set()
    finished: set[str] = set()
    failure: BaseException | None = None
    try:
        with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="lbtui-job") as pool:
            while True:
                if failure is None:
                    for index in list(waiting):
                        job = jobs[index]
                        if len(running) >= parallel:
                            break
                        if job.lane in busy or not needs[index] <= finished:
                            continue
                        waiting.remove(index)
                        busy.add(job.lane)
                        running[pool.submit(job.run, output.reporter(index))] = index
                if not running:
                    break
                completed, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in sorted(completed, key=running.__getitem__):
                    index = running.pop(future)
                    busy.discard(jobs[index].lane)
                    error = future.exception()
                    if error is None:
                        results[index] = future.result()
                        finished.add(jobs[index].key)
                    elif failure is None:
                        failure = error
                    output.finish(index)
    finally:
        # Also after an interrupt: the pool has let the jobs in flight finish; say what they did.
        output.flush()
    if failure is not None:
        raise failure
    return [change for index in sorted(results) for change in results[index]]


def _dependencies(jobs: Sequence[Job]) -> list[frozenset[str]]:
    """Each job's needs among the jobs; a need on a later (or unknown-order) job is a bug."""
    position = {job.key: index for index, job in enumerate(jobs)}
    if len(position) != len(jobs):
        raise ValueError("two jobs share a key")
    needs = []
    for index, job in enumerate(jobs):
        later = [key for key in job.after if position.get(key, -1) >= index]
        if later:
            raise ValueError(f"job {job.key} waits for a job listed after it: {later}")
        needs.append(frozenset(key for key in job.after if key in position))
    return needs


class _InOrder:
    """Passes progress on in job order: the earliest unfinished job's live, the rest buffered."""

    def __init__(self, report: Reporter, count: int) -> None:
        self._report = report
        self._lock = threading.Lock()
        self._buffers: list[list[ProgressEvent]] = [[] for _ in range(count)]
        self._finished = [False] * count
        self._head = 0

    def reporter(self, index: int) -> Reporter:
        """The reporter job `index` is given."""

        def report(event: ProgressEvent) -> None:
            with self._lock:
                if index == self._head:
                    self._report(event)
                else:
                    self._buffers[index].append(event)

        return report

    def finish(self, index: int) -> None:
        """Job `index` is over: pass on what the jobs now at the head have buffered."""
        with self._lock:
            self._finished[index] = True
            while self._head < len(self._finished) and self._finished[self._head]:
                self._head += 1
                if self._head < len(self._buffers):
                    self._release(self._head)

    def flush(self) -> None:
        """Pass on everything still buffered (after a failure, jobs never started left gaps)."""
        with self._lock:
            for index in range(self._head, len(self._buffers)):
                self._release(index)
            self._head = len(self._buffers)

    def _release(self, index: int) -> None:
        events, self._buffers[index] = self._buffers[index], []
        for event in events:
            self._report(event)
