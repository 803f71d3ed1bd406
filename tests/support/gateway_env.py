"""The gateway's real fixture on 127.0.0.1: a hosted registry, a "hub" registry, a pull-through cache
of the hub, a group stand-in (nginx: hosted first, the cache on 404, read-only), and the gateway
nginx running a rendered config with a certificate whose only SAN is 127.0.0.1.

    with gateway_env(tmp_path) as env:
        env.gateway.url            # https://127.0.0.1:<port>, routed by method x path
        env.gateway.push_url       # https://127.0.0.1:<port>, push-only (straight to hosted)
        env.backends.hosted.url    # check what really landed in hosted
        env.gateway.cert_dir       # a dir holding only ca.crt (skopeo --dest-cert-dir / --src-cert-dir)

The pieces are usable on their own: run_backends() once, then run_gateway() over them with any
renderer (the seed's recipe, a tuned plain proxy), or over stub_upstream()s to see what a backend
receives.
"""
from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Iterator

from components.gateway.nginx_conf import render_nginx_conf
from tests.support.procs import free_port, require_binary, running, serving, wait_for_port
from tests.support.registry import Registry, run_registry
from tests.support.tlsgen import Pem, make_chain

# The two lines nginx writes (at warn level) when it spools a body to disk instead of streaming it.
TEMP_FILE_MARKERS = ("a client request body is buffered to a temporary file",
                     "an upstream response is buffered to a temporary file")


# --------------------------------------------------------------------------------------------- nginx

@dataclass(frozen=True)
class Nginx:
    prefix: Path
    conf: Path
    error_log: Path   # info level: includes the temp-file warnings
    log: Path         # stdout/stderr: access log and startup errors
    master: subprocess.Popen | None = None   # the master process (signals: HUP reload, QUIT graceful stop)

    def temp_file_lines(self) -> list[str]:
        text = self.error_log.read_text() if self.error_log.exists() else ""
        return [line for line in text.splitlines() if any(m in line for m in TEMP_FILE_MARKERS)]


@contextlib.contextmanager
def run_nginx(workdir: Path, name: str, conf: str, ports: list[int]) -> Iterator[Nginx]:
    """Debian's nginx in the foreground with `conf` (prefix workdir/name), as root, until the block ends.
    pid/daemon/user/error_log are passed with -g, as the gateway config leaves them to the runtime."""
    binary = require_binary("nginx")
    prefix = workdir / name
    prefix.mkdir(parents=True, exist_ok=True)
    conf_path = prefix / "nginx.conf"
    conf_path.write_text(conf)
    error_log = prefix / "error.log"
    globals_ = [f"pid {prefix}/nginx.pid;", "daemon off;", f"error_log {error_log} info;"]
    if not any(line.strip().startswith("user ") for line in conf.splitlines()):
        globals_.append("user root;")  # workers must reach files under a 0700 pytest tmp dir
    log = prefix / "nginx.log"
    args = [binary, "-p", f"{prefix}/", "-c", str(conf_path), "-g", " ".join(globals_)]
    with running(args, log=log, port=ports[0]) as proc:
        for port in ports[1:]:
            wait_for_port(port, proc=proc, log=log)
        yield Nginx(prefix=prefix, conf=conf_path, error_log=error_log, log=log, master=proc)


def streaming_proxy_conf(*, upstreams: dict[str, str], servers: str, buffer_size: str = "256k",
                         workers: str = "1", forwarded_proto: str = "$http_x_forwarded_proto") -> str:
    """A minimal nginx that streams both ways (HTTP/1.1 keepalive upstreams, no buffering, Host kept):
    the frame of the group stand-in and of the benchmark's baseline proxy. `servers` is the server{}s."""
    ups = "\n".join(f"    upstream {name} {{ server {addr}; keepalive 16; }}" for name, addr in upstreams.items())
    return f"""worker_processes {workers};
events {{ worker_connections 1024; }}
http {{
    access_log off;
{ups}
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header Host $http_host;
    proxy_set_header X-Forwarded-Proto {forwarded_proto};
    client_max_body_size 0;
    proxy_request_buffering off;
    proxy_buffering off;
    proxy_max_temp_file_size 0;
    client_body_buffer_size {buffer_size};
    proxy_buffer_size {buffer_size};  # the unbuffered read size
    proxy_buffers 4 {buffer_size};
    proxy_read_timeout 900s;
{servers}
}}
"""


