"""Pull typed values out of located YAML nodes, collecting every problem with its place.

The topology loader walks `yaml.compose` nodes (see `yaml_guard`) rather than
plain Python objects so that each problem can name its line and column.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from lbtui.core.errors import Problem

TAG_STR = "tag:yaml.org,2002:str"
TAG_INT = "tag:yaml.org,2002:int"
TAG_FLOAT = "tag:yaml.org,2002:float"
TAG_BOOL = "tag:yaml.org,2002:bool"
TAG_NULL = "tag:yaml.org,2002:null"
TAG_MERGE = "tag:yaml.org,2002:merge"
TAG_TIMESTAMP = "tag:yaml.org,2002:timestamp"
TAG_MAP = "tag:yaml.org,2002:map"
TAG_SEQ = "tag:yaml.org,2002:seq"
KNOWN_TAGS = {
    TAG_STR,
    TAG_INT,
    TAG_FLOAT,
    TAG_BOOL,
    TAG_NULL,
    TAG_MERGE,
    TAG_TIMESTAMP,
    TAG_MAP,
    TAG_SEQ,
}
_DECIMAL = re.compile(r"[-+]?[0-9]+")
_BOOL_WORDS = {"true": True, "false": False}
_MAX_DIGITS = 18


def describe(node: Node) -> str:
    """How a node reads in a message: 'a list', "string 'x'", 'integer 3'."""
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    value = str(node.value)
    shown = value if len(value) <= 40 else value[:37] + "..."
    return {
        TAG_STR: f"string '{shown}'",
        TAG_INT: f"integer {shown}",
        TAG_FLOAT: f"number {shown}",
        TAG_BOOL: f"boolean '{shown}'",
        TAG_NULL: "an empty value",
        TAG_TIMESTAMP: f"date {shown}",
    }.get(node.tag, f"'{shown}' tagged {short_tag(node.tag)}")


def short_tag(tag: str) -> str:
    """A tag as written in YAML: `tag:yaml.org,2002:python/name` -> `!!python/name`."""
    prefix = "tag:yaml.org,2002:"
    return "!!" + tag[len(prefix) :] if tag.startswith(prefix) else tag


#: Up to this many choices, hints come from difflib's similarity ratio.
FUZZY_MAX_CHOICES = 200
#: Words longer than this get no hint (names are at most 63 characters).
HINT_MAX_LENGTH = 64


class Suggester:
    """ "Did you mean" over one set of names, cheap even when a file declares thousands.

    difflib compares the word with every choice, so a file with thousands of
    names and thousands of typos would take minutes. Above FUZZY_MAX_CHOICES
    names, hints come from an index of every name with one character deleted:
    one lookup per character of the word finds the names one edit away (a
    letter added, dropped, replaced, or two swapped).
    """

    def __init__(self, choices: Iterable[str]) -> None:
        """`choices` are the names a hint may propose."""
        self.names = sorted(choices)
        self.choices = [c for c in self.names if len(c) <= HINT_MAX_LENGTH]
        self._index: dict[str, str] | None = None

    def hint(self, word: str) -> str:
        """A "; did you mean 'x'?" hint for a likely typo of a choice, or ''."""
        if len(word) > HINT_MAX_LENGTH or not self.choices:
            return ""
        if len(self.choices) <= FUZZY_MAX_CHOICES:
            close = difflib.get_close_matches(word, self.choices, n=1, cutoff=0.6)
            return f"; did you mean '{close[0]}'?" if close else ""
        if self._index is None:
            self._index = {}
            for choice in self.choices:
                for variant in _one_deleted(choice):
                    self._index.setdefault(variant, choice)
        for variant in _one_deleted(word):
            found = self._index.get(variant)
            if found is not None and found != word:
                return f"; did you mean '{found}'?"
        return ""


def _one_deleted(word: str) -> list[str]:
    """The word itself, then the word with each one of its characters left out."""
    return [word, *(word[:i] + word[i + 1 :] for i in range(len(word)))]


def suggestion(word: str, choices: Iterable[str]) -> str:
    """A "; did you mean 'x'?" hint for a likely typo, or ''."""
    return Suggester(choices).hint(word)


def listing(names: Sequence[str], limit: int = 10) -> str:
    """Names joined by commas, the first `limit` of them and a count of the rest."""
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown} and {len(names) - limit} more"


def flatten(node: MappingNode, bad: list[Node] | None = None) -> list[tuple[Node, Node]]:
    """A mapping's entries with merge keys (`<<: *anchor`) resolved; explicit keys win.

    Merge sources that are not mappings are skipped and appended to `bad`.
    """
    explicit: list[tuple[Node, Node]] = []
    merged: list[tuple[Node, Node]] = []
    for key_node, value_node in node.value:
        if key_node.tag != TAG_MERGE:
            explicit.append((key_node, value_node))
            continue
        sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
        for source in sources:
            if isinstance(source, MappingNode):
                merged.extend(flatten(source, bad))
            elif bad is not None:
                bad.append(source)
    explicit_keys = {k.value for k, _ in explicit if isinstance(k, ScalarNode)}
    kept: list[tuple[Node, Node]] = []
    seen: set[str] = set()
    for key_node, value_node in merged:
        key = key_node.value if isinstance(key_node, ScalarNode) else None
        if key is None or (key not in explicit_keys and key not in seen):
            if key is not None:
                seen.add(key)
            kept.append((key_node, value_node))
    return kept + explicit


def join(path: str, key: str | int) -> str:
    """The dotted path of a child: `vips.x` + `servers` / `servers` + 1 -> `servers[1]`."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


