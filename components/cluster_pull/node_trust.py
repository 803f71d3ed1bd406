"""What the node-trust DaemonSet writes on every node, as plain functions over plain data: the containerd
`hosts.toml` of a registry address, the files that trust the registry CA, and the POSIX sh script (run by
busybox in the pod, by dash or busybox in the tests) that installs them and removes exactly them again.

For each registry address (the registry, and the push-only address when set):
  /etc/docker/certs.d/<address>/ca.crt          docker (and containerd >= 2.2 by default) reads it
  /etc/containerd/certs.d/<address>/ca.crt      the CA that hosts.toml names
  /etc/containerd/certs.d/<address>/hosts.toml  containerd, when its registry config_path points there
With mirrorOnNodes, for each mirrored upstream (docker.io, ghcr.io, ...; docs/mirrors.md):
  /etc/containerd/certs.d/<upstream>/hosts.toml the registry as a pull/resolve mirror, the upstream the fallback
"""
from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from typing import Sequence

from components.clients.docker_trust import CERTS_D as DOCKER_CERTS_D
from components.clients.docker_trust import ca_dir, ca_path

CONTAINERD_CERTS_D = "/etc/containerd/certs.d"
HOST_DIRS = (DOCKER_CERTS_D, CONTAINERD_CERTS_D)    # the only host directories the pod mounts
HOST_ROOT = "/host"                                  # where the pod mounts them (HOST_ROOT + host path)
CAPABILITIES = ("pull", "resolve", "push")
MIRROR_CAPABILITIES = ("pull", "resolve")           # a mirror never takes pushes (containerd docs/hosts.md)
# containerd's own server for docker.io (docs/hosts.md "Setup a Local Mirror for Docker"): https://docker.io
# serves no registry API.
UPSTREAM_SERVERS = {"docker.io": "https://registry-1.docker.io"}
FILE_MODE = "0644"
MARKER = "# nexus-registry"                          # first line of the files the script may only replace if ours
_EOF = "NEXUS_REGISTRY_EOF"                          # here-document terminator; never a line of the content


@dataclass(frozen=True)
class NodeFile:
    directory: str      # absolute path on the node
    name: str
    content: str

    @property
    def path(self) -> str:
        return f"{self.directory}/{self.name}"


def hosts_toml(address: str, ca_file: str) -> str:
    """containerd's hosts.toml for `address` (host:port): HTTPS to the registry itself, trusting `ca_file`."""
    url = json.dumps(f"https://{address}")      # a JSON string is a valid TOML basic string
    capabilities = ", ".join(json.dumps(c) for c in CAPABILITIES)
    return (f"server = {url}\n"
            f"\n"
            f"[host.{url}]\n"
            f"  capabilities = [{capabilities}]\n"
            f"  ca = {json.dumps(ca_file)}\n")


def upstream_server(upstream: str) -> str:
    """The URL containerd falls back to for `upstream` (an image reference's registry host)."""
    return UPSTREAM_SERVERS.get(upstream, f"https://{upstream}")


def mirror_hosts_toml(upstream: str, registry: str, ca_file: str) -> str:
    """containerd's hosts.toml for a mirrored `upstream`: the registry first (pull and resolve, trusting
    `ca_file`), then the upstream itself as `server`, which containerd tries after every host failed."""
    url = json.dumps(f"https://{registry}")
    capabilities = ", ".join(json.dumps(c) for c in MIRROR_CAPABILITIES)
    return (f"{MARKER} mirror of {upstream}: the registry first, {upstream} itself when it fails\n"
            f"server = {json.dumps(upstream_server(upstream))}\n"
            f"\n"
            f"[host.{url}]\n"
            f"  capabilities = [{capabilities}]\n"
            f"  ca = {json.dumps(ca_file)}\n")


def node_files(addresses: Sequence[str], ca_pem: str, mirrors: Sequence[str] = ()) -> list[NodeFile]:
    """Every file the DaemonSet owns on a node, in the order it writes them. `mirrors`: the upstream hosts
    whose pulls go through the registry (addresses[0]); their hosts.toml names the registry's CA file."""
    ca = ca_pem if ca_pem.endswith("\n") else ca_pem + "\n"
    if set(mirrors) & set(addresses):
        raise ValueError(f"mirrors {sorted(set(mirrors) & set(addresses))} are registry addresses themselves")
    files = []
    for address in addresses:
        containerd_ca = ca_path(address, CONTAINERD_CERTS_D)
        files += [NodeFile(ca_dir(address, DOCKER_CERTS_D), "ca.crt", ca),
                  NodeFile(ca_dir(address, CONTAINERD_CERTS_D), "ca.crt", ca),
                  NodeFile(ca_dir(address, CONTAINERD_CERTS_D), "hosts.toml",
                           hosts_toml(address, containerd_ca))]
    if mirrors:
        registry_ca = ca_path(addresses[0], CONTAINERD_CERTS_D)
        files += [NodeFile(ca_dir(upstream, CONTAINERD_CERTS_D), "hosts.toml",
                           mirror_hosts_toml(upstream, addresses[0], registry_ca)) for upstream in mirrors]
    return files


