"""Offline image recipes: what goes into each rootfs, and when an image counts as out of date."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from lbtui.lab.images import (
    DIGEST_LABEL,
    HAPROXY_IMAGE,
    WEB_IMAGE,
    WEB_IMAGE_V2,
    WEB_VERSION_ENV,
    fault_helper_recipe,
    haproxy_recipe,
    parse_ldd,
    render_tar,
    web_recipe,
)

LDD = """\
\tlinux-vdso.so.1 (0x00007ffd)
\tlibssl.so.3 => /lib/x86_64-linux-gnu/libssl.so.3 (0x00007eff)
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007eff)
\t/lib64/ld-linux-x86-64.so.2 (0x00007eff)
\tlibmissing.so.1 => not found
"""


def test_ldd_output_gives_every_library_and_the_loader() -> None:
    assert parse_ldd(LDD) == [
        "/lib/x86_64-linux-gnu/libssl.so.3",
        "/lib/x86_64-linux-gnu/libc.so.6",
        "/lib64/ld-linux-x86-64.so.2",
    ]


@pytest.fixture
def binaries(tmp_path: Path) -> dict[str, Path]:
    files = {}
    for name in ("busybox", "haproxy", "libfoo.so.1"):
        path = tmp_path / name
        path.write_bytes(f"binary {name}".encode())
        files[name] = path
    return files


def _members(data: bytes) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        return {member.name: member for member in tar.getmembers()}


def test_web_rootfs_has_busybox_applets_and_the_start_script(binaries: dict[str, Path]) -> None:
    recipe = web_recipe(binaries["busybox"], ["sh", "httpd", "hostname"])
    members = _members(render_tar(recipe))
    assert members["bin/busybox"].isfile()
    assert members["bin/httpd"].issym() and members["bin/httpd"].linkname == "busybox"
    assert members["start.sh"].isfile()
    assert members["www"].isdir()
    assert recipe.tag == WEB_IMAGE
    assert 'CMD ["/bin/sh", "/start.sh"]' in recipe.changes


def test_web_start_script_names_the_server_and_serves_on_port(binaries: dict[str, Path]) -> None:
    recipe = web_recipe(binaries["busybox"], ["sh"])
    with tarfile.open(fileobj=io.BytesIO(render_tar(recipe))) as tar:
        member = tar.extractfile("start.sh")
        assert member is not None
        script = member.read().decode()
    assert "LBTUI_SERVER_NAME:-$(hostname)" in script
    assert 'httpd -f -p "${PORT:-80}" -h /www' in script


def test_haproxy_rootfs_places_libraries_where_ldd_found_them(
    binaries: dict[str, Path], tmp_path: Path
) -> None:
    lib = str(binaries["libfoo.so.1"])
    recipe = haproxy_recipe(binaries["haproxy"], [lib], binaries["busybox"], ["sh"])
    members = _members(render_tar(recipe))
    assert members["usr/sbin/haproxy"].isfile()
    assert members[lib.lstrip("/")].isfile()
    assert members["usr/local/etc/haproxy"].isdir()
    assert members["var/lib/haproxy"].isdir()
    assert members["bin/sh"].issym()
    cmd = next(change for change in recipe.changes if change.startswith("CMD "))
    assert json.loads(cmd[4:]) == [
        "haproxy",
        "-W",
        "-db",
        "-f",
        "/usr/local/etc/haproxy/haproxy.cfg",
    ]
    assert recipe.tag == HAPROXY_IMAGE


def test_parent_directories_come_before_their_files(binaries: dict[str, Path]) -> None:
    recipe = haproxy_recipe(binaries["haproxy"], [], binaries["busybox"], [])
    with tarfile.open(fileobj=io.BytesIO(render_tar(recipe))) as tar:
        names = tar.getnames()
    assert names.index("usr") < names.index("usr/sbin") < names.index("usr/sbin/haproxy")


def test_digest_is_stable_and_follows_the_binaries(binaries: dict[str, Path]) -> None:
    first = web_recipe(binaries["busybox"], ["sh"]).digest
    assert web_recipe(binaries["busybox"], ["sh"]).digest == first
    binaries["busybox"].write_bytes(b"a newer busybox")
    assert web_recipe(binaries["busybox"], ["sh"]).digest != first


def test_digest_follows_the_applet_list_and_differs_per_image(binaries: dict[str, Path]) -> None:
    web = web_recipe(binaries["busybox"], ["sh"])
    assert web_recipe(binaries["busybox"], ["sh", "ls"]).digest != web.digest
    assert haproxy_recipe(binaries["haproxy"], [], binaries["busybox"], ["sh"]).digest != web.digest


def test_the_digest_travels_as_a_label(binaries: dict[str, Path]) -> None:
    recipe = web_recipe(binaries["busybox"], ["sh"])
    assert f"LABEL {DIGEST_LABEL}={recipe.digest}" in recipe.import_changes()


def test_fault_helper_has_its_tools_and_busybox_does_not_shadow_them(
    binaries: dict[str, Path], tmp_path: Path
) -> None:
    multi = tmp_path / "xtables-nft-multi"
    multi.write_bytes(b"binary xtables")
    extension = tmp_path / "libxt_statistic.so"
    extension.write_bytes(b"binary statistic")
    tools = {"iptables": multi, "tc": binaries["haproxy"], "ip": binaries["busybox"]}
    recipe = fault_helper_recipe(
        tools, [str(binaries["libfoo.so.1"])], [extension], binaries["busybox"], ["sh", "tc", "ip"]
    )
    members = _members(render_tar(recipe))
    assert recipe.tag == "lbtui/fault-helper:lab"
    assert members["usr/sbin/iptables"].issym()
    assert members["usr/sbin/iptables"].linkname == "xtables-nft-multi"
    assert members["usr/sbin/xtables-nft-multi"].isfile()
    assert "bin/tc" not in members and "bin/ip" not in members
    assert members["bin/sh"].issym()
    assert str(extension).lstrip("/") in members


def test_the_v2_web_image_is_the_same_server_saying_its_version(
    binaries: dict[str, Path],
) -> None:
    v1 = web_recipe(binaries["busybox"], ["sh"])
    v2 = web_recipe(binaries["busybox"], ["sh"], version="v2")
    assert (v1.tag, v2.tag) == (WEB_IMAGE, WEB_IMAGE_V2)
    assert v1.entries == v2.entries
    assert v2.changes == (*v1.changes, f"ENV {WEB_VERSION_ENV}=v2")
    assert v1.digest != v2.digest
    with tarfile.open(fileobj=io.BytesIO(render_tar(v2))) as tar:
        member = tar.extractfile("start.sh")
        assert member is not None
        script = member.read().decode()
    assert "printf 'version %s\\n' \"$LBTUI_WEB_VERSION\"" in script
