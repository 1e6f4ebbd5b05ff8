"""Stats-page credentials of a VIP: from the environment, else generated once and stored 0600.

A stored password file must belong to the user running lbtui and be readable by
nobody else (mode 0600 or narrower); otherwise it is refused, never silently fixed.
The password never lives in the topology file and is never printed or logged:
`StatsCredentials` hides it from `repr()`, and errors name the variable or the
file, never the value.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lbtui.core.errors import BadInput, RuntimeFailure
from lbtui.core.topology.model import Topology, Vip

#: Bytes of randomness in a generated password (token_urlsafe: about 1.3 chars per byte).
GENERATED_PASSWORD_BYTES = 24

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class StatsCredentials:
    """User and password of a VIP's stats page; repr() never shows the password."""

    user: str
    password: str = field(repr=False)

    def __repr__(self) -> str:
        return f"StatsCredentials(user={self.user!r}, password='***')"

    __str__ = __repr__


def default_store_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """`$XDG_STATE_HOME/lbtui`, or `~/.local/state/lbtui` when it is unset."""
    state_home = environ.get("XDG_STATE_HOME", "")
    if state_home and Path(state_home).is_absolute():
        return Path(state_home) / "lbtui"
    home = environ.get("HOME") or str(Path.home())
    return Path(home) / ".local" / "state" / "lbtui"


def password_file(topology: Topology, vip: Vip, store_dir: Path) -> Path:
    """Where the generated password of `vip` is stored under `store_dir`."""
    for what, name in (("topology name", topology.name), ("VIP name", vip.name)):
        if not _SAFE_NAME.match(name):
            raise BadInput(
                f"{what} {name!r} cannot name a credentials file: "
                "use letters, digits, '_', '.', '-'"
            )
    return store_dir / topology.name / f"{vip.name}.stats-password"


def resolve_stats_credentials(
    topology: Topology,
    vip: Vip,
    environ: Mapping[str, str] = os.environ,
    store_dir: Path | None = None,
) -> StatsCredentials:
    """The VIP's stats credentials: the env variable if set, else the stored (or new) password."""
    user = _checked_user(vip)
    env_name = vip.stats.password_env
    if env_name:
        from_env = environ.get(env_name, "")
        if from_env:
            _check_password(from_env, f"environment variable {env_name}")
            return StatsCredentials(user, from_env)
    path = password_file(topology, vip, store_dir or default_store_dir(environ))
    return StatsCredentials(user, _stored_or_new_password(path))


def check_stats_credentials(
    topology: Topology,
    vip: Vip,
    environ: Mapping[str, str] = os.environ,
    store_dir: Path | None = None,
) -> str:
    """Check what `resolve_stats_credentials` would use, writing nothing; where it comes from.

    A stored password is read (and refused) exactly as on use; a password still to be
    generated only needs a store that can be created, which is checked, not done.
    """
    _checked_user(vip)
    env_name = vip.stats.password_env
    if env_name and environ.get(env_name, ""):
        _check_password(environ[env_name], f"environment variable {env_name}")
        return f"environment variable {env_name}"
    path = password_file(topology, vip, store_dir or default_store_dir(environ))
    unset = f"{env_name} is not set, so " if env_name else ""
    if os.path.lexists(path):
        _read_password(path)
        return f"{unset}the password stored in {path}"
    _check_creatable(path)
    return f"{unset}a password generated on the first apply and stored in {path}"


def _checked_user(vip: Vip) -> str:
    user = vip.stats.user
    if not user or ":" in user or _CONTROL.search(user) or " " in user:
        raise BadInput(
            f"vips.{vip.name}.stats.user {user!r}: must be non-empty, without ':', spaces "
            "or control characters"
        )
    return user


def _check_creatable(path: Path) -> None:
    """The password file could be created: its nearest existing folder is one we may write."""
    existing = path.parent
    while not os.path.lexists(existing) and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise RuntimeFailure(
            f"cannot store the stats password in {path}: {existing} is not a directory"
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise RuntimeFailure(
            f"cannot store the stats password in {path}: {existing} is not writable"
        )


def _check_password(password: str, origin: str) -> None:
    if _CONTROL.search(password):
        raise BadInput(f"the stats password from {origin} contains control characters")


def _stored_or_new_password(path: Path) -> str:
    existing = _read_password(path)
    if existing is not None:
        return existing
    _make_private_dirs(path.parent)
    new = secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(new + "\n")
        # link() refuses to replace: if another run stored a password first, that one wins.
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    except OSError as exc:
        raise RuntimeFailure(f"cannot store the stats password in {path}: {exc.strerror}") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    stored = _read_password(path)
    if stored is None:
        raise RuntimeFailure(f"the stats password file {path} vanished while it was written")
    return stored


def _read_password(path: Path) -> str | None:
    try:
        info = path.lstat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise RuntimeFailure(f"cannot read the stats password file {path}: {exc.strerror}") from exc
    if not stat.S_ISREG(info.st_mode):
        raise RuntimeFailure(f"the stats password file {path} is not a regular file; remove it")
    _check_private(path, info)
    try:
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise RuntimeFailure(f"cannot read the stats password file {path}: {exc}") from exc
    if not text:
        raise RuntimeFailure(f"the stats password file {path} is empty; remove it to generate one")
    _check_password(text, f"file {path}")
    return text


def _check_private(path: Path, info: os.stat_result) -> None:
    """Refuse a password file someone else owns, or that others may read or write."""
    if info.st_uid != os.geteuid():
        raise RuntimeFailure(
            f"the stats password file {path} belongs to uid {info.st_uid}, not to you "
            f"(uid {os.geteuid()}): lbtui does not use a password someone else controls. "
            "Remove the file (a new password is generated) or give it to your user"
        )
    if info.st_mode & 0o077:
        raise RuntimeFailure(
            f"the stats password file {path} has mode {stat.S_IMODE(info.st_mode):04o}: other "
            f"users can read it. Run `chmod 600 {path}`, and remove the file to get a new "
            "password if someone may have read it"
        )


def _make_private_dirs(directory: Path) -> None:
    missing: list[Path] = []
    current = directory
    while not current.exists():
        missing.append(current)
        current = current.parent
    try:
        for created in reversed(missing):
            try:
                created.mkdir(mode=0o700)
            except FileExistsError:
                continue  # another run created it at the same moment
            # mkdir's mode is filtered by the umask; the store must be private regardless.
            created.chmod(0o700)
    except OSError as exc:
        raise RuntimeFailure(f"cannot create the credentials directory {directory}: {exc}") from exc
