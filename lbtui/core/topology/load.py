"""Topology files: YAML in, the frozen `model` dataclasses out, or every problem at once.

    load_topology(path)            read and validate a file
    parse_topology(text, filename) validate text (the file name only labels problems)

Both raise `TopologyInvalid` listing each problem with file, line, column and
field path. Nothing here contacts a Docker host.
"""

from __future__ import annotations

import dataclasses
import os
import stat
from pathlib import Path

from yaml.nodes import MappingNode, Node

from lbtui.core.errors import BadInput, Problem, TopologyInvalid
from lbtui.core.topology.model import Host, Topology, default_topology_id
from lbtui.core.topology.reader import TopologyReader
from lbtui.core.topology.yaml_guard import MAX_BYTES, YamlRefused, compose, unknown_tags
from lbtui.core.topology.yaml_nodes import Reader, short_tag

__all__ = ["load_topology", "parse_topology", "require_tls_files"]


def load_topology(path: str | Path, *, check_files: bool = False) -> Topology:
    """Read and validate a topology file; `check_files` also requires the TLS files to exist."""
    file = Path(path)
    data = _read_bounded(file)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = error.object[: error.start].count(b"\n") + 1
        column = error.start - error.object.rfind(b"\n", 0, error.start)
        problem = Problem(str(file), line, column, "", f"file is not UTF-8 text ({error.reason})")
        raise TopologyInvalid([problem]) from error
    # As open() in text mode would: CRLF and lone CR line ends become LF.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    topology = parse_topology(
        text, str(file), base_dir=file.absolute().parent, check_files=check_files
    )
    return dataclasses.replace(topology, source=file.absolute())


def _read_bounded(file: Path) -> bytes:
    """The file's bytes, refusing anything but a regular file of at most MAX_BYTES.

    A FIFO would block forever and /dev/zero would never end, and opening some
    devices has side effects: the kind is checked before opening, again on the
    open descriptor (the path may have changed in between), and at most
    MAX_BYTES + 1 bytes are ever read.
    """
    try:
        _require_regular(file, os.stat(file).st_mode)
        fd = os.open(file, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as handle:
            status = os.fstat(handle.fileno())
            _require_regular(file, status.st_mode)
            data = b"" if status.st_size > MAX_BYTES else handle.read(MAX_BYTES + 1)
    except FileNotFoundError as error:
        raise BadInput(f"topology file {file} does not exist") from error
    except OSError as error:
        raise BadInput(f"cannot read topology file {file}: {error.strerror}") from error
    if status.st_size > MAX_BYTES or len(data) > MAX_BYTES:
        # A file growing while read (or a size the kernel does not know) is caught by the read.
        size = f"{status.st_size}" if status.st_size > MAX_BYTES else f"more than {MAX_BYTES}"
        message = f"file is {size} bytes; the limit is {MAX_BYTES}"
        raise TopologyInvalid([Problem(str(file), 1, 1, "", message)])
    return data


_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _require_regular(file: Path, mode: int) -> None:
    if stat.S_ISREG(mode):
        return
    kind = next((name for test, name in _KINDS if test(mode)), "something else")
    target = f" (a symlink to {os.path.realpath(file)})" if file.is_symlink() else ""
    raise BadInput(f"topology file {file}{target} is {kind}, not a regular file")


def parse_topology(
    text: str, filename: str, *, base_dir: Path | None = None, check_files: bool = False
) -> Topology:
    """Validate topology text; relative TLS paths resolve against `base_dir` (else the file's)."""
    folder = base_dir if base_dir is not None else Path(filename).absolute().parent
    try:
        root = compose(text, filename)
    except YamlRefused as refused:
        raise TopologyInvalid([refused.problem]) from refused
    if root is None:
        message = "file is empty; a topology needs at least 'name' and 'hosts'"
        raise TopologyInvalid([Problem(filename, 1, 1, "", message)])
    reader = Reader(filename)
    for node in unknown_tags(root):
        reader.problems.append(_at(filename, node, f"unsupported YAML tag '{short_tag(node.tag)}'"))
    if not isinstance(root, MappingNode):
        found = "a list" if isinstance(root.value, list) else f"'{root.value}'"
        reader.report(
            root, "", f"the file must be a mapping of keys (name, hosts, ...), found {found}"
        )
        raise TopologyInvalid(_sorted(reader.problems))
    topology = TopologyReader(reader, folder, check_files).read(root)
    if reader.problems or topology is None:
        raise TopologyInvalid(_sorted(reader.problems))
    if not topology.id:
        topology = dataclasses.replace(topology, id=default_topology_id(Path(filename)))
    return dataclasses.replace(topology, places=dict(reader.marks))


def require_tls_files(host: Host) -> None:
    """Raise `BadInput` naming the host and file when a TLS file it needs is missing."""
    if host.tls is None:
        return
    for role, path in (("ca", host.tls.ca), ("cert", host.tls.cert), ("key", host.tls.key)):
        if not path.is_file():
            raise BadInput(
                f"host {host.name}: TLS {role} file {path} does not exist "
                f"(hosts.{host.name}.tls.{role} in the topology)"
            )


def _at(filename: str, node: Node, message: str) -> Problem:
    return Problem(filename, node.start_mark.line + 1, node.start_mark.column + 1, "", message)


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.line, p.column))
