"""The lab's images, built offline from the machine's own binaries.

Each rootfs is a tar made in memory and imported with `docker import`'s
changes (CMD, ENV, LABEL). The label carries a digest of the inputs (the
binaries' hashes and the recipe's version), so an image is rebuilt only when
it is missing or its inputs changed.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import docker
from docker.errors import APIError, DockerException, ImageNotFound
from requests.exceptions import RequestException

from lbtui.core.errors import LabError
from lbtui.core.faults.model import DEFAULT_HELPER_IMAGE
from lbtui.lab.plan import HostPlan, LabPlan
from lbtui.lab.status import engine_client
from lbtui.lab.steps import Steps
from lbtui.lab.system import run, which

RECIPE_VERSION = "1"
DIGEST_LABEL = "org.lbtui.lab.digest"
WEB_IMAGE = "lbtui/web:lab"
#: The same web server under a second tag whose page adds `version v2`: what a rollout
#: test switches to, telling old tasks' answers from new ones.
WEB_IMAGE_V2 = "lbtui/web:lab-v2"
WEB_VERSION_ENV = "LBTUI_WEB_VERSION"
HAPROXY_IMAGE = "lbtui/haproxy:lab"
FAULT_HELPER_IMAGE = DEFAULT_HELPER_IMAGE
#: The helper's own binaries; busybox must not shadow them with its applets of these names.
HELPER_TOOLS = ("iptables", "tc", "ip")
HAPROXY_CONFIG_DIR = "usr/local/etc/haproxy"
IMPORT_TIMEOUT = 120
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

WEB_START = """\
#!/bin/sh
# lbtui/web:lab: a page saying which container served it.
name="${LBTUI_SERVER_NAME:-$(hostname)}"
mkdir -p /www
printf 'served by %s\\n' "$name" > /www/index.html
if [ -n "${LBTUI_WEB_VERSION:-}" ]; then
  printf 'version %s\\n' "$LBTUI_WEB_VERSION" >> /www/index.html
