#!/usr/bin/env bash
# Install everything lbtui needs on Debian 12, idempotently: system packages
# (Docker engine, HAProxy, busybox, iptables, openssl, the ssh client for
# ssh:// hosts) and a virtualenv in .venv with lbtui and its test tools.
# `--test` adds what only the tests use: sshd, which the ssh:// test runs
# privately inside a lab namespace. Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

SYSTEM_PACKAGES=(docker.io haproxy busybox-static iptables iproute2 util-linux openssl
                 openssh-client python3 python3-venv python3-pip)
if [[ ${1:-} == --test ]]; then
    SYSTEM_PACKAGES+=(openssh-server)
fi

if [[ $EUID -ne 0 ]]; then
    echo "setup: run as root (the lab starts Docker engines in network namespaces)" >&2
    exit 1
fi

missing=()
for package in "${SYSTEM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$package")
done
if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [[ ! -x .venv/bin/python ]]; then
    echo "setup: creating .venv"
    python3 -m venv .venv
fi
stamp=.venv/.lbtui-installed
if [[ ! -f $stamp || pyproject.toml -nt $stamp ]]; then
    echo "setup: installing lbtui and its test tools into .venv"
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e '.[test]'
    touch "$stamp"
fi
