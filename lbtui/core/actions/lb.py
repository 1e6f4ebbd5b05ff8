"""Deploy LB: render, validate, then create / reload / recreate each VIP's HAProxy container."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from lbtui.core.actions.containers import container_change, lost_its_network
from lbtui.core.actions.lb_replace import finish_interrupted, replace_lb, settle
from lbtui.core.actions.scope import hosts_for
from lbtui.core.actions.specs import lb_request
from lbtui.core.actions.steps import Change, Step, Verdict, carry_out
from lbtui.core.actions.validate import validate_config
from lbtui.core.docker.gateway import DockerGateway
from lbtui.core.errors import ActionFailed
from lbtui.core.haproxy.config import (
    CONFIG_PATH,
    DEFAULT_OPTIONS,
    EMPTY_SERVER_STATE,
    config_hash,
    render_config,
)
from lbtui.core.haproxy.config_text import redact
from lbtui.core.haproxy.credentials import resolve_stats_credentials
from lbtui.core.progress import Phase, ProgressEvent, Reporter, ignore_progress
from lbtui.core.topology.model import Topology, Vip

#: How long a freshly started or reloaded LB must keep running to count as up.
SETTLE_S = 0.5
#: The signal that makes HAProxy's master (-W) reload its configuration seamlessly.
RELOAD_SIGNAL = "SIGUSR2"


@dataclass(frozen=True)
class RenderedConfig:
    """A VIP's haproxy.cfg and its hash."""

    text: str
    hash: str
    """Of the text with the stats password masked: it is shown as a label."""


def render_vip(topology: Topology, vip: Vip) -> RenderedConfig:
    """Resolve the stats credentials and render the VIP's configuration."""
    credentials = resolve_stats_credentials(topology, vip)
    text = render_config(topology, vip, credentials)
    return RenderedConfig(text, config_hash(redact(text)))


def running_config_matches(hosts: DockerGateway, vip: Vip, rendered: RenderedConfig) -> bool:
    """True when the file inside the VIP's container is exactly the rendered one.

    The whole text is compared, password included (the label's hash masks it, so a
    changed password would not show there).
    """
    data = hosts.read_file(vip.host, vip.container, CONFIG_PATH)
    return data == rendered.text.encode()


def plan_lb(hosts: DockerGateway, topology: Topology, vip: Vip, rendered: RenderedConfig) -> Change:
    """What `deploy_lb` would do: create, keep, start, reload (config drift) or replace."""
    wanted = lb_request(topology, vip, rendered.hash)
    found = hosts.find_container(vip.host, vip.container)
    change = container_change("lb", topology, vip.host, wanted, found)
    if change.verdict not in (Verdict.KEEP, Verdict.START):
        return change
    if running_config_matches(hosts, vip, rendered):
        return change
    if change.verdict is Verdict.START:
        return Change(
            "lb", vip.container, vip.host, Verdict.START, f"{change.reason}; config drift"
        )
    return Change("lb", vip.container, vip.host, Verdict.RELOAD, "config drift")


def plan_lbs(hosts: DockerGateway, topology: Topology) -> list[Change]:
    """What `deploy_lbs` would do to each VIP's container."""
    return [
        plan_lb(hosts, topology, vip, render_vip(topology, vip)) for vip in topology.vips.values()
    ]


def require_backends_running(hosts: DockerGateway, topology: Topology, vip: Vip) -> None:
    """HAProxy fails to load without its servers: each one must run before the LB changes."""
    for member in vip.servers:
        backend = topology.backends.get(member.backend)
        if backend is None:
            continue  # a service: HAProxy waits for its tasks in DNS (`init-addr none`)
        found = hosts.find_container(backend.host, backend.name)
        if found is None or not found.running:
            state = "missing" if found is None else found.state
            raise ActionFailed(
                f"VIP {vip.name}: backend {backend.name} on {backend.host} is {state}; "
                "launch the backends first (`lbtui apply --step backends`)"
            )


def deploy_lb(
    hosts: DockerGateway, topology: Topology, vip: Vip, report: Reporter = ignore_progress
) -> Change:
    """Bring one VIP's LB to the topology; the config is validated before anything changes."""
    rendered = render_vip(topology, vip)
    leftover = finish_interrupted(hosts, topology, vip)
    if leftover is not None:
        report(ProgressEvent(Phase.DONE, "lb", vip.container, vip.host, leftover))
    change = plan_lb(hosts, topology, vip, rendered)
    if change.changes:
        # Every change delivers the rendered file, so it is checked first, every time.
        require_backends_running(hosts, topology, vip)
        validate_config(hosts, topology, vip, rendered.text, report)
    return carry_out(change, report, partial(_carry_out, hosts, topology, vip, rendered, change))


def deploy_lbs(
    hosts: DockerGateway, topology: Topology, report: Reporter = ignore_progress
) -> list[Change]:
    """Deploy every VIP's LB."""
    hosts.require_reachable(hosts_for(topology, Step.LB))
    return [deploy_lb(hosts, topology, vip, report) for vip in topology.vips.values()]


def _carry_out(
    hosts: DockerGateway, topology: Topology, vip: Vip, rendered: RenderedConfig, change: Change
) -> str:
    config = {CONFIG_PATH: rendered.text.encode()}
    state_file = DEFAULT_OPTIONS.server_state_file
    if change.verdict is Verdict.RELOAD:
        # The state file may hold what an earlier redeploy saved; loading that now would
        # bring back a drain or weight set since undone. `lbtui redeploy` saves it afresh.
        fresh_state = {state_file: EMPTY_SERVER_STATE.encode()}
        hosts.put_files(vip.host, vip.container, {**config, **fresh_state})
        hosts.signal_container(vip.host, vip.container, RELOAD_SIGNAL)
        _settle(hosts, vip)
        return (
            f"configuration reloaded ({RELOAD_SIGNAL}, no restart); runtime server state "
            "reset to the configuration's (`lbtui redeploy` keeps it)"
        )
    if change.verdict is Verdict.START:
        hosts.put_files(vip.host, vip.container, config)
        try:
            hosts.start_container(vip.host, vip.container)
            _settle(hosts, vip)
            return "started"
        except ActionFailed as error:
            if not lost_its_network(error):
                raise
        # Stopped, so serving nothing: recreating it loses nothing.
        hosts.remove_container(vip.host, vip.container)
    wanted = lb_request(topology, vip, rendered.hash)
    files = {**config, state_file: EMPTY_SERVER_STATE.encode()}
    if change.verdict is Verdict.REPLACE:
        # Never remove first: the old LB serves until the new one runs (see lb_replace).
        return replace_lb(hosts, vip, wanted, files, SETTLE_S)
    container_id = hosts.create_container(vip.host, wanted)
    hosts.put_files(vip.host, container_id, files)
    hosts.start_container(vip.host, container_id)
    _settle(hosts, vip)
    return f"running ({container_id[:12]}), port {vip.publish} -> {vip.frontend_port}"


def _settle(hosts: DockerGateway, vip: Vip) -> None:
    """Fail with HAProxy's last words if the LB exits right after a start or reload."""
    settle(hosts, vip.host, vip.container, SETTLE_S)
