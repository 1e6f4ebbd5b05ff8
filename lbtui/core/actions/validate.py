"""Validate a rendered haproxy.cfg with `haproxy -c` where the server names resolve.

A throwaway container from the VIP's image, on the VIP's host and network (Docker's DNS
resolves the backends there), gets the file by `put_archive` and runs the check.
"""

from __future__ import annotations

import secrets

from lbtui.core.docker.containers import ContainerRequest
from lbtui.core.docker.gateway import DockerGateway
from lbtui.core.errors import ActionFailed, ConfigRejected
from lbtui.core.haproxy.check import CheckResult, parse_check_output
from lbtui.core.haproxy.config import CONFIG_PATH, DEFAULT_OPTIONS, EMPTY_SERVER_STATE
from lbtui.core.progress import Phase, ProgressEvent, Reporter, ignore_progress
from lbtui.core.topology.model import LABEL_VIP, Topology, Vip

#: Seconds `haproxy -c` may take (it resolves every server name).
CHECK_TIMEOUT_S = 30.0


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
    """Raise ConfigRejected with HAProxy's messages unless the text is valid."""
    report(ProgressEvent(Phase.STARTED, "validate", vip.name, vip.host, "haproxy -c"))
    result = check_config(hosts, topology, vip, text)
    if not result.valid:
        report(ProgressEvent(Phase.FAILED, "validate", vip.name, vip.host, "rejected"))
        raise ConfigRejected(vip.name, result.summary())
    warnings = f" (warnings: {'; '.join(result.warnings)})" if result.warnings else ""
    report(ProgressEvent(Phase.DONE, "validate", vip.name, vip.host, f"valid{warnings}"))
    return result
