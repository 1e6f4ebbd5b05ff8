"""The config model read back from its own text: parse(render(config)) == config."""

from __future__ import annotations

from dataclasses import replace

import pytest

from lbtui.core.control.channel import endpoints_from_config
from lbtui.core.errors import BadInput
from lbtui.core.haproxy.config import DEFAULT_OPTIONS, RenderOptions, build_config, render_config
from lbtui.core.haproxy.config_text import ConfigUnreadable, parse, redact, render, unword, word
from lbtui.core.haproxy.credentials import StatsCredentials
from lbtui.core.haproxy.model import HaproxyConfig, StatsAuth
from lbtui.core.topology.model import PoolMember
from tests.unit._haproxy_cases import CASES, GOLDEN, build_case
from tests.unit._haproxy_helpers import reference_topology, reference_vip

CREDS = StatsCredentials("user", "docker")


def _reference(options: RenderOptions = DEFAULT_OPTIONS, **vip: object) -> HaproxyConfig:
    return build_config(reference_topology(), reference_vip(**vip), CREDS, options)


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_golden_case_reads_back_as_its_model(name: str) -> None:
    config = build_config(*build_case(name))
    text = render(config)
    assert parse(text) == config
    assert parse((GOLDEN / f"{name}.cfg").read_text(encoding="utf-8")) == config


def _older(config: HaproxyConfig) -> HaproxyConfig:
    """What lbtui wrote before `fastinter`, `timeout check` and the runtime API."""
    servers = tuple(
        replace(s, fastinter_ms=None, init_addr=None, resolvers=None)
        for s in config.backend.servers
    )
    return replace(
        config,
        global_settings=replace(
            config.global_settings,
            runtime_socket=None,
            runtime_tcp_port=None,
            server_state_file=None,
        ),
        defaults=replace(config.defaults, stats_auth=None),
        resolvers=None,
        backend=replace(config.backend, check_timeout_ms=None, servers=servers),
    )


@pytest.mark.parametrize(
    "config",
    [
        _reference(balance="hdr(host) use_domain_only"),
        _reference(balance="url_param userid check_post"),
        _reference(balance="random(2)"),
        _reference(RenderOptions(dns_nameserver=None, runtime_tcp_port=None)),
        _reference(RenderOptions(runtime_socket="/run/a b/\\x41é.sock")),
        _reference(servers=(PoolMember("web1", 0), PoolMember("web2", 256))),
        _older(_reference()),
        replace(
            _reference(),
            defaults=replace(
                _reference().defaults, stats_auth=StatsAuth("u", "a:b\\x20c \\ #\n\t")
            ),
        ),
    ],
    ids=[
        "hdr",
        "url_param",
        "random",
        "no-resolvers-no-tcp",
        "escaped-socket",
        "weights",
        "older",
        "password",
    ],
)
def test_edge_cases_read_back_as_their_model(config: HaproxyConfig) -> None:
    assert parse(render(config)) == config


def test_a_config_of_an_older_lbtui_reads_back() -> None:
    text = render(_older(_reference()))
    assert "fastinter" not in text and "stats socket" not in text
    assert "timeout check" not in text and "init-addr" not in text
    config = parse(text)
    assert config.server_names == ("web1", "web2")
    assert config.global_settings.runtime_socket is None
    assert render(config) == text


def test_words_escape_and_unescape() -> None:
    for value in ("plain", "a b", "\\x41", "é#\n", "%s:/x"):
        assert unword(word(value)) == value
    assert word("a b") == "a\\x20b"
    with pytest.raises(BadInput, match="empty value"):
        word("")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no global"),
        ("global\n    maxconn 1\n", "no defaults"),
        ("frontend a b\n", "line 1: unexpected section"),
        ("listen x\n", "unexpected section 'listen x'"),
        ("    maxconn 1\n", "line 1:"),
        ("global\n    nbthread 4\n", "line 2: 'nbthread 4' is not understood"),
        ("global\n    stats socket /s level user\n", "a stats socket lbtui does not write"),
        ("global\nglobal\n", "line 2: unexpected section"),
    ],
)
def test_text_lbtui_did_not_write_is_refused_with_the_line(text: str, message: str) -> None:
    with pytest.raises(ConfigUnreadable, match=message):
        parse(text)


def test_a_server_line_with_unknown_options_is_refused() -> None:
    text = render(_reference()).replace(" weight 1 ", " weight 1 backup 1 ", 1)
    with pytest.raises(ConfigUnreadable, match=r"line \d+: 'server web1 .* backup 1"):
        parse(text)


def test_a_missing_setting_is_named() -> None:
    text = "\n".join(line for line in render(_reference()).splitlines() if "maxconn" not in line)
    with pytest.raises(ConfigUnreadable, match="max_connections"):
        parse(text)


def test_redaction_keeps_every_other_byte() -> None:
    creds = StatsCredentials("us#er", "p a#s:s\n")
    text = render_config(reference_topology(), reference_vip(), creds)
    masked = redact(text)
    assert "    stats auth us\\x23er:***\n" in masked
    assert masked.replace("us\\x23er:***", "") == text.replace(word("us#er:p a#s:s\n"), "")
    assert redact("\tstats auth nocolon\r\n") == "\tstats auth ***\r\n"


def test_the_runtime_endpoints_are_unescaped() -> None:
    text = render(_reference(RenderOptions(runtime_socket="/run/my lb.sock")))
    endpoints = endpoints_from_config(text)
    assert endpoints.unix_path == "/run/my lb.sock"
    assert endpoints.tcp_port == 9999


def test_rendering_refuses_a_value_that_would_break_its_line() -> None:
    config = _reference()
    broken = replace(config, backend=replace(config.backend, balance="roundrobin\nbind *:1"))
    with pytest.raises(BadInput, match="balance"):
        render(broken)
    with pytest.raises(BadInput, match="as a name"):
        render(replace(config, frontend=replace(config.frontend, name="a b")))
