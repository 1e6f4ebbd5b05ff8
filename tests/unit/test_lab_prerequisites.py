"""Missing tools are named, with the command that installs them."""

from __future__ import annotations

import pytest

from lbtui.core.errors import LabError
from lbtui.lab import system


@pytest.fixture
def as_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.geteuid", lambda: 0)


@pytest.mark.usefixtures("as_root")
@pytest.mark.parametrize("tool", ["dockerd", "haproxy", "busybox", "nsenter", "iptables"])
def test_a_missing_tool_is_named_with_the_install_command(
    tool: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = system.which
    monkeypatch.setattr(system, "which", lambda name: None if name == tool else real(name))
    with pytest.raises(LabError) as error:
        system.require_prerequisites(tls=False)
    assert f"missing {tool}" in str(error.value)
    assert "apt-get install docker.io haproxy busybox-static iptables" in str(error.value)


@pytest.mark.usefixtures("as_root")
def test_openssl_is_needed_only_with_tls(monkeypatch: pytest.MonkeyPatch) -> None:
    real = system.which
    monkeypatch.setattr(system, "which", lambda name: None if name == "openssl" else real(name))
    monkeypatch.setattr(system, "is_static", lambda path: True)
    system.require_prerequisites(tls=False)
    with pytest.raises(LabError, match="missing openssl"):
        system.require_prerequisites(tls=True)


def test_not_root_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    with pytest.raises(LabError, match="needs root"):
        system.require_prerequisites(tls=False)
