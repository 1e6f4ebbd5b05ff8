"""Where themes come from: bundled, the user's XDG folder, --theme-dir; and `lbtui themes`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lbtui.cli import build_parser, main
from lbtui.commands.dashboard import build_dashboard
from lbtui.core.errors import BadInput
from lbtui.resources import reference_topology
from lbtui.tui.app import make_app
from lbtui.tui.themes import discover_themes, user_themes_dir
from tests.tui.snapshot_apps.fake import fake_services
from tests.tui.snapshot_apps.fake import reference_topology as fake_topology

RED_DARK = "name: dark\nprimary: '#ff0000'\n"


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty XDG config folder for this test; its lbtui/themes does not exist yet."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path / "config"


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    return folder


def test_user_themes_folder_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert user_themes_dir() == tmp_path / "lbtui" / "themes"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for unset in ("", "relative/config"):  # the XDG spec ignores relative values
        monkeypatch.setenv("XDG_CONFIG_HOME", unset)
        assert user_themes_dir() == tmp_path / "home" / ".config" / "lbtui" / "themes"


def test_without_user_themes_only_the_bundled_ones_load(config: Path) -> None:
    found = discover_themes()
    assert found.problems == ()
    assert found.names == ["dark", "high-contrast", "light"]
    assert {entry.source for entry in found.entries} == {"bundled"}


def test_a_user_theme_overrides_a_bundled_one_and_theme_dir_overrides_both(
    config: Path, tmp_path: Path
) -> None:
    user = _write(config / "lbtui" / "themes", "dark.yaml", RED_DARK)
    _write(user, "mine.yaml", "name: mine\nprimary: '#00ff00'\n")
    found = discover_themes()
    by_name = {entry.theme.name: entry for entry in found.entries}
    assert found.names == ["dark", "high-contrast", "light", "mine"]
    assert by_name["dark"].source == "user" and by_name["dark"].theme.primary == "#ff0000"
    assert by_name["dark"].path == str(user / "dark.yaml")
    assert by_name["light"].source == "bundled"

    extra = _write(tmp_path / "extra", "dark.yaml", "name: dark\nprimary: '#0000ff'\n")
    found = discover_themes(extra)
    dark = next(entry for entry in found.entries if entry.theme.name == "dark")
    assert (dark.source, dark.theme.primary) == ("--theme-dir", "#0000ff")
    assert "mine" in found.names


def test_a_broken_user_theme_is_reported_and_skipped(config: Path) -> None:
    user = _write(config / "lbtui" / "themes", "broken.yaml", "name: [unclosed\n")
    _write(user, "ok.yaml", "name: ok\nprimary: '#123456'\n")
    found = discover_themes()
    assert "ok" in found.names and "dark" in found.names
    assert len(found.problems) == 1 and "broken.yaml" in found.problems[0]


def test_a_missing_theme_dir_is_bad_input(config: Path, tmp_path: Path) -> None:
    with pytest.raises(BadInput, match=r"theme directory .*nope not found"):
        discover_themes(tmp_path / "nope")


def test_make_app_alone_sees_only_the_bundled_themes(config: Path) -> None:
    _write(config / "lbtui" / "themes", "dark.yaml", RED_DARK)
    app = make_app(fake_topology(), fake_services())
    assert {entry.source for entry in app.theme_set.entries} == {"bundled"}


def test_the_dashboard_accepts_a_theme_from_theme_dir(config: Path, tmp_path: Path) -> None:
    extra = _write(tmp_path / "extra", "mine.yaml", "name: mine\nprimary: '#00ff00'\n")
    args = build_parser().parse_args(["dashboard", "--theme", "mine", "--theme-dir", str(extra)])
    path = Path(str(reference_topology()))
    app, services = build_dashboard(args, path)
    services.close()
    assert app.theme == "mine"
    assert main(["--theme-dir", str(tmp_path / "nope")]) == 2


def test_themes_verb_lists_name_source_and_file(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write(config / "lbtui" / "themes", "dark.yaml", RED_DARK)
    extra = _write(tmp_path / "extra", "bad.yaml", "name: bad\n")
    assert main(["themes", "--theme-dir", str(extra), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    sources = {theme["name"]: theme["source"] for theme in listed["themes"]}
    assert sources == {"dark": "user", "high-contrast": "bundled", "light": "bundled"}
    assert len(listed["problems"]) == 1 and "bad.yaml" in listed["problems"][0]

    assert main(["themes", "--theme-dir", str(extra)]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0].split() == ["dark", "user", str(config / "lbtui" / "themes" / "dark.yaml")]
    assert lines[2].split()[:2] == ["light", "bundled"]
    assert "bad.yaml skipped" in captured.err


def test_a_user_themes_path_that_is_a_file_is_reported(config: Path) -> None:
    _write(config / "lbtui", "themes", "not a folder")
    found = discover_themes()
    assert found.names == ["dark", "high-contrast", "light"]
    assert found.problems == (f"theme directory {config / 'lbtui' / 'themes'} is not a folder",)