fi
# sh as PID 1 so that `docker stop` ends it at once instead of after its timeout.
trap 'kill "$pid" 2>/dev/null; exit 0' TERM INT
httpd -f -p "${PORT:-80}" -h /www &
pid=$!
wait "$pid"
"""
NSSWITCH = "hosts: files dns\n"


@dataclass(frozen=True)
class Entry:
    """One member of a rootfs: a file (from disk or bytes), a directory or a symlink."""

    path: str
    source: Path | None = None
    data: bytes | None = None
    link: str | None = None
    mode: int = 0o755
    is_dir: bool = False


@dataclass(frozen=True)
class Recipe:
    """How to make one image: its rootfs entries and its `docker import` changes."""

    tag: str
    entries: tuple[Entry, ...]
    changes: tuple[str, ...]
    digest: str

    def import_changes(self) -> list[str]:
        """The changes to import with, the digest label included."""
        return [*self.changes, f"LABEL {DIGEST_LABEL}={self.digest}"]


def _file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def recipe_digest(tag: str, entries: tuple[Entry, ...], changes: tuple[str, ...]) -> str:
    """A digest of everything an image is made from."""
    h = hashlib.sha256()
    h.update(f"{RECIPE_VERSION}\0{tag}\0".encode())
    for change in changes:
        h.update(f"change\0{change}\0".encode())
    for entry in sorted(entries, key=lambda e: e.path):
        if entry.source is not None:
            content = _file_hash(entry.source)
        elif entry.data is not None:
            content = hashlib.sha256(entry.data).hexdigest()
        else:
            content = f"link:{entry.link}" if entry.link else "dir"
        h.update(f"{entry.path}\0{entry.mode:o}\0{content}\0".encode())
    return h.hexdigest()


def make_recipe(tag: str, entries: list[Entry], changes: list[str]) -> Recipe:
    """A recipe with its digest computed."""
    frozen, frozen_changes = tuple(entries), tuple(changes)
    return Recipe(tag, frozen, frozen_changes, recipe_digest(tag, frozen, frozen_changes))


def parse_ldd(output: str) -> list[str]:
    """The library paths `ldd` names (the loader included, the vDSO left out)."""
    paths = []
    for line in output.splitlines():
        words = line.split()
        if "=>" in words:
            target = words[words.index("=>") + 1] if words.index("=>") + 1 < len(words) else ""
            if target.startswith("/"):
                paths.append(target)
        elif words and words[0].startswith("/"):
            paths.append(words[0])
    return paths


def _base(busybox: Path, applets: list[str]) -> list[Entry]:
    entries = [Entry(d, is_dir=True) for d in ("bin", "etc", "tmp", "proc", "sys", "dev", "run")]
    entries.append(Entry("bin/busybox", source=busybox))
    entries += [Entry(f"bin/{a}", link="busybox") for a in applets if a != "busybox"]
    entries.append(Entry("etc/nsswitch.conf", data=NSSWITCH.encode(), mode=0o644))
    return entries


def web_recipe(busybox: Path, applets: list[str], version: str | None = None) -> Recipe:
    """`lbtui/web:lab`: busybox httpd and a start script; `version` makes `lbtui/web:lab-v2`."""
    entries = [
        *_base(busybox, applets),
        Entry("www", is_dir=True),
        Entry("start.sh", data=WEB_START.encode()),
    ]
    changes = [f"ENV {PATH_ENV}", "EXPOSE 80", 'CMD ["/bin/sh", "/start.sh"]']
    if version is None:
        return make_recipe(WEB_IMAGE, entries, changes)
    return make_recipe(WEB_IMAGE_V2, entries, [*changes, f"ENV {WEB_VERSION_ENV}={version}"])


def haproxy_recipe(
    haproxy: Path, libraries: list[str], busybox: Path, applets: list[str]
) -> Recipe:
    """`lbtui/haproxy:lab`: the system's HAProxy, its libraries and busybox for debugging."""
    entries = _base(busybox, applets)
    entries.append(Entry("usr/sbin/haproxy", source=haproxy))
    # Each library at the path ldd names, dereferenced: the loader finds it there.
    entries += [Entry(lib.lstrip("/"), source=Path(lib).resolve()) for lib in libraries]
    entries += [Entry(d, is_dir=True) for d in (HAPROXY_CONFIG_DIR, "var/lib/haproxy")]
    cmd = json.dumps(["haproxy", "-W", "-db", "-f", f"/{HAPROXY_CONFIG_DIR}/haproxy.cfg"])
    changes = [f"ENV {PATH_ENV}", f"CMD {cmd}"]
    return make_recipe(HAPROXY_IMAGE, entries, changes)


def fault_helper_recipe(
    tools: dict[str, Path],
    libraries: list[str],
    extensions: list[Path],
    busybox: Path,
    applets: list[str],
) -> Recipe:
    """`lbtui/fault-helper:lab`: iptables, tc and ip with their libraries, busybox for `sleep`.

    It runs for a few seconds sharing a target's network namespace (see
    `lbtui.core.faults.netns`); `tools` maps each tool's name to its real binary
    (iptables is the xtables multi-binary, which acts by the name it is called with).
    """
    entries = _base(busybox, [a for a in applets if a not in HELPER_TOOLS])
    for name, binary in sorted(tools.items()):
        entries.append(Entry(f"usr/sbin/{binary.name}", source=binary))
        if binary.name != name:
            entries.append(Entry(f"usr/sbin/{name}", link=binary.name))
    entries += [Entry(lib.lstrip("/"), source=Path(lib).resolve()) for lib in libraries]
    # iptables loads its matches (comment, statistic) from this directory at run time.
    entries += [Entry(str(ext).lstrip("/"), source=ext.resolve()) for ext in extensions]
    changes = [f"ENV {PATH_ENV}", 'CMD ["sleep", "60"]']
    return make_recipe(FAULT_HELPER_IMAGE, entries, changes)


def _helper_inputs() -> tuple[dict[str, Path], list[str], list[Path]]:
    tools: dict[str, Path] = {}
    for tool in HELPER_TOOLS:
        found = which(tool)
        if found is None:
            raise LabError(f"{tool} is missing: apt-get install iptables iproute2")
        tools[tool] = Path(found).resolve()
    libraries = sorted(
        {lib for binary in tools.values() for lib in parse_ldd(run(["ldd", str(binary)]).stdout)}
    )
    xtables = next(
        (Path(lib).resolve().parent / "xtables" for lib in libraries if "libxtables" in lib), None
    )
    if xtables is None or not xtables.is_dir():
        raise LabError("iptables' extension directory (xtables) was not found")
    return tools, libraries, sorted(xtables.glob("*.so"))


