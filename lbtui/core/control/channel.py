"""Reach a VIP's HAProxy runtime API (`stats socket`, level admin) from inside its container.

Why `docker exec` and a shell one-liner: the API listens inside the LB container
only (nothing is exposed on the network), exec works the same for local and
remote Docker hosts, and no extra container or image is needed. Which client
runs depends on what the image has, tried in this order:

    socat   on the unix socket                (images that add socat)
    nc      on a loopback TCP `stats socket`  (busybox: lbtui's lab image, alpine)
    bash    /dev/tcp on that loopback socket  (the official Debian-based image)
    nc -U   on the unix socket                (netcat-openbsd)

Busybox's nc has no `-U` and the official image has neither socat nor nc, hence
the loopback TCP socket (`stats socket ipv4@127.0.0.1:PORT level admin`): it is
reachable only from inside the container's own network namespace, like the
unix socket is only from inside its file system.
"""

from __future__ import annotations

from dataclasses import dataclass

from lbtui.core.docker.exec import ExecGateway, exec_in
from lbtui.core.errors import ActionFailed
from lbtui.core.haproxy.config import CONFIG_PATH, DEFAULT_OPTIONS
from lbtui.core.haproxy.config_text import ConfigUnreadable, parse
from lbtui.core.haproxy.model import HaproxyConfig
from lbtui.core.topology.model import Vip

#: Seconds one runtime API command may take.
COMMAND_TIMEOUT_S = 10

#: A POSIX sh function `lbtui_runtime CMD SOCK PORT TIMEOUT` that sends one command line to
#: the runtime API with the first client the image has; other in-container scripts reuse it.
CLIENT_FUNCTION = r"""
lbtui_runtime() {
  cmd=$1; sock=$2; port=$3; t=""
  if command -v timeout >/dev/null 2>&1; then t="timeout $4"; fi
  if [ -n "$sock" ] && command -v socat >/dev/null 2>&1; then
    printf '%s\n' "$cmd" | $t socat stdio "unix-connect:$sock"; return $?
  fi
  if [ -n "$port" ] && command -v nc >/dev/null 2>&1; then
    printf '%s\n' "$cmd" | $t nc 127.0.0.1 "$port"; return $?
  fi
  if [ -n "$port" ] && command -v bash >/dev/null 2>&1; then
    $t bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf "%s\n" "$2" >&3 && cat <&3' \
      lbtui "$port" "$cmd"
    return $?
  fi
  if [ -n "$sock" ] && command -v nc >/dev/null 2>&1 && nc -h 2>&1 | grep -q -- '-U'; then
    printf '%s\n' "$cmd" | $t nc -U "$sock"; return $?
  fi
  echo "no client for the HAProxy runtime API here (tried socat, nc, bash)" >&2
  return 127
}
"""

_SCRIPT = CLIENT_FUNCTION + 'lbtui_runtime "$@"\n'


@dataclass(frozen=True)
class RuntimeEndpoints:
    """Where the runtime API listens inside the container."""

    unix_path: str | None
    tcp_port: int | None

    @property
    def usable(self) -> bool:
        """True when at least one endpoint is declared."""
        return self.unix_path is not None or self.tcp_port is not None


def endpoints_of(config: HaproxyConfig) -> RuntimeEndpoints:
    """Where a configuration's runtime API listens: a unix path and/or a loopback TCP port."""
    settings = config.global_settings
    return RuntimeEndpoints(settings.runtime_socket, settings.runtime_tcp_port)


def endpoints_from_config(text: str) -> RuntimeEndpoints:
    """`endpoints_of` a haproxy.cfg text (ConfigUnreadable when lbtui did not write it)."""
    return endpoints_of(parse(text))


def running_endpoints(gateway: ExecGateway, vip: Vip) -> RuntimeEndpoints:
    """The endpoints the running LB was configured with (read back from its config file)."""
    data = gateway.read_file(vip.host, vip.container, CONFIG_PATH)
    if data is None:
        return RuntimeEndpoints(DEFAULT_OPTIONS.runtime_socket, None)
    try:
        return endpoints_from_config(data.decode("utf-8", errors="replace"))
    except ConfigUnreadable as error:
        raise ActionFailed(
            f"LB {vip.container} on {vip.host}: its runtime API cannot be found, {error}; "
            "redeploy the VIP to give it lbtui's configuration"
        ) from error


def runtime_command(
    gateway: ExecGateway, vip: Vip, command: str, endpoints: RuntimeEndpoints | None = None
) -> str:
    """Send one runtime API command line to the VIP's LB; HAProxy's answer."""
    if "\n" in command or "\r" in command:
        raise ActionFailed(f"runtime API command {command!r} must be one line")
    found = endpoints if endpoints is not None else running_endpoints(gateway, vip)
    if not found.usable:
        raise ActionFailed(
            f"LB {vip.container} on {vip.host} declares no `stats socket`: "
            "redeploy the VIP so that its configuration has the runtime API"
        )
    result = exec_in(
        gateway,
        vip.host,
        vip.container,
        [
            "sh",
            "-c",
            _SCRIPT,
            "lbtui-runtime",
            command,
            found.unix_path or "",
            str(found.tcp_port or ""),
            str(COMMAND_TIMEOUT_S),
        ],
    )
    if result.exit_code != 0:
        raise ActionFailed(
            f"the runtime API of {vip.container} on {vip.host} did not answer "
            f"{command!r} (exit {result.exit_code}): {result.output or 'no output'}"
        )
    return result.stdout
