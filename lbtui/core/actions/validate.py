"""Validate a rendered haproxy.cfg with `haproxy -c` where the server names resolve.

A throwaway container from the VIP's image, on the VIP's host and network (Docker's DNS
resolves the backends there), gets the file by `put_archive` and runs the check.
"""

from __future__ import annotations

import re
import secrets
import time

from lbtui.core.docker.containers import ContainerRequest
from lbtui.core.docker.gateway import DockerGateway
from lbtui.core.errors import ActionFailed, ConfigRejected
from lbtui.core.haproxy.check import CheckResult, parse_check_output
from lbtui.core.haproxy.config import CONFIG_PATH, DEFAULT_OPTIONS, EMPTY_SERVER_STATE
from lbtui.core.progress import Phase, ProgressEvent, Reporter, ignore_progress
from lbtui.core.topology.model import LABEL_VIP, Topology, Vip

#: Seconds `haproxy -c` may take (it resolves every server name).
CHECK_TIMEOUT_S = 30.0
#: How long a check that only fails to resolve server names is tried again.
DNS_READY_S = 60.0
DNS_RETRY_S = 1.0
# `'server web2' : could not resolve address 'web2'.`, then a summary alert.
_UNRESOLVED = re.compile(r"could not resolve address '([^']+)'")
_UNRESOLVED_SUMMARY = "Failed to initialize server(s) addr"


def check_request(topology: Topology, vip: Vip) -> ContainerRequest:
    """The throwaway checking container: labelled, so teardown removes a leftover one."""
    return ContainerRequest(
        name=f"lbtui-check-{vip.name}-{secrets.token_hex(4)}",
        image=vip.image,
        network=vip.network,
        labels=topology.labels("check", {LABEL_VIP: vip.name}),
        command=("haproxy", "-c", "-f", CONFIG_PATH),
        restart_policy=None,
    )


def check_config(hosts: DockerGateway, topology: Topology, vip: Vip, text: str) -> CheckResult:
    """Run `haproxy -c` on the text next to the VIP's servers; what HAProxy said."""
    request = check_request(topology, vip)
    container = hosts.create_container(vip.host, request)
    try:
        files = {
            CONFIG_PATH: text.encode(),
            DEFAULT_OPTIONS.server_state_file: EMPTY_SERVER_STATE.encode(),
        }
        hosts.put_files(vip.host, container, files)
        hosts.start_container(vip.host, container)
        try:
            exit_code = hosts.wait_container(vip.host, container, CHECK_TIMEOUT_S)
        except ActionFailed as error:
            raise _check_timed_out(vip, hosts.logs(vip.host, container, tail=20)) from error
        output = hosts.logs(vip.host, container, tail=200)
    finally:
        hosts.remove_container(vip.host, container)
    return parse_check_output(output, exit_code)


def _check_timed_out(vip: Vip, output: str) -> ActionFailed:
    # Seen on the lab right after a host restarted: its overlay was not ready yet,
    # and the check hung resolving the servers' names. A minute later it passed.
    return ActionFailed(
        f"VIP {vip.name}: haproxy -c did not finish within {CHECK_TIMEOUT_S:g} s in a checking "
        f"container on {vip.host} (network {vip.network}); nothing was changed. Resolving the "
        "servers' names is the slow part: a host that has just started may not have its "
        "overlay network ready yet; try again in a moment.\n"
        f"HAProxy said: {output.strip() or '(nothing)'}"
    )


def validate_config(
    hosts: DockerGateway,
    topology: Topology,
    vip: Vip,
    text: str,
    report: Reporter = ignore_progress,
) -> CheckResult:
    """Raise ConfigRejected with HAProxy's messages unless the text is valid.

    A check that fails only because server names do not resolve yet is tried again, for
    up to DNS_READY_S: a host that has just joined the swarm (or restarted) takes a few
    seconds before the overlay's DNS answers for containers on the other hosts.
    """
    report(ProgressEvent(Phase.STARTED, "validate", vip.name, vip.host, "haproxy -c"))
    began = time.monotonic()
    result = check_config(hosts, topology, vip, text)
    while not result.valid and _only_unresolved(result):
        waited = time.monotonic() - began
        if waited >= DNS_READY_S:
            break
        names = ", ".join(_unresolved(result))
        report(
            ProgressEvent(
                Phase.STARTED,
                "validate",
                vip.name,
                vip.host,
                f"waiting for network {vip.network}'s DNS to resolve {names} "
                f"({waited:.0f} s of at most {DNS_READY_S:g} s)",
            )
        )
        time.sleep(DNS_RETRY_S)
        result = check_config(hosts, topology, vip, text)
    if not result.valid:
        report(ProgressEvent(Phase.FAILED, "validate", vip.name, vip.host, "rejected"))
        raise ConfigRejected(vip.name, result.summary())
    warnings = f" (warnings: {'; '.join(result.warnings)})" if result.warnings else ""
    report(ProgressEvent(Phase.DONE, "validate", vip.name, vip.host, f"valid{warnings}"))
    return result


def _unresolved(result: CheckResult) -> list[str]:
    return [m.group(1) for e in result.errors if (m := _UNRESOLVED.search(e)) is not None]


def _only_unresolved(result: CheckResult) -> bool:
    """True when every error HAProxy gave is about a server name it could not resolve."""
    names = _unresolved(result)
    return bool(names) and all(
        _UNRESOLVED.search(e) or e.startswith(_UNRESOLVED_SUMMARY) for e in result.errors
    )
