"""Which HAProxy worker answered, and what it said, in one runtime API connection.

Right after a reload the old worker may still answer, on the published port and on
the runtime socket alike (for as long as `grace` keeps it listening, or the moment
it takes to let go of the sockets): its stats describe the OLD configuration. The
stats CSV cannot tell workers apart (its `pid` column is the process number, 1 for
every worker), but `show info` gives the worker's real Pid, and commands joined by
`;` on one connection are all answered by the same worker. So the gate sends
`show info;show stat` and keeps an answer only when its Pid is the new worker's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lbtui.core.haproxy.stats import StatsRow, StatsUnavailable, parse_stats_csv

#: The runtime API command line: both answers come from one worker.
SHOW_INFO_AND_STAT = "show info;show stat"
_PID = re.compile(r"^Pid:\s*(\d+)\s*$", re.MULTILINE)
_CSV_HEADER = "# pxname,"


@dataclass(frozen=True)
class WorkerAnswer:
    """One worker's Pid and its stats rows."""

    pid: int
    rows: tuple[StatsRow, ...]


def parse_worker_answer(text: str, source: str = "the runtime API") -> WorkerAnswer:
    """Split the answer to `show info;show stat`; StatsUnavailable when it is not one."""
    match = _PID.search(text)
    if match is None:
        raise StatsUnavailable(source, "`show info` gave no Pid line")
    start = text.find(_CSV_HEADER)
    if start < 0:
        raise StatsUnavailable(source, "`show stat` gave no CSV")
    return WorkerAnswer(int(match.group(1)), parse_stats_csv(text[start:], source))
