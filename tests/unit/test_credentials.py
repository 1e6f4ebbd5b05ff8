"""Stats credentials: the environment wins, else one password generated, stored 0600, reused."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from lbtui.core.errors import BadInput, RuntimeFailure
from lbtui.core.haproxy.credentials import (
    StatsCredentials,
    default_store_dir,
    password_file,
    resolve_stats_credentials,
)
from lbtui.core.topology.model import StatsPage
from tests.unit._haproxy_helpers import reference_topology, reference_vip

TOPOLOGY = reference_topology()
VIP = reference_vip()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_environment_variable_wins(tmp_path: Path) -> None:
    env = {"LBTUI_STATS_PASSWORD": "from-env"}
    creds = resolve_stats_credentials(TOPOLOGY, VIP, env, store_dir=tmp_path)
    assert creds == StatsCredentials("user", "from-env")
    assert list(tmp_path.iterdir()) == [], "nothing is stored when the environment gives it"


def test_an_empty_variable_falls_back_to_the_stored_password(tmp_path: Path) -> None:
    creds = resolve_stats_credentials(
        TOPOLOGY, VIP, {"LBTUI_STATS_PASSWORD": ""}, store_dir=tmp_path
    )
    assert creds.password
    assert password_file(TOPOLOGY, VIP, tmp_path).is_file()


def test_generated_once_stored_private_and_reused(tmp_path: Path) -> None:
    store = tmp_path / "state" / "lbtui"
    first = resolve_stats_credentials(TOPOLOGY, VIP, {}, store_dir=store)
    second = resolve_stats_credentials(TOPOLOGY, VIP, {}, store_dir=store)
    assert first == second
    assert len(first.password) >= 32
    path = store / "presentation" / "presentation.stats-password"
    assert path.read_text(encoding="utf-8").strip() == first.password
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700
    assert _mode(store) == 0o700
    assert [p.name for p in path.parent.iterdir()] == [path.name], "no temporary file left"


def test_each_vip_gets_its_own_password(tmp_path: Path) -> None:
    other = reference_vip(name="other", stats=StatsPage(password_env=None))
    a = resolve_stats_credentials(TOPOLOGY, VIP, {}, store_dir=tmp_path)
    b = resolve_stats_credentials(TOPOLOGY, other, {}, store_dir=tmp_path)
    assert a.password != b.password


def test_a_loosened_file_is_refused_and_left_as_it_is(tmp_path: Path) -> None:
    resolve_stats_credentials(TOPOLOGY, VIP, {}, store_dir=tmp_path)
    path = password_file(TOPOLOGY, VIP, tmp_path)
    path.chmod(0o640)
    with pytest.raises(RuntimeFailure, match=r"has mode 0640: other users can read it"):
        resolve_stats_credentials(TOPOLOGY, VIP, {}, store_dir=tmp_path)
    assert _mode(path) == 0o640, "a secret someone loosened is reported, not silently fixed"


def test_a_file_owned_by_another_user_is_refused(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("giving a file to another user needs root")
    resolve_stats_credentials(TOPOLOGY, VIP, {}, store_dir=tmp_path)
    path = password_file(TOPOLOGY, VIP, tmp_path)
    os.chown(path, 65534, 65534)
    with pytest.raises(RuntimeFailure, match=r"belongs to uid 65534, not to you \(uid 0\)"):
        resolve_stats_credentials(TOPOLOGY, VIP, {}, store_dir=tmp_path)


def test_umask_does_not_loosen_the_store(tmp_path: Path) -> None:
    import os

    old = os.umask(0)
    try:
        resolve_stats_credentials(TOPOLOGY, VIP, {}, store_dir=tmp_path / "s")
    finally:
        os.umask(old)
    assert _mode(tmp_path / "s") == 0o700
    assert _mode(password_file(TOPOLOGY, VIP, tmp_path / "s")) == 0o600


def test_repr_and_str_hide_the_password() -> None:
    creds = StatsCredentials("user", "hunter2-secret")
    for text in (repr(creds), str(creds), f"{creds}", repr([creds])):
        assert "hunter2-secret" not in text
        assert "user" in text


def test_default_store_dir_follows_xdg_state_home() -> None:
    assert default_store_dir({"XDG_STATE_HOME": "/x/state", "HOME": "/h"}) == Path("/x/state/lbtui")
    assert default_store_dir({"HOME": "/h"}) == Path("/h/.local/state/lbtui")
    # The XDG spec says a relative value is invalid and must be ignored.
    assert default_store_dir({"XDG_STATE_HOME": "rel", "HOME": "/h"}) == Path(
        "/h/.local/state/lbtui"
    )


def test_resolve_uses_xdg_state_home_from_the_given_environment(tmp_path: Path) -> None:
    creds = resolve_stats_credentials(TOPOLOGY, VIP, {"XDG_STATE_HOME": str(tmp_path)})
    path = tmp_path / "lbtui" / "presentation" / "presentation.stats-password"
    assert path.read_text(encoding="utf-8").strip() == creds.password


def test_an_empty_stored_file_is_a_clear_error_not_a_silent_regeneration(tmp_path: Path) -> None:
    path = password_file(TOPOLOGY, VIP, tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text("\n", encoding="utf-8")
    path.chmod(0o600)
    with pytest.raises(RuntimeFailure, match="is empty; remove it"):
        resolve_stats_credentials(TOPOLOGY, VIP, {}, store_dir=tmp_path)


def test_a_password_with_control_characters_is_refused_without_echoing_it(tmp_path: Path) -> None:
    env = {"LBTUI_STATS_PASSWORD": "bad\nsecret-value"}
    with pytest.raises(BadInput) as caught:
        resolve_stats_credentials(TOPOLOGY, VIP, env, store_dir=tmp_path)
    assert "LBTUI_STATS_PASSWORD" in str(caught.value)
    assert "secret-value" not in str(caught.value)


@pytest.mark.parametrize("user", ["", "us:er", "u ser"])
def test_a_user_haproxy_cannot_represent_is_refused(tmp_path: Path, user: str) -> None:
    vip = reference_vip(stats=StatsPage(user=user))
    with pytest.raises(BadInput, match=r"stats\.user"):
        resolve_stats_credentials(TOPOLOGY, vip, {}, store_dir=tmp_path)


def test_names_that_would_escape_the_store_are_refused(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="cannot name a credentials file"):
        password_file(TOPOLOGY, reference_vip(name="../evil"), tmp_path)
