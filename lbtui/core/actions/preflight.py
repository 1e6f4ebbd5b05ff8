"""The checks apply makes before it touches any host; `validate` and `plan` make the same.

Reading a topology checks every value on its own and across fields. What only shows
when a VIP's haproxy.cfg is rendered, or its stats credentials are looked up, is
checked here, for every VIP at once, and reported like a reading problem: file, line,
column (the places the reader kept), field path, message; exit code 2.

    check_inputs(topology)     validate: renders with a stand-in password, writes nothing
    render_all(topology)       apply, plan: the real credentials (a generated password is
                               stored, as apply always did) and the real configurations
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import TypeVar

from lbtui.core.actions.lb import RenderedConfig, render_vip
from lbtui.core.errors import BadInput, LbtuiError, Problem, TopologyInvalid
from lbtui.core.haproxy.config import RenderRefused, render_config
from lbtui.core.haproxy.credentials import StatsCredentials, check_stats_credentials
from lbtui.core.topology.model import Topology, Vip

#: Renders in place of a password not looked up: `word()` escapes any password, so which
#: one is used cannot change whether a configuration renders.
STAND_IN_PASSWORD = "stand-in"

T = TypeVar("T")


def check_inputs(
    topology: Topology,
    environ: Mapping[str, str] = os.environ,
    store_dir: Path | None = None,
) -> dict[str, str]:
    """Every VIP renders and its credentials resolve, changing nothing: VIP -> password source.

    Raises TopologyInvalid listing every problem of every VIP.
    """
    sources: dict[str, str] = {}
    problems: list[Problem] = []
    for vip in topology.vips.values():
        lookup = partial(check_stats_credentials, topology, vip, environ, store_dir)
        source = _collect(topology, f"vips.{vip.name}.stats", problems, lookup)
        if source is not None:
            sources[vip.name] = source
        stand_in = StatsCredentials(vip.stats.user, STAND_IN_PASSWORD)
        render = partial(render_config, topology, vip, stand_in)
        _collect(topology, f"vips.{vip.name}", problems, render)
    _raise_if_any(problems)
    return sources


def render_all(topology: Topology) -> dict[str, RenderedConfig]:
    """Each VIP's configuration with its real credentials, or TopologyInvalid for them all."""
    rendered: dict[str, RenderedConfig] = {}
    problems: list[Problem] = []
    for vip in topology.vips.values():
        config = _collect(topology, f"vips.{vip.name}", problems, _renderer(topology, vip))
        if config is not None:
            rendered[vip.name] = config
    _raise_if_any(problems)
    return rendered


def _renderer(topology: Topology, vip: Vip) -> Callable[[], RenderedConfig]:
    def render() -> RenderedConfig:
        try:
            return render_vip(topology, vip)
        except RenderRefused:
            raise
        except LbtuiError as failure:
            # Credentials: the file or the environment, both named in the message.
            raise _Located(f"vips.{vip.name}.stats", str(failure)) from failure

    return render


class _Located(BadInput):
    def __init__(self, path: str, message: str) -> None:
        self.path = path
        super().__init__(message)


def _collect(
    topology: Topology, path: str, problems: list[Problem], check: Callable[[], T]
) -> T | None:
    """Run one check; what it refuses becomes problems located in the topology file."""
    try:
        return check()
    except RenderRefused as refused:
        problems += [_problem(topology, where, message) for where, message in refused.problems]
    except _Located as located:
        problems.append(_problem(topology, located.path, str(located)))
    except LbtuiError as failure:
        # Refused, or a credentials file that cannot be read: either way apply could not
        # go on, so it is an input problem, reported before any host is contacted.
        problems.append(_problem(topology, path, str(failure)))
    return None


def _problem(topology: Topology, path: str, message: str) -> Problem:
    line, column = topology.place(path)
    source = str(topology.source) if topology.source else f"topology {topology.name}"
    return Problem(source, line, column, path, message)


def _raise_if_any(problems: list[Problem]) -> None:
    if problems:
        raise TopologyInvalid(sorted(problems, key=lambda p: (p.line, p.column, p.path)))
