"""`lab_up` and `lab_down`: ordered, idempotent steps over the lab's parts."""

from __future__ import annotations

import fcntl
import re
import shutil
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

from lbtui.core.errors import LabError
from lbtui.core.progress import Phase, Reporter, ignore_progress
from lbtui.lab import daemons, firewall, hosts, mounts, network, tls
from lbtui.lab.images import ensure_images
from lbtui.lab.plan import HostPlan, LabPlan, plan_lab
from lbtui.lab.spec import LabSpec
from lbtui.lab.status import LabStatus, recorded_spec, status_of, write_spec
from lbtui.lab.steps import Steps
from lbtui.lab.system import require_prerequisites, require_root

LOCK_TIMEOUT = 180.0
T = TypeVar("T")
R = TypeVar("R")


def lab_up(spec: LabSpec, report: Reporter = ignore_progress) -> LabStatus:
    """Bring the lab up, repairing or replacing whatever is missing or stale."""
    require_prerequisites(spec.tls)
    plan = plan_lab(spec)
    steps = Steps(report)
    started = time.monotonic()
    network.check_subnet_free(plan)
    with _locked(plan):
        recorded = recorded_spec(spec.name)
        if recorded is not None and (recorded.subnet, recorded.tls) != (spec.subnet, spec.tls):
            with steps.step(
                "reconfigure",
                f"lab {spec.name}",
                detail=f"was {recorded.subnet}, tls={recorded.tls}",
            ):
                _clear_hosts(plan, _known_hosts(plan), graceful=True)
        _remove_extra_hosts(plan, steps)
        plan.run_dir.mkdir(parents=True, exist_ok=True)
        plan.state_dir.mkdir(parents=True, exist_ok=True)
        _ensure_bridge(plan, steps)
        _ensure_rules(plan, steps)
        if spec.tls:
            _ensure_tls(plan, steps)
        _parallel(lambda host: _ensure_host(plan, host, steps), plan.hosts)
        ensure_images(plan, steps)
        write_spec(plan)
        status = status_of(plan)
        down = [host.name for host in status.hosts if not host.reachable]
        if down:
            raise LabError(f"lab {spec.name}: {', '.join(down)} not reachable after bring-up")
        elapsed = time.monotonic() - started
        if steps.changes:
            summary = f"{steps.changes} step(s) done in {elapsed:.1f} s"
        else:
            summary = f"nothing to do: lab {spec.name} is already up ({elapsed:.1f} s)"
        steps.emit(
            Phase.SKIPPED if not steps.changes else Phase.DONE,
            "up",
            f"lab {spec.name}",
            detail=summary,
        )
        return status


def lab_down(spec: LabSpec, report: Reporter = ignore_progress) -> None:
    """Remove everything the lab created, and nothing else."""
    require_root()
    plan = plan_lab(spec)
    steps = Steps(report)
    with _locked(plan):
        known = _known_hosts(plan)
        if known:
            with steps.step(
                "stop", f"{len(known)} host(s)", detail=", ".join(host.name for host in known)
            ):
                _clear_hosts(plan, known, graceful=True)
        for veth in network.stale_veths(spec.name, keep=()):
            with steps.step("delete", f"veth {veth}"):
                network.run_ip_link_del(veth)
        if network.link_exists(plan.bridge):
            with steps.step("delete", f"bridge {plan.bridge}"):
                network.delete_bridge(plan)
        if firewall.tagged_rules(plan):
            with steps.step("delete", "iptables rules", detail=plan.rule_comment):
                firewall.remove_rules(plan)
        roots = [plan.run_dir, plan.state_dir]
        if any(root.exists() for root in roots):
            with steps.step("remove", "lab directories", detail=", ".join(map(str, roots))):
                mounts.unmount_under(roots)
                for root in roots:
                    if root.exists():
                        shutil.rmtree(root)
        summary = "removed" if steps.changes else f"nothing to remove: lab {spec.name} is not up"
        steps.emit(
            Phase.DONE if steps.changes else Phase.SKIPPED,
            "down",
            f"lab {spec.name}",
            detail=summary,
        )
    plan.lock_file.unlink(missing_ok=True)
    _remove_if_empty(plan)


def _remove_if_empty(plan: LabPlan) -> None:
    for parent in (plan.run_dir.parent, plan.state_dir.parent):
        if parent.exists() and not any(parent.iterdir()):
            parent.rmdir()


def _ensure_bridge(plan: LabPlan, steps: Steps) -> None:
    if network.bridge_ok(plan):
        steps.skip("create", f"bridge {plan.bridge}", detail="present")
        return
    with steps.step("create", f"bridge {plan.bridge}", detail=f"{plan.gateway}/{plan.prefixlen}"):
        network.ensure_bridge(plan)


