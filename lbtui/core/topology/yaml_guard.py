"""Turn YAML text into a node tree safely: size limit, alias-bomb and recursion guards, tags.

Composing (not constructing) keeps every node's line and column. Aliases are
not copied by the composer, but a walk follows them, so the tree's size once
aliases are followed is bounded before anyone walks it.
"""

from __future__ import annotations

from collections.abc import Iterator

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from lbtui.core.errors import Problem
from lbtui.core.topology.yaml_nodes import KNOWN_TAGS

#: Largest topology file accepted; real ones are a few kilobytes.
MAX_BYTES = 1024 * 1024
#: Largest number of nodes a document may expand to once aliases are followed.
MAX_NODES = 20_000
#: Deepest nesting of lists and mappings accepted.
MAX_DEPTH = 64


class YamlRefused(Exception):
    """The text could not be turned into a node tree; carries the one problem."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))


class _GuardedLoader(yaml.SafeLoader):
    """A safe loader that bounds nesting and remembers where aliases were used."""

    def __init__(self, stream: str, filename: str) -> None:
        super().__init__(stream)
        self.filename = filename
        self.alias_places: list[tuple[int, int]] = []
        """1-based (line, column) of each alias, in file order."""
        self.depth = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        mark = event.start_mark
        place: tuple[int, int] = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        if isinstance(event, yaml.AliasEvent):
            self.alias_places.append(place)
        # The composer recurses once per level: refuse deep nesting before Python's stack does.
        if self.depth >= MAX_DEPTH:
            message = f"nesting deeper than {MAX_DEPTH} levels; a topology needs fewer than 10"
            raise YamlRefused(Problem(self.filename, place[0], place[1], "", message))
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def compose(text: str, filename: str) -> Node | None:
    """Parse `text` into a node tree (None for an empty document), refusing bombs."""
    size = len(text.encode("utf-8", errors="replace"))
    if size > MAX_BYTES:
        raise YamlRefused(
            Problem(filename, 1, 1, "", f"file is {size} bytes; the limit is {MAX_BYTES} bytes")
        )
    try:
        loader = _GuardedLoader(text, filename)
    except yaml.reader.ReaderError as error:
        raise YamlRefused(_reader_problem(text, error, filename)) from error
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        raise YamlRefused(_syntax_problem(error, filename)) from error
    except yaml.YAMLError as error:
        raise YamlRefused(Problem(filename, 1, 1, "", f"YAML error: {error}")) from error
    finally:
        loader.dispose()
    if root is not None and loader.alias_places:
        _check_expansion(root, loader.alias_places[0], filename)
    return root


def _reader_problem(text: str, error: yaml.reader.ReaderError, filename: str) -> Problem:
    line = text.count("\n", 0, error.position) + 1
    column = error.position - text.rfind("\n", 0, error.position)
    message = f"character #x{error.character:04x} is not allowed in YAML; remove it"
    return Problem(filename, line, column, "", message)


def _syntax_problem(error: yaml.MarkedYAMLError, filename: str) -> Problem:
    mark = error.problem_mark or error.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    parts = [p for p in (error.context, error.problem) if p]
    message = "YAML syntax error: " + ", ".join(parts)
    if error.problem is not None and "'\\t'" in error.problem:
        message = "a tab character: YAML indents and separates with spaces only; use spaces"
    start = error.context_mark
    if start is not None and mark is not None and start.line != mark.line:
        message += f" (the construct began on line {start.line + 1})"
    return Problem(filename, line, column, "", message)


def _check_expansion(root: Node, first_alias: tuple[int, int], filename: str) -> None:
    """Refuse a tree that aliases expand beyond MAX_NODES nodes, or that contains itself."""

    def refuse(message: str) -> YamlRefused:
        return YamlRefused(Problem(filename, first_alias[0], first_alias[1], "", message))

    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    # Iterative post-order walk: chains of aliases can nest far deeper than the text does.
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            open_nodes.discard(key)
            sizes[key] = min(MAX_NODES + 1, 1 + sum(sizes[id(c)] for c in _children(node)))
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            raise refuse("recursive alias: an anchor refers to itself")
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)
    if sizes[id(root)] > MAX_NODES:
        raise refuse(
            f"aliases expand the document beyond {MAX_NODES} nodes (an alias bomb?); "
            "write the values out or use fewer nested aliases"
        )


def _children(node: Node) -> Iterator[Node]:
    if isinstance(node, SequenceNode):
        yield from node.value
    elif isinstance(node, MappingNode):
        for key, value in node.value:
            yield key
            yield value


def unknown_tags(root: Node) -> Iterator[Node]:
    """Nodes carrying a tag lbtui does not understand (`!!python/...`, `!custom`)."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.tag not in KNOWN_TAGS:
            yield node
        stack.extend(_children(node))
