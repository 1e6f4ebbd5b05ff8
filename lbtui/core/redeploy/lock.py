"""One redeploy at a time per VIP: a lock held on the LB's Docker host, not in a local file.

The lock is a container that is created and never started, named after the LB
(`<lb>.redeploy-lock`). Docker refuses a second container of the same name, so
taking the lock is atomic for every client of that engine: two terminals, the
dashboard and the CLI, or two machines. Its labels say who holds it
(user@machine, pid, since when). It survives the LB being recreated, which a
file inside the LB would not, and `lbtui teardown` removes a leftover one with
the topology's other containers.

A lock is stale, and taken over, when its holder ran on this machine and its
process is gone, or when it is older than any redeploy can take.
"""

from __future__ import annotations

import getpass
import os
import socket
import time
from dataclasses import dataclass
from types import TracebackType

from lbtui.core.docker.containers import ContainerRequest
from lbtui.core.docker.gateway import DockerGateway
from lbtui.core.docker.snapshots import ContainerSnapshot
from lbtui.core.errors import ActionFailed
from lbtui.core.progress import Phase, ProgressEvent, Reporter, ignore_progress
from lbtui.core.topology.model import LABEL_VIP, Topology, Vip

ROLE = "redeploy-lock"
LABEL_OWNER = "lbtui.lock.owner"
LABEL_PID = "lbtui.lock.pid"
LABEL_SINCE = "lbtui.lock.since"
#: Seconds a second redeploy waits for the lock before it refuses.
DEFAULT_WAIT_S = 20.0
#: A lock older than this is stale: every bound of a redeploy added up is far below it.
STALE_AFTER_S = 600.0
#: Seconds between two attempts while waiting.
RETRY_S = 0.25


def lock_name(vip: Vip) -> str:
    """The lock container's name: one per LB container, hence per VIP."""
    return f"{vip.container}.redeploy-lock"


def this_owner() -> str:
    """user@machine of this process."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = f"uid {os.getuid()}"
    return f"{user}@{socket.gethostname()}"


@dataclass(frozen=True)
class LockHolder:
    """Who holds a VIP's redeploy lock, read from the lock container's labels."""

    container_id: str
    owner: str
    pid: int | None
    since: float | None

    @classmethod
    def of(cls, found: ContainerSnapshot) -> LockHolder:
        """The holder a lock container names (unknown fields stay None)."""
        labels = found.labels
        pid = labels.get(LABEL_PID, "")
        try:
            since: float | None = float(labels.get(LABEL_SINCE, ""))
        except ValueError:
            since = None
        return cls(
            found.id, labels.get(LABEL_OWNER, "unknown"), int(pid) if pid.isdigit() else None, since
        )

    def describe(self, now: float) -> str:
        """ "alice@box, pid 42, since 2024-05-01 10:00:00 (12 s ago)"."""
        parts = [self.owner, f"pid {self.pid}" if self.pid is not None else "pid unknown"]
        if self.since is not None:
            stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.since))
            parts.append(f"since {stamp} ({max(now - self.since, 0):.0f} s ago)")
        return ", ".join(parts)

    def stale_because(self, now: float) -> str | None:
        """Why this lock can be taken over, or None while its holder may still be working."""
        if self.since is not None and now - self.since > STALE_AFTER_S:
            return f"older than {STALE_AFTER_S:g} s"
        machine = self.owner.rpartition("@")[2]
        if machine == socket.gethostname() and self.pid is not None and not _alive(self.pid):
            return f"process {self.pid} on this machine is gone"
        return None


class RedeployLocked(ActionFailed):
    """Another redeploy of the VIP holds its lock; says who, since when, and what to do."""

    def __init__(self, vip: Vip, holder: LockHolder, waited_s: float) -> None:
        self.holder = holder
        now = time.time()
        super().__init__(
            f"VIP {vip.name}: another redeploy is in progress, held by {holder.describe(now)} "
            f"(waited {waited_s:.0f} s); nothing was changed. Try again when it has finished; "
            f"if that process is gone, remove container {lock_name(vip)} on {vip.host}"
        )


class VipLock:
    """`with VipLock(...)`: hold the VIP's redeploy lock for the block; waits (bounded) for it."""

    def __init__(
        self,
        gateway: DockerGateway,
        topology: Topology,
        vip: Vip,
        wait_s: float = DEFAULT_WAIT_S,
        report: Reporter = ignore_progress,
    ) -> None:
        self._gateway = gateway
        self._topology = topology
        self._vip = vip
        self._wait_s = wait_s
        self._report = report
        self._id: str | None = None
        self.waited_for: LockHolder | None = None
        """Whose lock this one waited for (None: it was free at once)."""

    def __enter__(self) -> VipLock:
        self.acquire()
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.release()

    def _request(self) -> ContainerRequest:
        vip = self._vip
        labels = {
            LABEL_VIP: vip.name,
            LABEL_OWNER: this_owner(),
            LABEL_PID: str(os.getpid()),
            LABEL_SINCE: f"{time.time():.3f}",
        }
        return ContainerRequest(
            name=lock_name(vip),
            image=vip.image,
            network="none",
            labels=self._topology.labels(ROLE, labels),
            command=("true",),
            restart_policy=None,
        )

    def acquire(self) -> None:
        """Take the lock, waiting up to `wait_s` for its holder; RedeployLocked if it stays held."""
        vip, gateway = self._vip, self._gateway
        started = time.monotonic()
        vanished = 0
        while True:
            try:
                self._id = gateway.create_container(vip.host, self._request())
                return
            except ActionFailed as error:
                refused = error
            found = gateway.find_container(vip.host, lock_name(vip))
            waited = time.monotonic() - started
            if found is None:
                vanished += 1
                if vanished > 3:
                    raise refused  # no lock in the way: creating it failed for another reason
                continue  # released between the two calls
            holder = LockHolder.of(found)
            stale = holder.stale_because(time.time())
            if stale is not None:
                detail = f"stale lock of {holder.owner} taken over: {stale}"
                self._report(ProgressEvent(Phase.DONE, "lock", vip.name, vip.host, detail))
                gateway.remove_container(vip.host, holder.container_id)
                continue
            if waited >= self._wait_s:
                raise RedeployLocked(vip, holder, waited)
            if self.waited_for is None:
                detail = f"waiting for the redeploy of {holder.describe(time.time())}"
                self._report(ProgressEvent(Phase.STARTED, "lock", vip.name, vip.host, detail))
            self.waited_for = holder
            time.sleep(min(RETRY_S, max(self._wait_s - waited, 0.0)))

    def release(self) -> None:
        """Remove the lock container (by ID: never someone else's lock)."""
        if self._id is not None:
            self._gateway.remove_container(self._vip.host, self._id)
            self._id = None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: it exists
    return True