_FUNCTIONS = f"""\
# current DIR FILE CONTENT: the file exists and holds exactly what CONTENT prints
current() {{
  [ -f "$root$1/$2" ] && "$3" | cmp -s "$root$1/$2" -
}}

# foreign DIR FILE CONTENT: CONTENT's first line claims the file ("{MARKER}..."), and the file on the
# node exists without that claim: someone else's (an admin's own hosts.toml for docker.io), never touched
foreign() {{
  [ -f "$root$1/$2" ] || return 1
  case "$("$3" | {{ read -r line; echo "$line"; }})" in "{MARKER}"*) ;; *) return 1 ;; esac
  read -r first < "$root$1/$2" || first=
  case "$first" in "{MARKER}"*) return 1 ;; esac
}}

# place DIR FILE CONTENT: (re)write the file only when it differs, atomically, mode {FILE_MODE}
place() {{
  if current "$@"; then return 0; fi
  if foreign "$@"; then
    echo "left alone (not written by nexus-registry): $1/$2" >&2
    return 0
  fi
  mkdir -p "$root$1"
  "$3" > "$root$1/.$2.nexus-registry.tmp"
  chmod {FILE_MODE} "$root$1/.$2.nexus-registry.tmp"
  mv -f "$root$1/.$2.nexus-registry.tmp" "$root$1/$2"
  echo "wrote $1/$2"
}}

# unplace DIR FILE CONTENT: remove the file only if it still holds what this script writes,
# then the directory if nothing else is left in it
unplace() {{
  if current "$@"; then
    rm -f "$root$1/$2"
    echo "removed $1/$2"
  fi
  rmdir "$root$1" 2>/dev/null || true
}}

# verify DIR FILE CONTENT: fail when the file is missing or no longer holds what this script writes
verify() {{
  if foreign "$@"; then
    echo "not mirrored here, another hosts.toml is in place: $1/$2" >&2
    return 0
  fi
  if ! current "$@"; then
    echo "missing or changed: $1/$2" >&2
    return 1
  fi
}}

# stop: the pod is being deleted (SIGTERM): end the sleep, remove what was installed
stop() {{
  if [ -n "$sleeper" ]; then kill "$sleeper" 2>/dev/null || true; fi
  each unplace
  exit 0
}}

# run: install, then sleep until the pod stops
run() {{
  sleeper=
  trap stop TERM INT
  each place
  echo "registry CA installed; sleeping until the pod stops"
  while :; do
    sleep 3600 &
    sleeper=$!
    wait "$sleeper" || true
  done
}}

case "${{1:-run}}" in
  install) each place ;;
  remove) each unplace ;;
  check) each verify ;;
  run) run ;;
  *) echo "usage: $0 install|remove|check|run" >&2; exit 2 ;;
esac
"""


def node_trust_script(addresses: Sequence[str], ca_pem: str, mirrors: Sequence[str] = ()) -> str:
    """The DaemonSet's script: `install`, `remove`, `check`, or `run` (install, sleep, remove on SIGTERM).

    It writes under $HOST_ROOT (default /host, where the pod mounts the two host directories) and only
    touches the files of `node_files`: anything else in those directories is left alone.
    """
    files = node_files(addresses, ca_pem, mirrors)
    contents: dict[str, str] = {}          # content -> its shell function name, each content written once
    for f in files:
        if _EOF in f.content.splitlines():
            raise ValueError(f"{f.path}: content holds the here-document terminator {_EOF}")
        contents.setdefault(f.content, f"content_{len(contents)}")
    heredocs = "".join(f"{fn}() {{\n  cat <<'{_EOF}'\n{content}{_EOF}\n}}\n\n"
                       for content, fn in contents.items())
    calls = "".join(f'  "$1" {shlex.quote(f.directory)} {shlex.quote(f.name)} {contents[f.content]}\n'
                    for f in files)
    return ("#!/bin/sh\n"
            "# nexus-registry node trust: the registry CA for docker and containerd on this node\n"
            "# (and, with mirrorOnNodes, containerd's hosts.toml that pulls mirrored upstreams through it).\n"
            "#   install  write the files whose content differs (a second run changes nothing)\n"
            "#   remove   remove the files that still hold what this script writes, nothing else\n"
            "#   check    fail unless every file holds what this script writes (the readiness probe)\n"
            "#   run      install, sleep, remove on SIGTERM (the DaemonSet's container)\n"
            "set -eu\n"
            "umask 022\n"
            f'root="${{HOST_ROOT:-{HOST_ROOT}}}"\n\n'
            + heredocs
            + "# each ACTION: ACTION DIR FILE CONTENT for every file this script owns\n"
            + "each() {\n" + calls + "}\n\n"
            + _FUNCTIONS)
