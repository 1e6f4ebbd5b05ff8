"""Checks of single topology values: names, URLs, addresses, HAProxy words.

Each check takes the string and returns what is wrong with it (found and
allowed), or None. Values that end up in haproxy.cfg are held to a strict
alphabet so that no file can inject configuration lines.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from lbtui.core.topology.limits import (
    HAPROXY_NAME,
    HAPROXY_NAME_ALLOWED,
    HAPROXY_WORDS,
    HAPROXY_WORDS_ALLOWED,
)
from lbtui.core.topology.yaml_nodes import suggestion

_DOCKER_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]*")
_LABEL_VALUE = re.compile(r"[a-z0-9][a-z0-9_.-]*")
_HOSTNAME_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
_IMAGE = re.compile(
    r"(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?"
    r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
    r"(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
    r"(?::\w[\w.-]{0,127})?"
    r"(?:@sha256:[a-f0-9]{64})?"
)
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_URI_PATH = re.compile(r"/[!-~]*")
_HEADER = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+")

NAME_MAX = 63
URL_SCHEMES = ("unix", "tcp", "ssh")
#: Networks every Docker engine already has; a topology cannot declare them.
RESERVED_NETWORKS = ("bridge", "host", "none", "ingress", "docker_gwbridge")
HTTP_METHODS = ("GET", "HEAD", "OPTIONS", "POST", "PUT", "DELETE", "PATCH", "TRACE")
HTTP_VERSIONS = ("HTTP/1.0", "HTTP/1.1")
BALANCE_ALGORITHMS = (
    "roundrobin",
    "static-rr",
    "leastconn",
    "first",
    "source",
    "uri",
    "url_param",
    "hdr(NAME)",
    "random",
    "rdp-cookie",
    "hash",
)
SYSLOG_FACILITIES = (
    *("kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news"),
    *("uucp", "cron", "auth2", "ftp", "ntp", "audit", "alert", "cron2"),
    *(f"local{n}" for n in range(8)),
)
_URI_OPTIONS = re.compile(r"(?:\s+(?:whole|path-only|len\s+\d+|depth\s+\d+))*")
_BALANCE_RULES: dict[str, re.Pattern[str]] = {
    "roundrobin": re.compile(""),
    "static-rr": re.compile(""),
    "leastconn": re.compile(""),
    "first": re.compile(""),
    "source": re.compile(""),
    "uri": _URI_OPTIONS,
    "url_param": re.compile(r"\s+[!-~]+(?:\s+check_post)?"),
    "hdr": re.compile(r"\(" + _HEADER.pattern + r"\)(?:\s+use_domain_only)?"),
    "random": re.compile(r"(?:\(\d+\))?"),
    "rdp-cookie": re.compile(r"(?:\([A-Za-z0-9_.-]+\))?"),
    "hash": re.compile(r"\s+[!-~]+"),
}
_BALANCE_HINTS = {
    "url_param": "url_param needs a parameter name, e.g. 'url_param userid'",
    "hdr": "hdr needs a header name, e.g. 'hdr(host)'",
    "hash": "hash needs a sample expression, e.g. 'hash path'",
}


def docker_name(value: str) -> str | None:
    """A container or network name Docker accepts."""
    if not _DOCKER_NAME.fullmatch(value):
        return (
            f"'{value}' is not a name Docker accepts; allowed: letters, digits and '_.-', "
            "starting with a letter or digit"
        )
    if len(value) > NAME_MAX:
        return f"name is {len(value)} characters long; the limit is {NAME_MAX}"
    return None


def network_name(value: str) -> str | None:
    """A user-defined network name: Docker's alphabet, not a predefined network."""
    if value in RESERVED_NETWORKS:
        return f"'{value}' is a network Docker predefines; choose another name"
    return docker_name(value)


def label_value(value: str) -> str | None:
    """The topology name, put on every resource as a label value."""
    if not _LABEL_VALUE.fullmatch(value) or len(value) > NAME_MAX:
        return (
            f"'{value}' is not allowed; use lowercase letters, digits, '_', '.', '-' "
            f"starting with a letter or digit, at most {NAME_MAX} characters"
        )
    return None


def image_reference(value: str) -> str | None:
    """An image reference such as `lbtui/web:lab` or `registry:5000/team/app:1.2`."""
    if not _IMAGE.fullmatch(value):
        return f"'{value}' is not an image reference like 'name:tag' or 'registry/name:tag'"
    return None