T = TypeVar("T")

Validator = Callable[[str], str | None]
"""Checks a string value; returns what is wrong with it, or None."""


@dataclass
class Reader:
    """Pulls typed values out of nodes, recording every problem and every field's place."""

    filename: str
    problems: list[Problem] = field(default_factory=list)
    marks: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Line and column of each field read, by dotted path (for cross-field checks)."""
    _suggesters: dict[int, tuple[set[str], Suggester]] = field(default_factory=dict)

    def report(self, where: Node | tuple[int, int], path: str, message: str) -> None:
        """Record a problem at a node or at a (line, column) place."""
        if isinstance(where, Node):
            if where.tag not in KNOWN_TAGS:
                return  # `unknown_tags` reports the tag itself; its value cannot be judged
            line, column = where.start_mark.line + 1, where.start_mark.column + 1
        else:
            line, column = where
        self.problems.append(Problem(self.filename, line, column, path, message))

    def report_at(self, path: str, message: str) -> None:
        """Record a problem at a field already read (see `marks`)."""
        self.report(self.marks.get(path, (1, 1)), path, message)

    def remember(self, node: Node, path: str) -> None:
        """Note where a field's value sits in the file."""
        self.marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)

    def need(
        self, fields: dict[str, Node], key: str, path: str, read: Callable[[Node, str], T | None]
    ) -> T | None:
        """Read `fields[key]` with `read` if present; None if absent or wrong."""
        node = fields.get(key)
        return None if node is None else read(node, join(path, key))

    def opt(
        self,
        fields: dict[str, Node],
        key: str,
        path: str,
        read: Callable[[Node, str], T | None],
        default: T,
    ) -> T:
        """Read `fields[key]` with `read`, falling back to `default` if absent or wrong."""
        value = self.need(fields, key, path, read)
        return default if value is None else value

    def name(self, key_node: Node, path: str, rule: Validator) -> bool:
        """Check the name a mapping key gives an item; False after reporting."""
        problem = rule(str(key_node.value))
        if problem is not None:
            self.report(key_node, path, problem)
        return problem is None

    def reference(
        self, node: Node, path: str, value: str, kind: str, known: set[str] | None
    ) -> bool:
        """Report a reference to an undeclared item; `known` None means "cannot tell"."""
        if known is None or value in known:
            return True
        # One suggester per set of names: its index is built once, not once per typo.
        cached = self._suggesters.get(id(known))
        if cached is None or cached[0] is not known:
            cached = (known, Suggester(known))
            self._suggesters[id(known)] = cached
        hint = cached[1].hint(value)
        if not hint:
            hint = f"; declared: {listing(cached[1].names)}" if known else f"; no {kind}s declared"
        self.report(node, path, f"unknown {kind} '{value}'{hint}")
        return False

    def mapping(
        self,
        node: Node,
        path: str,
        *,
        allowed: Sequence[str],
        required: Sequence[str] = (),
        refused: dict[str, str] | None = None,
    ) -> dict[str, Node] | None:
        """The entries of a mapping node by key, after reporting bad, unknown and missing keys."""
        self.remember(node, path)
        if not isinstance(node, MappingNode) or node.tag != TAG_MAP:
            self.report(node, path, f"expected a mapping, found {describe(node)}")
            return None
        entries: dict[str, Node] = {}
        first_seen: dict[str, int] = {}
        for key_node, value_node in self._flatten(node, path):
            if not isinstance(key_node, ScalarNode) or key_node.tag != TAG_STR:
                self.report(key_node, path, f"keys must be strings, found {describe(key_node)}")
                continue
            key = key_node.value
            child = join(path, key)
            if key in first_seen:
                self.report(
                    key_node, child, f"duplicate key (first given on line {first_seen[key]})"
                )
                continue
            first_seen[key] = key_node.start_mark.line + 1
            if refused and key in refused:
                self.report(key_node, child, refused[key])
                continue
            if key not in allowed:
                allowed_list = ", ".join(allowed)
                hint = suggestion(key, allowed)
                message = f"unknown key{hint}" if hint else f"unknown key; allowed: {allowed_list}"
                self.report(key_node, child, message)
                continue
            entries[key] = value_node
        for key in required:
            if key not in entries and key not in first_seen:
                self.report(node, join(path, key), "required key is missing")
        return entries

    def names(self, node: Node, path: str) -> list[tuple[str, Node, Node]] | None:
        """The (name, key node, value node) entries of a mapping of named items."""
        self.remember(node, path)
        if not isinstance(node, MappingNode) or node.tag != TAG_MAP:
            self.report(node, path, f"expected a mapping of names, found {describe(node)}")
            return None
        items: list[tuple[str, Node, Node]] = []
        first_seen: dict[str, int] = {}
        for key_node, value_node in self._flatten(node, path):
            if not isinstance(key_node, ScalarNode) or key_node.tag not in (TAG_STR, TAG_INT):
                self.report(key_node, path, f"names must be strings, found {describe(key_node)}")
                continue
            name = key_node.value
            if name in first_seen:
                self.report(
                    key_node,
                    join(path, name),
                    f"duplicate name (first given on line {first_seen[name]})",
                )
                continue
            first_seen[name] = key_node.start_mark.line + 1
            self.remember(key_node, join(path, name) + "#key")
            items.append((name, key_node, value_node))
        return items

    def _flatten(self, node: MappingNode, path: str) -> list[tuple[Node, Node]]:
        """Entries with YAML merge keys (`<<: *anchor`) resolved, reporting bad merge sources."""
        bad: list[Node] = []
        entries = flatten(node, bad)
        for source in bad:
            self.report(source, path, f"'<<' merges a mapping, found {describe(source)}")
        return entries

    def is_null(self, node: Node) -> bool:
        """True for an empty value (`key:` with nothing after it, or `null`)."""
        return isinstance(node, ScalarNode) and node.tag == TAG_NULL

    def string(self, node: Node, path: str, check: Validator | None = None) -> str | None:
        """A string scalar, optionally checked; None after reporting a problem."""
        self.remember(node, path)
        if not isinstance(node, ScalarNode) or node.tag != TAG_STR:
            hint = "; quote it" if isinstance(node, ScalarNode) and node.tag != TAG_NULL else ""
            self.report(node, path, f"expected a string, found {describe(node)}{hint}")
            return None
        value: str = node.value
        if check is not None:
            problem = check(value)
            if problem is not None:
                self.report(node, path, problem)
                return None
        return value

    def integer(self, node: Node, path: str, low: int, high: int) -> int | None:
        """A decimal integer within [low, high]; None after reporting a problem."""
        self.remember(node, path)
        allowed = f"an integer from {low} to {high}"
        if not isinstance(node, ScalarNode) or node.tag != TAG_INT:
            hint = "; write it without quotes" if _is_quoted_number(node) else ""
            self.report(node, path, f"expected {allowed}, found {describe(node)}{hint}")
            return None
        if not _DECIMAL.fullmatch(node.value):
            self.report(node, path, f"expected {allowed} in decimal, found '{node.value}'")
            return None
        digits = node.value.lstrip("+-").lstrip("0")
        if len(digits) > _MAX_DIGITS:
            # int() refuses thousands of digits; no allowed range needs more than a few.
            message = f"a {len(digits)}-digit number is out of range; allowed: {low} to {high}"
            self.report(node, path, message)
            return None
        value = int(node.value)
        if not low <= value <= high:
            self.report(node, path, f"{value} is out of range; allowed: {low} to {high}")
            return None
        return value

    def boolean(self, node: Node, path: str) -> bool | None:
        """`true` or `false` (YAML 1.1 words like `yes`/`on` are refused as ambiguous)."""
        self.remember(node, path)
        if isinstance(node, ScalarNode) and node.tag == TAG_BOOL:
            word = node.value.lower()
            if word in _BOOL_WORDS:
                return _BOOL_WORDS[word]
        found = f"'{node.value}'" if isinstance(node, ScalarNode) and node.tag == TAG_BOOL else None
        self.report(node, path, f"expected true or false, found {found or describe(node)}")
        return None

    def sequence(self, node: Node, path: str) -> list[Node] | None:
        """The items of a list node; None after reporting a problem."""
        self.remember(node, path)
        if not isinstance(node, SequenceNode) or node.tag != TAG_SEQ:
            self.report(node, path, f"expected a list, found {describe(node)}")
            return None
        return list(node.value)


def _is_quoted_number(node: Node) -> bool:
    return (
        isinstance(node, ScalarNode)
        and node.tag == TAG_STR
        and bool(_DECIMAL.fullmatch(node.value))
    )