@lru_cache(maxsize=1)
def lab_recipes() -> tuple[Recipe, ...]:
    """Every recipe, from this machine's binaries."""
    busybox_path, haproxy_path = which("busybox"), which("haproxy")
    if busybox_path is None or haproxy_path is None:
        raise LabError("busybox or haproxy is missing: apt-get install haproxy busybox-static")
    busybox, haproxy = Path(busybox_path).resolve(), Path(haproxy_path).resolve()
    applets = run([str(busybox), "--list"]).stdout.split()
    libraries = parse_ldd(run(["ldd", str(haproxy)]).stdout)
    tools, helper_libraries, extensions = _helper_inputs()
    return (
        web_recipe(busybox, applets),
        web_recipe(busybox, applets, version="v2"),
        haproxy_recipe(haproxy, libraries, busybox, applets),
        fault_helper_recipe(tools, helper_libraries, extensions, busybox, applets),
    )


def _parents(path: str) -> list[str]:
    parts = path.split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def render_tar(recipe: Recipe) -> bytes:
    """The recipe's rootfs as an uncompressed tar."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        written: set[str] = set()

        def add_dir(path: str) -> None:
            if path in written:
                return
            info = tarfile.TarInfo(path)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(info)
            written.add(path)

        for entry in recipe.entries:
            for parent in _parents(entry.path):
                add_dir(parent)
            if entry.is_dir:
                add_dir(entry.path)
                continue
            info = tarfile.TarInfo(entry.path)
            info.mode = entry.mode
            if entry.link is not None:
                info.type, info.linkname = tarfile.SYMTYPE, entry.link
                tar.addfile(info)
            else:
                data = entry.data if entry.data is not None else _read(entry.source)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            written.add(entry.path)
    return buffer.getvalue()


def _read(source: Path | None) -> bytes:
    assert source is not None
    return source.read_bytes()


def _current(client: docker.DockerClient, recipe: Recipe) -> tuple[bool, str | None]:
    """(up to date, id of the image under the tag if any)."""
    try:
        image = client.images.get(recipe.tag)
    except ImageNotFound:
        return False, None
    return (image.labels or {}).get(DIGEST_LABEL) == recipe.digest, image.id


def _import(client: docker.DockerClient, recipe: Recipe, tar: bytes, old_id: str | None) -> None:
    repository, tag = recipe.tag.rsplit(":", 1)
    client.api.import_image_from_data(
        tar, repository=repository, tag=tag, changes=recipe.import_changes()
    )
    if old_id is not None:
        try:
            client.images.remove(old_id)
        except APIError as error:
            # A container still uses the old image: it stays until that container goes.
            if error.status_code != 409:
                raise


def ensure_images(plan: LabPlan, steps: Steps) -> None:
    """Import each image into each host where it is missing or out of date."""
    recipes = lab_recipes()
    tars: dict[str, bytes] = {}
    tar_lock = threading.Lock()

    def tar_of(recipe: Recipe) -> bytes:
        with tar_lock:
            if recipe.tag not in tars:
                tars[recipe.tag] = render_tar(recipe)
            return tars[recipe.tag]

    def on_host(host: HostPlan) -> None:
        with closing(engine_client(host, timeout=IMPORT_TIMEOUT)) as client:
            for recipe in recipes:
                try:
                    current, old_id = _current(client, recipe)
                    if current:
                        steps.skip("import", f"image {recipe.tag}", host.name, detail="current")
                        continue
                    with steps.step(
                        "import",
                        f"image {recipe.tag}",
                        host.name,
                        detail=f"digest {recipe.digest[:12]}",
                    ):
                        _import(client, recipe, tar_of(recipe), old_id)
                except (DockerException, RequestException) as error:
                    raise LabError(
                        f"could not import {recipe.tag} into {host.name}: {error}"
                    ) from error

    with ThreadPoolExecutor(max_workers=len(plan.hosts)) as pool:
        futures = [pool.submit(on_host, host) for host in plan.hosts]
    for future in futures:
        future.result()
