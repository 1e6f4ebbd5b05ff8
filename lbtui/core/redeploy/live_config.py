"""Swapping the config inside a running LB: the file by `put_archive`, then one `docker exec`.

`stage_config` copies the new file next to the live one under a name of its own
(`haproxy.cfg.lbtui-new.<token>`, mode 0600: it holds the stats password); then, in
`check_and_reload`, one exec `haproxy -c`s it there (Docker's DNS resolves the servers
there), and only if it is valid: saves `show servers state` (drain, disable and weight
survive the reload), keeps the live file as `.last-good`, moves the new one into place
and SIGUSR2s the master (PID 1, `-W`). A rejected file never replaces the live one.
`restore_last_good` undoes it. The config text never appears in an exec's arguments:
Docker keeps those in its events and exec records.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass

from lbtui.core.control.channel import CLIENT_FUNCTION, COMMAND_TIMEOUT_S, endpoints_of
from lbtui.core.docker.archive import put_private_files
from lbtui.core.docker.exec import ExecGateway, ExecResult, exec_in
from lbtui.core.errors import ActionFailed, ConfigRejected
from lbtui.core.haproxy.check import CheckResult, parse_check_output
from lbtui.core.haproxy.config import CONFIG_PATH, DEFAULT_OPTIONS
from lbtui.core.haproxy.runtime import parse_servers_state
from lbtui.core.progress import Phase, ProgressEvent, Reporter
from lbtui.core.redeploy.plan import RedeployPlan
from lbtui.core.topology.model import Vip

#: Seconds newly launched backends get to become resolvable by the LB.
RESOLVE_TIMEOUT_S = 15.0
STAGED_SUFFIX = ".lbtui-new"
LAST_GOOD_SUFFIX = ".last-good"


@dataclass(frozen=True)
class Staging:
    """The names one redeploy uses inside the LB: two redeploys never share a file."""

    token: str

    @classmethod
    def new(cls) -> Staging:
        """A fresh token (random: a concurrent redeploy on another machine picks its own)."""
        return cls(secrets.token_hex(6))

    @property
    def staged_path(self) -> str:
        """Where the new config waits to be checked and installed."""
        return f"{CONFIG_PATH}{STAGED_SUFFIX}.{self.token}"


# $1 staged file (already copied in, 0600), $2 live path, $3 state file, $4 unix socket,
# $5 tcp port, $6 timeout, $7 backend, $8 ERE of state lines to drop (servers whose address
# changes; may be empty), $9 this redeploy's token (its temporary files are its own).
_RELOAD_SCRIPT = (
    CLIENT_FUNCTION
    + r"""
staged=$1; live=$2; state=$3; drop=$8; tmp="$3.$9"
[ -f "$staged" ] || { echo "@@stage-missing"; exit 10; }
# The master (PID 1) re-reads the file on reload as its own user: root in lbtui's lab
# image, haproxy in the official one. 0600 owned by that user: nobody else reads it.
uid=$(sed -n 's/^Uid:[[:space:]]*\([0-9]*\).*/\1/p' /proc/1/status)
gid=$(sed -n 's/^Gid:[[:space:]]*\([0-9]*\).*/\1/p' /proc/1/status)
chown "${uid:-0}:${gid:-0}" "$staged" && chmod 600 "$staged" \
  || { rm -f "$staged"; echo "@@stage-failed"; exit 10; }
out=$(haproxy -c -f "$staged" 2>&1); rc=$?
printf '%s\n' "$out"
if [ "$rc" -ne 0 ]; then rm -f "$staged"; echo "@@rejected $rc"; exit 11; fi
if lbtui_runtime "show servers state $7" "$4" "$5" "$6" > "$tmp.tmp" 2>/dev/null \
   && head -n 1 "$tmp.tmp" | grep -q '^1$'; then
  if [ -n "$drop" ]; then
    grep -v -E "$drop" "$tmp.tmp" > "$tmp.kept"; mv "$tmp.kept" "$tmp.tmp"
  fi
  mv "$tmp.tmp" "$state"; echo "@@state-saved"; sed 's/^/@@state /' "$state"
else
  rm -f "$tmp.tmp"; printf '1\n' > "$state"; echo "@@state-lost"
fi
if [ -f "$live" ]; then cp -p "$live" "$live"""
    + LAST_GOOD_SUFFIX
    + r""""; fi
mv "$staged" "$live" || { rm -f "$staged"; echo "@@install-failed"; exit 12; }
kill -USR2 1 || { echo "@@signal-failed"; exit 13; }
echo "@@reloaded"
"""
)

# $1 live path: put the last good file back and reload.
_ROLLBACK_SCRIPT = (
    r"""
live=$1
cp "$live"""
    + LAST_GOOD_SUFFIX
    + r"""" "$live" || exit 20
kill -USR2 1 || exit 21
"""
)