def _ensure_rules(plan: LabPlan, steps: Steps) -> None:
    missing = firewall.missing_rules(plan)
    if not missing:
        steps.skip("allow", f"bridge {plan.bridge} in iptables", detail="rule present")
        return
    with steps.step("allow", f"bridge {plan.bridge} in iptables", detail=", ".join(missing)):
        firewall.ensure_rules(plan)


def _ensure_tls(plan: LabPlan, steps: Steps) -> None:
    if tls.tls_ready(plan):
        steps.skip("make", "TLS certificates", detail="current")
        return
    running = [host for host in plan.hosts if hosts.daemon_ok(host)]
    if running:
        # They serve the old certificates: restart them with the new ones.
        with steps.step("stop", f"{len(running)} host(s) for new certificates"):
            _clear_hosts(plan, running, graceful=True)
    with steps.step("make", "TLS certificates", detail=str(plan.tls_dir)):
        tls.ensure_tls(plan)


def _ensure_host(plan: LabPlan, host: HostPlan, steps: Steps) -> None:
    if hosts.daemon_ok(host):
        if network.veth_attached(plan, host):
            steps.skip(
                "start", "dockerd", host.name, detail=f"running, pid {daemons.daemon_pid(host)}"
            )
        else:
            with steps.step("attach", f"veth {host.veth}", host.name, detail=plan.bridge):
                network.attach_veth(plan, host)
        return
    if hosts.has_leftovers(host):
        with steps.step("clean", "leftovers", host.name):
            hosts.clear(host)
    with steps.step("wire", f"namespace {host.netns}", host.name, detail=host.address):
        network.create_host_net(plan, host)
    with steps.step("start", "dockerd", host.name, detail=host.socket_url):
        hosts.start_daemon(plan, host)


def _known_hosts(plan: LabPlan) -> list[HostPlan]:
    """Every host of the lab that exists in any form, whatever the spec says."""
    indices = {host.index for host in plan.hosts}
    indices |= set(network.lab_namespaces(plan.name))
    if plan.run_dir.exists():
        for entry in plan.run_dir.iterdir():
            match = re.fullmatch(r"docker([1-9])\.(pid|sock)", entry.name)
            if match:
                indices.add(int(match[1]))
    candidates = [plan.host(index) for index in sorted(indices)]
    return [host for host in candidates if hosts.has_leftovers(host)]


def _remove_extra_hosts(plan: LabPlan, steps: Steps) -> None:
    wanted = {host.index for host in plan.hosts}
    extra = [host for host in _known_hosts(plan) if host.index not in wanted]
    if extra:
        with steps.step(
            "remove", f"{len(extra)} extra host(s)", detail=", ".join(host.name for host in extra)
        ):
            _clear_hosts(plan, extra, graceful=True)
    for veth in network.stale_veths(plan.name, keep=[host.veth for host in plan.hosts]):
        with steps.step("delete", f"veth {veth}"):
            network.run_ip_link_del(veth)


def _clear_hosts(plan: LabPlan, targets: list[HostPlan], graceful: bool) -> None:
    """Stop the hosts' daemons (SIGTERM first if graceful), then clear all their leftovers."""
    if graceful:
        pids = [pid for pid in map(daemons.daemon_pid, targets) if pid is not None]
        if pids:
            daemons.stop(pids)
    _parallel(hosts.clear, targets)


def _parallel(function: Callable[[T], R], items: tuple[T, ...] | list[T]) -> list[R]:
    """Run `function` on every item at once; re-raise the first failure after all finish."""
    if not items:
        return []
    with ThreadPoolExecutor(max_workers=len(items)) as pool:
        futures = [pool.submit(function, item) for item in items]
    errors = [future.exception() for future in futures if future.exception() is not None]
    if errors:
        first = errors[0]
        assert first is not None
        if len(errors) > 1 and isinstance(first, LabError):
            raise LabError("\n".join(str(error) for error in errors)) from first
        raise first
    return [future.result() for future in futures]


@contextmanager
def _locked(plan: LabPlan) -> Iterator[None]:
    """Hold the lab's lock so that two commands never work on one lab at once."""
    plan.lock_file.parent.mkdir(parents=True, exist_ok=True)
    with plan.lock_file.open("a") as handle:
        deadline = time.monotonic() + LOCK_TIMEOUT
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LabError(
                        f"another lbtui command has been working on lab {plan.name} for over "
                        f"{LOCK_TIMEOUT:.0f} s (lock {plan.lock_file}); try again later"
                    ) from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
