"""Real distribution registries (Debian's `docker-registry`) on 127.0.0.1 for the gateway and smoke tests."""
from __future__ import annotations

import contextlib
import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import bcrypt

from tests.support.procs import free_port, require_binary, running


@dataclass(frozen=True)
class Registry:
    name: str
    port: int
    root: Path          # storage root directory
    log: Path
    scheme: str = "http"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.address}"


def htpasswd_line(user: str, password: str) -> str:
    """One htpasswd line in the bcrypt form the registry accepts."""
    return f"{user}:{bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=5)).decode()}"


def registry_config(*, port: int, root: Path, proxy_remote: str | None = None,
                    htpasswd: Path | None = None, tls: tuple[Path, Path] | None = None) -> dict:
    """The registry's config.yml as a dict (JSON is valid YAML, so it is written as JSON)."""
    http: dict = {"addr": f"127.0.0.1:{port}", "secret": secrets.token_hex(16),
                  "headers": {"X-Content-Type-Options": ["nosniff"]}}
    if tls:
        http["tls"] = {"certificate": str(tls[0]), "key": str(tls[1])}
    cfg: dict = {
        "version": 0.1,
        "log": {"level": "info", "accesslog": {"disabled": False}},
        "storage": {"filesystem": {"rootdirectory": str(root / "data")}, "delete": {"enabled": True},
                    "cache": {"blobdescriptor": "inmemory"}},
        "http": http,
    }
    if proxy_remote:
        cfg["proxy"] = {"remoteurl": proxy_remote}
    if htpasswd:
        cfg["auth"] = {"htpasswd": {"realm": "registry", "path": str(htpasswd)}}
    return cfg


def _merge(base: dict, extra: dict) -> dict:
    """`base` updated by `extra`, nested dicts merged key by key."""
    out = dict(base)
    for key, value in extra.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) \
            else value
    return out


@contextlib.contextmanager
def run_registry(workdir: Path, name: str, *, proxy_remote: str | None = None,
                 users: dict[str, str] | None = None,
                 tls: tuple[Path, Path] | None = None,
                 extra: dict | None = None, port: int | None = None) -> Iterator[Registry]:
    """A registry named `name` under workdir/name: plain (hosted), a pull-through cache of
    `proxy_remote`, with htpasswd `users`, and/or serving TLS with (cert, key). `extra` is merged
    into the config (e.g. {"http": {"host": ...}}); `port` fixes the port (default: a free one)."""
    binary = require_binary("docker-registry")
    root = workdir / name
    root.mkdir(parents=True, exist_ok=True)
    htpasswd = None
    if users:
        htpasswd = root / "htpasswd"
        htpasswd.write_text("".join(htpasswd_line(u, p) + "\n" for u, p in users.items()))
    port = port or free_port()
    config = root / "config.yml"
    config.write_text(json.dumps(_merge(registry_config(port=port, root=root, proxy_remote=proxy_remote,
                                                        htpasswd=htpasswd, tls=tls), extra or {})))
    log = root / "registry.log"
    with running([binary, "serve", str(config)], log=log, port=port):
        yield Registry(name=name, port=port, root=root, log=log, scheme="https" if tls else "http")