_UNRESOLVED = re.compile(r"could not resolve address|not resolve|unable to find", re.IGNORECASE)


def stage_config(plan: RedeployPlan, gateway: ExecGateway, staging: Staging) -> None:
    """Copy the new file into the LB next to the live one, under the staging name."""
    vip = plan.vip
    staged = {staging.staged_path: plan.new_config.encode()}
    put_private_files(gateway, vip.host, vip.container, staged)


def check_and_reload(
    plan: RedeployPlan, gateway: ExecGateway, report: Reporter, staging: Staging
) -> tuple[CheckResult, str | None]:
    """Run the in-container script on the file `stage_config` copied in (retrying, with the
    file copied anew, while new servers do not resolve yet).

    Returns HAProxy's verdict and the saved server state (None when it could not be saved).
    """
    vip = plan.vip
    endpoints = endpoints_of(plan.new_model)
    state_file = plan.new_model.global_settings.server_state_file
    deadline = time.monotonic() + RESOLVE_TIMEOUT_S
    while True:
        result = exec_in(
            gateway,
            vip.host,
            vip.container,
            [
                "sh",
                "-c",
                _RELOAD_SCRIPT,
                "lbtui-reload",
                staging.staged_path,
                CONFIG_PATH,
                state_file or DEFAULT_OPTIONS.server_state_file,
                endpoints.unix_path or "",
                str(endpoints.tcp_port or ""),
                str(COMMAND_TIMEOUT_S),
                vip.haproxy_backend,
                stale_state_pattern(plan),
                staging.token,
            ],
            # The live file belongs to root in the official image, whose user is haproxy.
            user="0",
            exit_code=False,
        )
        lines = result.stdout.splitlines()
        markers = {line for line in lines if line.startswith("@@")}
        state = "\n".join(line[len("@@state ") :] for line in lines if line.startswith("@@state "))
        output = "\n".join(line for line in lines if not line.startswith("@@"))
        rejected = any(m.startswith("@@rejected") for m in markers)
        check = parse_check_output(output, 1 if rejected else 0)
        if rejected:
            retry = plan.backends_to_launch and all(_UNRESOLVED.search(e) for e in check.errors)
            if retry and time.monotonic() < deadline:
                time.sleep(0.5)
                # The script removes the staged file whenever it does not install it.
                stage_config(plan, gateway, staging)
                continue
            report(ProgressEvent(Phase.FAILED, "reload", vip.container, vip.host, "rejected"))
            raise ConfigRejected(
                vip.name, check.summary() + "\nthe running LB was not touched and keeps serving"
            )
        if "@@reloaded" not in markers:
            report(ProgressEvent(Phase.FAILED, "reload", vip.container, vip.host, "failed"))
            raise ActionFailed(
                f"VIP {vip.name}: reloading {vip.container} on {vip.host} failed: "
                f"{result.output or 'no output'}"
            )
        return check, state if "@@state-saved" in markers else None


def servers_in_maintenance(state: str, backend: str) -> set[str]:
    """Servers a saved `show servers state` puts in maintenance on purpose (MAINT expected)."""
    if not state.strip():
        return set()
    return {
        s.server
        for s in parse_servers_state(state)
        if s.backend == backend and s.admin_state == "maint" and not s.resolution_failed
    }


def stale_state_pattern(plan: RedeployPlan) -> str:
    """An ERE matching the saved-state lines of servers whose address or port changes.

    HAProxy 2.6 would restore their OLD address from the file and ignore the new config.
    """
    old = plan.running_model
    new = {s.name: (s.address, s.port) for s in plan.new_model.backend.servers}
    servers = old.backend.servers if old is not None else ()
    stale = sorted(s.name for s in servers if new.get(s.name) != (s.address, s.port))
    if not stale:
        return ""
    names = "|".join(_ere_literal(name) for name in stale)
    return f"^[0-9]+ {_ere_literal(plan.vip.haproxy_backend)} [0-9]+ ({names}) "


def _ere_literal(name: str) -> str:
    # Names hold only [A-Za-z0-9_.:-] (validated); '.' is the one ERE metacharacter among them.
    return name.replace(".", "[.]")


def restore_last_good(gateway: ExecGateway, vip: Vip, reload: bool) -> ExecResult:
    """Put the last good file back; reload unless the master never loaded the new one."""
    command = (
        ["sh", "-c", _ROLLBACK_SCRIPT, "lbtui", CONFIG_PATH]
        if reload
        else ["cp", CONFIG_PATH + LAST_GOOD_SUFFIX, CONFIG_PATH]
    )
    return exec_in(gateway, vip.host, vip.container, command, user="0")


def remove_staged(gateway: ExecGateway, vip: Vip, staging: Staging) -> None:
    """Remove this redeploy's staged file if it is still there (after a lost connection)."""
    exec_in(gateway, vip.host, vip.container, ["rm", "-f", staging.staged_path], user="0")