def docker_url(value: str) -> str | None:
    """A Docker endpoint: `unix:///path`, `tcp://host:port` or `ssh://user@host`."""
    scheme, sep, rest = value.partition("://")
    if not sep:
        return f"'{value}' has no scheme; allowed: unix://, tcp://, ssh://"
    if scheme not in URL_SCHEMES:
        return f"scheme '{scheme}' is not supported; allowed: unix://, tcp://, ssh://"
    if scheme == "unix":
        if not rest.startswith("/") or len(rest) < 2:
            return f"'{value}' needs an absolute socket path, e.g. unix:///run/docker.sock"
        return None
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as error:
        return f"'{value}' is not a valid URL: {error}"
    if parts.password is not None:
        # Checked first so no message below ever echoes it.
        instead = "an ssh key or agent" if scheme == "ssh" else "tls: {ca, cert, key}"
        return f"a password in a host URL is refused (it would show in messages); use {instead}"
    if not parts.hostname:
        example = "tcp://host:2376" if scheme == "tcp" else "ssh://user@host"
        return f"'{value}' names no host, e.g. {example}"
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return f"'{value}' must not carry a path or query"
    if scheme == "tcp" and port is None:
        return f"'{value}' needs a port, e.g. tcp://{parts.hostname}:2376"
    return None


def address(value: str) -> str | None:
    """An IPv4 or IPv6 address, or a DNS host name."""
    try:
        ipaddress.ip_address(value)
        return None
    except ValueError:
        pass
    labels = value.rstrip(".").split(".")
    if (
        len(value) <= 253
        and all(_HOSTNAME_LABEL.fullmatch(label) for label in labels)
        and not labels[-1].isdigit()
    ):
        return None
    return f"'{value}' is neither an IPv4/IPv6 address nor a host name"


def subnet(value: str) -> str | None:
    """A network in CIDR form, host bits zero (`10.10.0.0/24`)."""
    try:
        ipaddress.ip_network(value, strict=True)
    except ValueError as error:
        return f"'{value}' is not a subnet in CIDR form (e.g. 10.10.0.0/24): {error}"
    return None


def balance(value: str) -> str | None:
    """An HAProxy 2.6 `balance` algorithm, with its arguments where it takes any."""
    match = re.match(r"[a-z_-]+", value)
    word = match.group(0) if match else ""
    rule = _BALANCE_RULES.get(word)
    if rule is None:
        allowed = ", ".join(BALANCE_ALGORITHMS)
        hint = suggestion(word or value, list(_BALANCE_RULES))
        return f"unknown balance algorithm '{value}'{hint or f'; allowed: {allowed}'}"
    if not rule.fullmatch(value[len(word) :]):
        return _BALANCE_HINTS.get(word, f"'{value}' has arguments '{word}' does not take")
    if not HAPROXY_WORDS.fullmatch(value):
        # Written into haproxy.cfg as it is: a quote or '#' would change what HAProxy reads.
        return f"'{value}' cannot be written into haproxy.cfg; allowed: {HAPROXY_WORDS_ALLOWED}"
    return None


def section_name(value: str) -> str | None:
    """An HAProxy frontend or backend name."""
    if not HAPROXY_NAME.fullmatch(value):
        return f"'{value}' is not an HAProxy section name; allowed: {HAPROXY_NAME_ALLOWED}"
    return None


def http_method(value: str) -> str | None:
    """The health check's HTTP method."""
    if value in HTTP_METHODS:
        return None
    if value.upper() in HTTP_METHODS:
        hint = f"; did you mean '{value.upper()}'?"
    else:
        hint = suggestion(value.upper(), HTTP_METHODS) or "; allowed: " + ", ".join(HTTP_METHODS)
    return f"unknown HTTP method '{value}'{hint}"


def http_version(value: str) -> str | None:
    """The health check's HTTP version."""
    if value not in HTTP_VERSIONS:
        return f"'{value}' is not allowed; allowed: {', '.join(HTTP_VERSIONS)}"
    return None


def uri_path(value: str) -> str | None:
    """A path such as `/index.html`: starts with '/', no spaces."""
    if not _URI_PATH.fullmatch(value):
        return f"'{value}' is not a path; it must start with '/' and hold no spaces"
    return None


def stats_user(value: str) -> str | None:
    """A stats page user: printable, no spaces, no ':'."""
    if not re.fullmatch(r"[!-9;-~]+", value):
        return f"'{value}' is not allowed; use printable characters without spaces or ':'"
    return None


def env_name(value: str) -> str | None:
    """An environment variable name."""
    if not _ENV_NAME.fullmatch(value):
        return (
            f"'{value}' is not an environment variable name; allowed: letters, digits and '_', "
            "not starting with a digit"
        )
    return None


def facility(value: str) -> str | None:
    """A syslog facility HAProxy knows."""
    if value not in SYSLOG_FACILITIES:
        hint = suggestion(value, SYSLOG_FACILITIES)
        return f"unknown syslog facility '{value}'{hint or '; allowed: local0 .. local7, ...'}"
    return None


def log_target(value: str) -> str | None:
    """An HAProxy log target such as `stdout format raw` or `198.18.0.1:514`."""
    if not HAPROXY_WORDS.fullmatch(value):
        return f"'{value}' is not a log target; allowed: {HAPROXY_WORDS_ALLOWED}"
    return None


def nonempty(value: str) -> str | None:
    """Any string but the empty one."""
    return "must not be empty" if not value else None
