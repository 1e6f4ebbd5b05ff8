"""HAProxy stats: fetch the CSV over HTTP and parse it (rates live in rates.py).

parse_stats_csv(text)        -> tuple[StatsRow, ...]   (pure, tolerant)
StatsClient.fetch(url, creds) -> VipStats               (one snapshot, httpx)
"""

from __future__ import annotations

import csv
import time
from collections.abc import Callable, Iterable
from dataclasses import MISSING, dataclass, fields
from types import TracebackType
from typing import Literal

import httpx

from lbtui.core.errors import BadInput, RuntimeFailure
from lbtui.core.haproxy.credentials import StatsCredentials
from lbtui.core.topology.model import Topology, Vip

RowType = Literal["frontend", "backend", "server", "listener"]
_TYPES: dict[str, RowType] = {"0": "frontend", "1": "backend", "2": "server", "3": "listener"}


class StatsUnavailable(RuntimeFailure):
    """A VIP's stats page could not be read (unreachable, timed out, refused the credentials)."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"HAProxy stats at {url} unavailable: {reason}")


@dataclass(frozen=True)
class StatsRow:
    """One line of the stats CSV: a frontend, a backend or one server."""

    pxname: str
    svname: str
    type: RowType
    status: str = ""
    """As HAProxy writes it: UP, DOWN, MAINT, DRAIN, NOLB, OPEN, "UP 1/3", "no check"..."""
    check_status: str = ""
    check_code: int | None = None
    check_duration: int | None = None
    """Milliseconds the last health check took."""
    check_desc: str = ""
    weight: int | None = None
    scur: int = 0
    smax: int = 0
    stot: int = 0
    lbtot: int = 0
    rate: int = 0
    """Sessions per second over the last second."""
    req_rate: int = 0
    req_tot: int | None = None
    hrsp_1xx: int = 0
    hrsp_2xx: int = 0
    hrsp_3xx: int = 0
    hrsp_4xx: int = 0
    hrsp_5xx: int = 0
    econ: int = 0
    eresp: int = 0
    wretr: int = 0
    wredis: int = 0
    chkfail: int = 0
    chkdown: int = 0
    lastchg: int | None = None
    """Seconds since the last UP/DOWN transition."""
    downtime: int | None = None
    qtime: int | None = None
    """Average milliseconds in the queue over the last 1024 requests (HAProxy's own figure)."""
    ctime: int | None = None
    """Average milliseconds to connect to the server, same span."""
    rtime: int | None = None
    """Average milliseconds to the response's first byte, same span."""
    ttime: int | None = None
    """Average total milliseconds of a session, same span."""

    @property
    def state(self) -> str:
        """The status without transition details ("UP 1/3" -> "UP", "MAINT (via x)" -> "MAINT")."""
        head = self.status.split(" ", 1)[0] if self.status else ""
        return "no check" if self.status == "no check" else head

    @property
    def requests(self) -> int:
        """Requests this row handled so far (req_tot; lbtot where HAProxy gives no req_tot)."""
        return self.req_tot if self.req_tot is not None else self.lbtot


class StatsFormatError(StatsUnavailable):
    """The text is not HAProxy's stats CSV."""


def parse_stats_csv(text: str, source: str = "stats CSV") -> tuple[StatsRow, ...]:
    """Parse HAProxy's stats CSV; missing, extra or empty columns are tolerated."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines or not lines[0].startswith("# "):
        raise StatsFormatError(source, "not HAProxy stats CSV (no '# pxname,...' header line)")
    header = [name.strip() for name in next(csv.reader([lines[0][2:]]))]
    if "pxname" not in header or "svname" not in header:
        raise StatsFormatError(source, "the CSV header has no pxname/svname columns")
    # Only the ~30 columns a row keeps, of HAProxy's ~100: parsed every second per VIP.
    columns = _Columns(header)
    return tuple(columns.row(values) for values in csv.reader(lines[1:]))


def _optional(value: str) -> int | None:
    try:
        return int(value) if value.strip() else None
    except ValueError:
        return None


_SPECIAL_SVNAMES: dict[str, RowType] = {"FRONTEND": "frontend", "BACKEND": "backend"}
_DEFAULTS = {
    field.name: field.default for field in fields(StatsRow) if field.default is not MISSING
}


class _Columns:
    """Where each column StatsRow keeps (its fields are named after them) sits in the header."""

    def __init__(self, header: list[str]) -> None:
        kinds = {field.name: str(field.type) for field in fields(StatsRow)}
        where = [(index, name) for index, name in enumerate(header) if name in kinds]
        self.texts = [(index, name) for index, name in where if kinds[name] in ("str", "RowType")]
        self.counters = [(index, name) for index, name in where if kinds[name] == "int"]
        self.optionals = [(index, name) for index, name in where if kinds[name] == "int | None"]

    def row(self, values: list[str]) -> StatsRow:
        count = len(values)
        record: dict[str, object] = {
            name: values[index].strip() for index, name in self.texts if index < count
        }
        try:  # comprehensions without a call per value: a poll parses ~1000 numbers
            record.update(
                {name: int(v) if (v := values[i]) else 0 for i, name in self.counters if i < count}
            )
            record.update(
                {
                    name: int(v) if (v := values[i]) else None
                    for i, name in self.optionals
                    if i < count
                }
            )
        except ValueError:  # a value that is not a number reads as missing
            record.update(
                {name: _optional(values[i]) or 0 for i, name in self.counters if i < count}
            )
            record.update({name: _optional(values[i]) for i, name in self.optionals if i < count})
        svname, kind = str(record.get("svname", "")), str(record.get("type", ""))
        record["type"] = _TYPES.get(kind) or _SPECIAL_SVNAMES.get(svname, "server")
        record.setdefault("pxname", "")
        record.setdefault("svname", "")
        # The frozen dataclass's __init__ sets its 33 fields one object.__setattr__ at a time
        # (~7 us a row, most of the parse); every field is filled here, defaults first.
        row = object.__new__(StatsRow)
        row.__dict__.update(_DEFAULTS)
        row.__dict__.update(record)
        return row


@dataclass(frozen=True)
class VipStats:
    """One snapshot of a VIP's stats: its frontend, its backend and the backend's servers."""

    frontend: StatsRow | None
    backend: StatsRow | None
    servers: tuple[StatsRow, ...]
    fetched_at: float
    """Wall-clock time of the fetch (epoch seconds), for "last updated"."""
    monotonic: float
    """time.monotonic() of the fetch: intervals between snapshots use this."""

    @classmethod
    def from_rows(
        cls,
        rows: Iterable[StatsRow],
        fetched_at: float,
        monotonic: float,
        frontend: str | None = None,
        backend: str | None = None,
    ) -> VipStats:
        """Pick the VIP's rows; without names, the first frontend and first backend found."""
        rows = tuple(rows)
        front = next(
            (r for r in rows if r.type == "frontend" and frontend in (None, r.pxname)), None
        )
        back = next((r for r in rows if r.type == "backend" and backend in (None, r.pxname)), None)
        pool = back.pxname if back is not None else backend
        servers = tuple(r for r in rows if r.type == "server" and r.pxname == pool)
        return cls(front, back, servers, fetched_at, monotonic)

    def server(self, name: str) -> StatsRow | None:
        """The row of server `name`, if the backend has one."""
        return next((s for s in self.servers if s.svname == name), None)


def vip_stats_url(topology: Topology, vip: Vip) -> str:
    """Where the VIP's stats page is reached from here: the LB host's address and published port."""
    host = topology.hosts.get(vip.host)
    if host is None or not host.address:
        raise BadInput(
            f"vips.{vip.name}: host {vip.host!r} has no address to reach its stats page at"
        )
    return f"http://{host.address}:{vip.publish}{vip.stats.uri}"


class StatsClient:
    """Fetches VIP stats snapshots over HTTP; the httpx client is injectable for tests."""

    def __init__(
        self,
        client: httpx.Client | None = None,
        timeout: float = 2.0,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._owns_client = client is None
        # trust_env=False: a proxy from the environment must never see the stats password.
        self._client = client or httpx.Client(trust_env=False)
        self._timeout = timeout
        self._clock = clock
        self._monotonic = monotonic

    def fetch_rows(self, url: str, credentials: StatsCredentials) -> tuple[StatsRow, ...]:
        """Every row of the stats CSV at `url` (the stats uri, without `;csv`)."""
        csv_url = url + ";csv"
        try:
            response = self._client.get(
                csv_url,
                auth=httpx.BasicAuth(credentials.user, credentials.password),
                timeout=self._timeout,
            )
        except httpx.TimeoutException as exc:
            raise StatsUnavailable(url, f"no answer within {self._timeout:g}s") from exc
        except httpx.ConnectError as exc:
            raise StatsUnavailable(url, f"cannot connect ({exc})") from exc
        except httpx.HTTPError as exc:
            raise StatsUnavailable(url, f"{type(exc).__name__}: {exc}") from exc
        if response.status_code == 401:
            raise StatsUnavailable(
                url, f"the stats page refused user {credentials.user!r} (HTTP 401): wrong password?"
            )
        if response.status_code != 200:
            raise StatsUnavailable(url, f"HTTP {response.status_code} instead of the stats CSV")
        return parse_stats_csv(response.text, source=url)

    def fetch(
        self,
        url: str,
        credentials: StatsCredentials,
        frontend: str | None = None,
        backend: str | None = None,
    ) -> VipStats:
        """One snapshot of the VIP whose stats page is at `url`."""
        rows = self.fetch_rows(url, credentials)
        return VipStats.from_rows(rows, self._clock(), self._monotonic(), frontend, backend)

    def close(self) -> None:
        """Close the HTTP client if this object created it."""
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> StatsClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
