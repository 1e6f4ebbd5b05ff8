"""Themes are data: YAML files in `themes/` become `textual.theme.Theme` objects.

A broken file is reported and skipped; it never stops the app from starting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from textual.theme import Theme

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


def default_themes_dir() -> Path:
    """`themes/` next to the package (a source checkout or an editable install)."""
    return Path(__file__).resolve().parent.parent.parent / "themes"


@dataclass(frozen=True)
class ThemeSet:
    """The themes that loaded, and one message per file that did not."""

    themes: tuple[Theme, ...] = ()
    problems: tuple[str, ...] = field(default=())

    @property
    def names(self) -> list[str]:
        """Names of the loaded themes."""
        return [theme.name for theme in self.themes]


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


def load_themes(directory: Path) -> ThemeSet:
    """Every `*.yaml` theme in `directory`, in name order; broken ones become problems."""
    themes: list[Theme] = []
    problems: list[str] = []
    if not directory.is_dir():
        return ThemeSet((), (f"theme directory {directory} not found",))
    for path in sorted(directory.glob("*.yaml")):
        try:
            if path.stat().st_size > MAX_THEME_BYTES:
                raise ValueError(f"larger than {MAX_THEME_BYTES} bytes")
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            themes.append(parse_theme(data))
        except yaml.MarkedYAMLError as error:
            line = error.problem_mark.line + 1 if error.problem_mark is not None else "?"
            problems.append(f"theme file {path} skipped: line {line}: {error.problem}")
        except (OSError, UnicodeDecodeError, yaml.YAMLError, ValueError) as error:
            problems.append(f"theme file {path} skipped: {error}")
    return ThemeSet(tuple(themes), tuple(problems))