def group_standin_conf(*, port: int, hosted: str, cache: str) -> str:
    """A read-only nginx "group": hosted first, the hub cache when hosted says 404 (GET and HEAD alike),
    writes refused like a Nexus OSS group. Large reads keep this hop out of the throughput figures."""
    return streaming_proxy_conf(upstreams={"hosted": hosted, "cache": cache}, servers=f"""    server {{
        listen 127.0.0.1:{port};
        location / {{
            limit_except GET HEAD {{ deny all; }}
            proxy_pass http://hosted;
            proxy_intercept_errors on;
            error_page 404 = @cache;
        }}
        location @cache {{
            proxy_pass http://cache;
        }}
    }}""")


# ------------------------------------------------------------------------------------------- stubs

@dataclass
class StubUpstream:
    """An HTTP/1.1 server that answers every method 200 with a JSON echo of the request (backend name,
    method, raw path, headers, body length). A request header `X-Stub-Location: <template>` makes it
    answer 202 with that Location, `{self}` and `{host}` replaced by its own address and the Host."""
    name: str
    port: int
    seen: list[dict] = field(default_factory=list)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


def _stub_handler(stub: StubUpstream) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # keep test output quiet
            pass

        def _body_length(self) -> int:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                total = 0
                while size := int(self.rfile.readline().split(b";")[0], 16):
                    total += len(self.rfile.read(size + 2)) - 2
                self.rfile.readline()
                return total
            return len(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

        def _answer(self) -> None:
            raw_path = self.requestline.split(" ")[1]  # self.path collapses a leading "//"
            seen = {"backend": stub.name, "method": self.command, "path": raw_path,
                    "headers": dict(self.headers.items()), "body_bytes": self._body_length()}
            stub.seen.append(seen)
            body = json.dumps(seen).encode()
            location = self.headers.get("X-Stub-Location")
            self.send_response(202 if location else 200)
            if location:
                self.send_header("Location", location.format(self=stub.address, host=self.headers["Host"]))
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def handle(self) -> None:
            with contextlib.suppress(ConnectionError):  # clients that hang up mid-body are expected
                super().handle()

        def __getattr__(self, name: str):
            if name.startswith("do_"):  # any method, including made-up ones
                return self._answer
            raise AttributeError(name)

    return Handler


@contextlib.contextmanager
def stub_upstream(name: str) -> Iterator[StubUpstream]:
    stub = StubUpstream(name=name, port=free_port())
    server = ThreadingHTTPServer(("127.0.0.1", stub.port), _stub_handler(stub))
    server.daemon_threads = True
    with serving(server):
        yield stub


# ---------------------------------------------------------------------------------------- backends

@dataclass(frozen=True)
class Backends:
    hosted: Registry
    hub: Registry       # stands for Docker Hub: seed images here directly
    cache: Registry     # pull-through cache of the hub (the Nexus docker-proxy)
    group: str          # host:port of the group stand-in
    group_nginx: Nginx
    web: StubUpstream   # stands for the Nexus UI/REST API


@contextlib.contextmanager
def run_backends(workdir: Path, *, users: dict[str, str] | None = None,
                 registry_options: dict[str, dict] | None = None) -> Iterator[Backends]:
    """The registries behind the gateway. `users` puts htpasswd auth on hosted and the cache (so on the
    group too); `registry_options` = {"hosted"|"hub"|"cache": config dict merged into that registry}."""
    opts = registry_options or {}
    with contextlib.ExitStack() as stack:
        hub = stack.enter_context(run_registry(workdir, "hub", extra=opts.get("hub")))
        hosted = stack.enter_context(run_registry(workdir, "hosted", users=users, extra=opts.get("hosted")))
        cache = stack.enter_context(run_registry(workdir, "cache", proxy_remote=hub.url, users=users,
                                                 extra=opts.get("cache")))
        port = free_port()
        group_nginx = stack.enter_context(run_nginx(
            workdir, "group", group_standin_conf(port=port, hosted=hosted.address, cache=cache.address), [port]))
        web = stack.enter_context(stub_upstream("web"))
        yield Backends(hosted=hosted, hub=hub, cache=cache, group=f"127.0.0.1:{port}",
                       group_nginx=group_nginx, web=web)


# ----------------------------------------------------------------------------------------- gateway

@dataclass(frozen=True)
class Gateway:
    port: int
    web_port: int
    push_port: int | None
    nginx: Nginx
    ca: Path          # the CA that signed the gateway's IP-only certificate
    cert_dir: Path    # holds only ca.crt, for skopeo/containers-image *-cert-dir
    tls: dict[str, Path] = field(default_factory=dict)   # the ca/cert/key files nginx reads (reload: rewrite)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"https://{self.address}"

    @property
    def push_address(self) -> str:
        if self.push_port is None:
            raise RuntimeError("this gateway was started without a push port")
        return f"127.0.0.1:{self.push_port}"

    @property
    def push_url(self) -> str:
        return f"https://{self.push_address}"

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"


Renderer = Callable[..., str]


@contextlib.contextmanager
def run_gateway(workdir: Path, *, hosted: str, group: str, web: str, name: str = "gateway",
                render: Renderer = render_nginx_conf, push_port: bool = True, tls: Pem | None = None,
                cert_validity_hours: int = 24, registry_port: int | None = None, **options) -> Iterator[Gateway]:
    """nginx with `render(hosted_upstream=, group_upstream=, web_upstream=, registry_port=, web_port=,
    cert_path=, key_path=, [push_port=], [temp_dir=], **options)` in front of the given upstreams.
    `tls`: the chain to serve (e.g. one CA for several gateways); default a new one for 127.0.0.1 with a
    certificate valid for `cert_validity_hours` (its CA ten times as long). `registry_port`: the TLS registry
    port when it must be known beforehand (e.g. a token realm that names it); default a free one."""
    pem = (tls or make_chain(["127.0.0.1"], validity_hours=cert_validity_hours)).write(workdir / name / "tls")
    cert_dir = workdir / name / "certs.d"
    cert_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(pem["ca"], cert_dir / "ca.crt")
    ports = {"registry_port": registry_port or free_port(), "web_port": free_port()}
    if push_port:
        ports["push_port"] = free_port()
    if render is render_nginx_conf:
        options.setdefault("temp_dir", str(workdir / name))
    conf = render(hosted_upstream=hosted, group_upstream=group, web_upstream=web,
                  cert_path=str(pem["cert"]), key_path=str(pem["key"]), **ports, **options)
    with run_nginx(workdir, name, conf, list(ports.values())) as nginx:
        yield Gateway(port=ports["registry_port"], web_port=ports["web_port"],
                      push_port=ports.get("push_port"), nginx=nginx, ca=pem["ca"], cert_dir=cert_dir, tls=pem)


@dataclass(frozen=True)
class GatewayEnv:
    workdir: Path
    backends: Backends
    gateway: Gateway


@contextlib.contextmanager
def gateway_env(workdir: Path, *, users: dict[str, str] | None = None,
                registry_options: dict[str, dict] | None = None, **gateway_options) -> Iterator[GatewayEnv]:
    """run_backends() and a run_gateway() over them; gateway_options go to run_gateway
    (render=, push_port=, name=, and the renderer's keyword options)."""
    with run_backends(workdir, users=users, registry_options=registry_options) as backends, \
            run_gateway(workdir, hosted=backends.hosted.address, group=backends.group,
                        web=backends.web.address, **gateway_options) as gateway:
        yield GatewayEnv(workdir=workdir, backends=backends, gateway=gateway)
