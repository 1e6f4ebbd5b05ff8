"""Copy private files into a container with `put_archive`: the bytes travel in the API body only.

Never as exec arguments: Docker records every exec's command line in its events
(`exec_create: sh -c ...`) and keeps it in the exec's inspect data, where anyone
who can read the engine can find it. The archive's members carry the mode (0600
by default) and owner (root) that the files are extracted with.
"""

from __future__ import annotations

import io
import tarfile
import time
from collections.abc import Mapping

from lbtui.core.docker.errors import translated
from lbtui.core.docker.exec import ExecGateway

#: Mode of a file that holds a secret (the stats password is in every haproxy.cfg).
PRIVATE_MODE = 0o600
#: Mode of the files apply copies into a created LB before its start: its image's user
#: must read them, and lbtui cannot chown to that user before the container runs.
READABLE_MODE = 0o644


def file_archive(files: Mapping[str, bytes], mode: int = PRIVATE_MODE) -> bytes:
    """A tar of absolute path -> bytes, every member root-owned with `mode`."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path, data in files.items():
            info = tarfile.TarInfo(path.lstrip("/"))
            info.size = len(data)
            info.mode = mode
            info.uid = info.gid = 0
            info.mtime = int(time.time())
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def put_private_files(
    gateway: ExecGateway,
    host: str,
    container: str,
    files: Mapping[str, bytes],
    mode: int = PRIVATE_MODE,
) -> None:
    """Copy files into a running container, readable by root only (by default)."""
    with translated(gateway.host(host), f"copy {', '.join(files)} into {container}"):
        gateway.client(host).api.put_archive(container, "/", file_archive(files, mode))
