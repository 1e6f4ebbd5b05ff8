"""Themes are data: YAML files become `textual.theme.Theme` objects.

Three places, later ones overriding a theme of the same name: the themes bundled
in the package, the user's folder (`$XDG_CONFIG_HOME/lbtui/themes`, by default
`~/.config/lbtui/themes`), and a folder given with `--theme-dir`. A broken file
is reported and skipped; it never stops the app from starting.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml
from textual.theme import Theme

from lbtui.core.errors import BadInput
from lbtui.resources import bundled_themes

#: Keys a theme file may set, besides `name`, `dark` and `variables`.
COLOR_KEYS = (
    "primary",
    "secondary",
    "warning",
    "error",
    "success",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)
ALLOWED_KEYS = frozenset({"name", "dark", "variables", *COLOR_KEYS})
MAX_THEME_BYTES = 64 * 1024

BUNDLED = "bundled"
USER = "user"
THEME_DIR = "--theme-dir"


def default_themes_dir() -> Traversable:
    """The themes bundled in the package."""
    return bundled_themes()


def user_themes_dir() -> Path:
    """`$XDG_CONFIG_HOME/lbtui/themes`, else `~/.config/lbtui/themes` (relative values ignored)."""
    config = os.environ.get("XDG_CONFIG_HOME", "")
    base = Path(config) if os.path.isabs(config) else Path.home() / ".config"
    return base / "lbtui" / "themes"


@dataclass(frozen=True)
class LoadedTheme:
    """A theme and where it came from: its source (bundled, user, --theme-dir) and file."""

    theme: Theme
    source: str
    path: str


@dataclass(frozen=True)
class ThemeSet:
    """The themes that loaded, and one message per file that did not."""

    entries: tuple[LoadedTheme, ...] = ()
    problems: tuple[str, ...] = field(default=())

    @property
    def themes(self) -> tuple[Theme, ...]:
        """The loaded themes."""
        return tuple(entry.theme for entry in self.entries)

    @property
    def names(self) -> list[str]:
        """Names of the loaded themes."""
        return [entry.theme.name for entry in self.entries]


def parse_theme(data: Any) -> Theme:
    """One theme from a parsed YAML document; ValueError says what is wrong."""
    if not isinstance(data, dict):
        raise ValueError("a theme file must be a mapping")
    unknown = sorted(set(map(str, data)) - ALLOWED_KEYS)
    if unknown:
        raise ValueError(f"unknown key(s) {', '.join(unknown)}")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValueError("`name` must be a non-empty string")
    if not isinstance(data.get("primary"), str):
        raise ValueError("`primary` (a colour) is required")
    colors = {key: data[key] for key in COLOR_KEYS if key in data}
    for key, value in colors.items():
        if not isinstance(value, str):
            raise ValueError(f"`{key}` must be a colour string, found {value!r}")
    variables = data.get("variables", {})
    if not isinstance(variables, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in variables.items()
    ):
        raise ValueError("`variables` must map names to strings")
    dark = data.get("dark", True)
    if not isinstance(dark, bool):
        raise ValueError("`dark` must be true or false")
    theme = Theme(name=name, dark=dark, variables=dict(variables), **colors)
    try:
        theme.to_color_system().generate()
    except Exception as error:  # textual's colour parser raises several types
        raise ValueError(f"{error}") from error
    return theme


def load_themes(directory: Path | Traversable, source: str = THEME_DIR) -> ThemeSet:
    """Every `*.yaml` theme in `directory`, in file name order; broken ones become problems."""
    entries: list[LoadedTheme] = []
    problems: list[str] = []
    if not directory.is_dir():
        state = (
            "is not a folder" if isinstance(directory, Path) and directory.exists() else "not found"
        )
        return ThemeSet((), (f"theme directory {directory} {state}",))
    try:
        files = sorted(
            (entry for entry in directory.iterdir() if entry.name.endswith(".yaml")),
            key=lambda entry: entry.name,
        )
    except OSError as error:
        return ThemeSet((), (f"theme directory {directory} unreadable: {error}",))
    for path in files:
        try:
            with path.open("rb") as stream:
                raw = stream.read(MAX_THEME_BYTES + 1)
            if len(raw) > MAX_THEME_BYTES:
                raise ValueError(f"larger than {MAX_THEME_BYTES} bytes")
            data = yaml.safe_load(raw.decode("utf-8"))
            entries.append(LoadedTheme(parse_theme(data), source, str(path)))
        except yaml.MarkedYAMLError as error:
            line = error.problem_mark.line + 1 if error.problem_mark is not None else "?"
            problems.append(f"theme file {path} skipped: line {line}: {error.problem}")
        except (OSError, UnicodeDecodeError, yaml.YAMLError, ValueError) as error:
            problems.append(f"theme file {path} skipped: {error}")
    return ThemeSet(tuple(entries), tuple(problems))


def discover_themes(theme_dir: Path | None = None) -> ThemeSet:
    """Bundled themes, then the user's, then `theme_dir`'s; a later theme replaces a same name.

    The user's folder is optional; a `theme_dir` asked for on the command line must exist.
    """
    if theme_dir is not None and not theme_dir.is_dir():
        raise BadInput(f"theme directory {theme_dir} not found (--theme-dir)")
    layers = [load_themes(bundled_themes(), BUNDLED)]
    user = user_themes_dir()
    if user.exists():
        layers.append(load_themes(user, USER))
    if theme_dir is not None:
        layers.append(load_themes(theme_dir, THEME_DIR))
    by_name: dict[str, LoadedTheme] = {}
    for layer in layers:
        by_name.update((entry.theme.name, entry) for entry in layer.entries)
    entries = tuple(by_name[name] for name in sorted(by_name))
    return ThemeSet(entries, tuple(problem for layer in layers for problem in layer.problems))
