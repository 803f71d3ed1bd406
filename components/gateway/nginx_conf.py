"""Pure renderer of the gateway's nginx.conf: one TLS address in front of the Nexus docker
connectors, pushes to `hosted`, pulls from `group` (see ../shared/docs/gateway-routing.md §4).

Nothing here touches Kubernetes or the file system; components/gateway/component.py wires the text into
a ConfigMap, and the real-process tests run it under Debian's nginx with `-p/-g`.
"""
from __future__ import annotations

import re
from textwrap import indent

from components.gateway import metrics_log
from components.gateway.tls_policy import PROFILES, TlsProfile, for_key
from components.mirrors import DOCKER_HUB, Mirror, check_registry_host

__all__ = ["render_nginx_conf", "ROUTES", "HEALTH_PATH", "SEARCH_TARGETS", "REFUSED", "MIRROR_TOKEN",
           "mirror_route", "NAME_UNKNOWN_BODY"]

HEALTH_PATH = "/nginx-health"
# Who answers `docker search` (/v1/_ping, /v1/search): hosted (the how-to's choice and the default:
# the how-to saw the group answer 500) or the group, which adds Docker Hub's index (docs/gateway-routing.md).
SEARCH_TARGETS = ("hosted", "group")

# Pieces of the distribution API grammar (reference/regexp.go, OCI spec). The name is a superset
# of `path-component(/path-component)*`; a digest always has `algorithm:encoded`, which keeps
# `blobs/uploads` from ever looking like `blobs/<digest>`.
_NAME = r"[a-z0-9]+(?:[._/-]+[a-z0-9]+)*"
_DIGEST = r"[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+"
_REF = r"[^/]+"

# (regex on "$request_method $uri", backend, why). nginx checks map regexes in this order and takes
# the first match; every pattern is end-anchored like distribution's own routes, so a repository
# whose name contains "blobs/uploads" or "manifests" is still routed by its last path elements.
# Anything not listed falls to `hosted` (the map default): unknown methods and writes fail closed,
# never onto the read-only group.
ROUTES: tuple[tuple[str, str, str], ...] = (
    (r"^(?:GET|HEAD) /v2/$", "group", "ping / auth challenge (group and hosted share auth settings)"),
    (r"^[^ ]+ /v2/token$", "group", "Bearer realm: GET+Basic and containerd's POST must hit one issuer"),
    (rf"^[^ ]+ /v2/{_NAME}/blobs/uploads/[^/]*$", "hosted",
     "upload sessions live in hosted: POST (?mount=, ?digest=), PATCH, PUT, GET status, DELETE"),
    (rf"^GET /v2/{_NAME}/blobs/{_DIGEST}$", "group",
     "layer pull; HEAD blobs stays on hosted: a push skips any layer the group says it has"),
    (rf"^(?:GET|HEAD) /v2/{_NAME}/manifests/{_REF}$", "group",
     "containerd resolves tags with HEAD only and never retries with GET"),
    (rf"^(?:GET|HEAD) /v2/(?:_catalog|{_NAME}/tags/list|{_NAME}/referrers/{_DIGEST})$", "group",
     "merged read views"),
    (r"^(?:GET|HEAD) /v1/(?:_ping|search)$", "search", "docker search"),
)

# The route names the map sets in $registry_upstream besides registry_hosted / registry_group (the upstream
# names); monitoring labels requests by them.
REFUSED = "ns_refused"          # an upstream without a mirror: a registry-shaped 404, never the group
MIRROR_TOKEN = "mirror_token"   # a mirror proxy's own Bearer realm under /repository/<repo>/v2/token
NAME_UNKNOWN_BODY = ('{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry",'
                     '"detail":"this registry mirrors no such upstream (ns), or the request is not a pull"}]}')
# containerd's `ns` value (?ns=<host>): url.Values.Encode escapes the port's colon as %3A.
_HUB_NS = re.escape(DOCKER_HUB)
# What a mirror serves: the pull side only (ping, manifests, blobs, tags list; GET and HEAD).
_MIRROR_READS = (rf"^(?:GET|HEAD) {{ns}} /v2/(?:|{_NAME}/(?:manifests/{_REF}|blobs/{_DIGEST}|tags/list))$")
_REPO_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def mirror_route(mirror: Mirror) -> str:
    """The route name of a mirror: `mirror_<upstream host>`."""
    return f"mirror_{mirror.host}"


def _ns_regex(host: str) -> str:
    return re.escape(host).replace(":", "(?::|%3[Aa])")


_SIZE_RE = re.compile(r"^[1-9][0-9]*[kKmM]?$")
_HOST_RE = re.compile(r"^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)$")
_PATH_RE = re.compile(r"^[^\s;{}\"'$\\#]+$")


# ---------------------------------------------------------------------------------------- validation

def _port(name: str, value) -> int:
    if type(value) is not int or not 1 <= value <= 65535:
        raise ValueError(f"{name} must be a TCP port 1-65535, got {value!r}")
    return value


def _positive(name: str, value) -> int:
    if type(value) is not int or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return value


def _upstream(name: str, value) -> str:
    """A `host:port` (host = DNS name, IPv4 or [IPv6]); returns the host part."""
    host, sep, port = value.rpartition(":") if isinstance(value, str) else ("", "", "")
    if not sep or not _HOST_RE.match(host) or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"{name} must be host:port, got {value!r}")
    return host


def _path(name: str, value) -> str:
    if not isinstance(value, str) or not _PATH_RE.match(value):
        raise ValueError(f"{name} must be a file path without spaces, quotes, ';' or '$', got {value!r}")
    return value


def _size(name: str, value) -> str:
    if not isinstance(value, str) or not _SIZE_RE.match(value):
        raise ValueError(f"{name} must be an nginx size such as 64k or 1m, got {value!r}")
    return value


def _choice(name: str, value, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


# ------------------------------------------------------------------------------------------- blocks

def _mirrors(mirrors) -> tuple[Mirror, ...]:
    """The mirrors other than Docker Hub (which stays on the group), checked; hosts and repos distinct."""
    out = []
    for m in mirrors:
        if not isinstance(m, Mirror):
            raise ValueError(f"mirrors must hold Mirror entries, got {m!r}")
        try:
            check_registry_host(m.host)
        except ValueError as err:
            raise ValueError(f"mirrors: host {m.host!r} {err}") from None
        if not _REPO_RE.match(m.repo):
            raise ValueError(f"mirrors: repository name of {m.host!r} must be letters, digits, '.', '_', '-', "
                             f"got {m.repo!r}")
        if m.host != DOCKER_HUB:
            out.append(m)
    for what in ("host", "repo"):
        values = [getattr(m, what) for m in out]
        if len(set(values)) != len(values):
            raise ValueError(f"mirrors: each {what} once, got {values!r}")
    return tuple(out)


def _routing_map(search_target: str, mirrors: tuple[Mirror, ...]) -> str:
    """THE routing table: one map over method, containerd's `ns` and the path; first matching row wins."""
    lines = ['map "$request_method $arg_ns $uri" $registry_upstream {',
             "    # $uri is already percent-decoded, '//' merged and '..' resolved, i.e. the path the",
             "    # backends route on; the raw request line is what gets forwarded. $arg_ns is containerd's",
             "    # ?ns=<upstream> on every request to a mirror (empty without one; a port's ':' comes as %3A).",
             "    default registry_hosted;  # fail closed: unknown methods/paths are writes -> hosted"]
    for m in mirrors:
        lines += [f"    # pulls for {m.host}: its own proxy {m.repo} on Nexus' web port, never the group",
                  f'    "~{_MIRROR_READS.format(ns=_ns_regex(m.host))}" {mirror_route(m)};']
    if mirrors:
        repos = "|".join(re.escape(m.repo) for m in mirrors)
        lines += ["    # a mirror proxy's Bearer realm (Nexus names /repository/<repo>/v2/token): its token endpoint",
                  f'    "~^(?:GET|POST) [^ ]* /repository/(?:{repos})/v2/token$" {MIRROR_TOKEN};']
    for pattern, backend, why in ROUTES:
        target = search_target if backend == "search" else backend
        # no ns, or docker.io's: the rows as they are without mirrors (docker.io is the group's proxy)
        keyed = pattern.replace(" /", f" (?:{_HUB_NS})? /", 1)
        lines += [f"    # {why}", f'    "~{keyed}" registry_{target};']
    lines += ["    # any other upstream (ns), or a non-pull for a mirrored one: refused, never the group,",
              "    # whose Docker Hub proxy would answer ghcr.io/foo with Docker Hub's foo",
              f'    "~^[^ ]+ (?!{_HUB_NS} )[^ ]+ /" {REFUSED};',
              "    # Nexus' own paths on the registry port: only the mirror realms above",
              f'    "~^[^ ]+ [^ ]* /repository/" {REFUSED};']
    return "\n".join(lines + ["}"])


def _pass_map(mirrors: tuple[Mirror, ...]) -> str:
    """Where each route goes (upstream + URI): a lookup by route name, one row per route, no decisions.
    The connectors get the request URI as sent; a mirror gets it under /repository/<repo>."""
    lines = ["map $registry_upstream $registry_pass {",
             "    default registry_hosted$request_uri;",
             "    registry_group registry_group$request_uri;",
             f"    {MIRROR_TOKEN} nexus_web$request_uri;"]
    lines += [f"    {mirror_route(m)} nexus_web/repository/{m.repo}$request_uri;" for m in mirrors]
    return "\n".join(lines + ["}"])


def _upstream_block(name: str, address: str, keepalive: int) -> str:
    return (f"upstream {name} {{\n    server {address};\n"
            f"    keepalive {keepalive};  # with proxy_http_version 1.1 and Connection \"\"\n}}")


def _location_redirects(internal_hosts: list[str]) -> str:
    """Absolute Locations that point at an internal backend or back at this gateway become relative
    (clients resolve them against the URL they used); other hosts (e.g. storage redirects) are kept."""
    hosts = "|".join(re.escape(h) for h in dict.fromkeys(internal_hosts))
    return (f'proxy_redirect "~^https?://(?:{hosts})(?::[0-9]+)?(/.*)$" $1;\n'
            "proxy_redirect https://$http_host/ /;\n"
            "proxy_redirect http://$http_host/ /;")


def _proxy_transport(*, timeout: int, internal_hosts: list[str]) -> str:
    """Streaming proxy settings, set once at http level and inherited by every proxied location."""
    return f"""proxy_http_version 1.1;          # unbuffered chunked request bodies and upstream keepalive need 1.1
proxy_set_header Connection "";
proxy_set_header Host $http_host;  # the client's host:port; Nexus builds realm/Location URLs from it
proxy_set_header X-Forwarded-Proto $scheme;  # "https" on the registry ports (TLS ends here)
proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
proxy_set_header X-Real-IP $remote_addr;
# no X-Forwarded-Host/-Port: Nexus 3.78-3.80 appends the port a second time
client_max_body_size 0;          # layers have no size limit (a 413 at any hop breaks pushes)
proxy_request_buffering off;     # stream uploads, never spool a layer to a temp file
proxy_buffering off;             # stream downloads
proxy_max_temp_file_size 0;      # even if an upstream re-enables buffering (X-Accel-Buffering)
proxy_cache off;                 # a cache turns HEAD into GET
proxy_connect_timeout 60s;
proxy_send_timeout {timeout}s;
proxy_read_timeout {timeout}s;   # a first pull through the proxy may wait on Docker Hub
client_body_timeout {timeout}s;
send_timeout {timeout}s;
absolute_redirect off;           # keep relative Locations relative: nginx would add its own listen port
{_location_redirects(internal_hosts)}"""


def _health() -> str:
    return (f"location = {HEALTH_PATH} {{  # readiness probe: answered by nginx, no upstream\n"
            "    access_log off;\n    default_type text/plain;\n    return 200 \"ok\\n\";\n}")


def _proxy(path: str, target: str) -> str:
    return f"location {path} {{\n    proxy_pass http://{target};\n}}"


def _server(listen: str, body: list[str], route: str | None = None) -> str:
    """`route`: the upstream (or the variable naming it) this server proxies to, for the metrics line."""
    label = [f"set {metrics_log.ROUTE_VARIABLE} {route};  # the metrics line's route"] if route else []
    return "server {\n" + indent("\n".join([f"listen {listen};", *label, *body]), "    ") + "\n}"


def _metrics_log(address: str | None) -> str:
    """The per-request line for the gateway's metrics exporter (components/gateway/metrics_log.py), if any."""
    if address is None:
        return ""
    return (f"\nlog_format {metrics_log.LOG_FORMAT_NAME} '{metrics_log.LOG_FORMAT}';\n"
            "# UDP to the exporter in this pod: never blocks a worker, even with the exporter down\n"
            f"access_log syslog:server={address},tag={metrics_log.SYSLOG_TAG},nohostname "
            f"{metrics_log.LOG_FORMAT_NAME};")


def _tls_settings(cert_path: str, key_path: str, tls: TlsProfile) -> str:
    """The certificate and the Mozilla profile `tls` (tls_policy.py)."""
    ciphers = (f"ssl_ciphers {':'.join(tls.ciphers)};" if tls.ciphers
               else "# no ssl_ciphers: TLS 1.2 is off, TLS 1.3 suites are set below")
    return f"""ssl_certificate {cert_path};
ssl_certificate_key {key_path};
# Mozilla "{tls.name}" profile
ssl_protocols {' '.join(tls.protocols)};
{ciphers}
ssl_conf_command Ciphersuites {':'.join(tls.ciphersuites)};
ssl_ecdh_curve {':'.join(tls.curves)};
ssl_prefer_server_ciphers off;
ssl_session_cache shared:registry_tls:10m;  # resumption by session id, kept in this pod
ssl_session_timeout 1h;
ssl_session_tickets off;  # no ticket key that would live (unrotated) as long as the pod
ssl_stapling off;         # a self-signed chain has no OCSP responder: stapling would only log errors"""


def _temp_paths(temp_dir: str | None) -> str:
    if temp_dir is None:
        return "# temp paths: the build's defaults (nothing should ever be written there)"
    return "\n".join(f"{kind}_temp_path {temp_dir}/{kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))


def _shutdown(timeout: int | None) -> str:
    if timeout is None:
        return "# worker_shutdown_timeout: not set, a graceful stop waits for every open transfer"
    return (f"worker_shutdown_timeout {timeout}s;  # SIGQUIT/reload: in-flight transfers get this long, "
            "then the rest is closed")


# ------------------------------------------------------------------------------------------- render

def render_nginx_conf(*, hosted_upstream: str, group_upstream: str, web_upstream: str,
                      registry_port: int, web_port: int, cert_path: str, key_path: str,
                      push_port: int | None = None, search_target: str = "hosted",
                      tls_profile: str = "intermediate", cert_key_type: str = "ECDSA",
                      worker_processes: int | str = "auto", worker_connections: int = 1024,
                      timeout: int = 900, keepalive: int = 32,
                      body_buffer_size: str = "128k", proxy_buffer_size: str = "128k",
                      temp_dir: str | None = None, worker_shutdown_timeout: int | None = None,
                      mirrors: tuple[Mirror, ...] | list[Mirror] = (),
                      metrics_log_address: str | None = None) -> str:
    """A complete nginx.conf for the gateway (no user/pid/daemon: the image or harness sets them).

    registry_port: TLS, method x path routing between hosted and group.
    push_port: optional TLS port straight to hosted, for pushes the table cannot serve (re-pushing an
      image whose manifest the group already shows: containerd/ggcr HEAD it and skip the PUT).
    web_port: plain HTTP to the Nexus UI/REST API, plus the readiness probe at HEALTH_PATH.
    search_target: the backend of /v1/_ping and /v1/search (`docker search`), one of SEARCH_TARGETS.
    tls_profile: the Mozilla profile of the TLS ports, a key of components.gateway.tls_policy.PROFILES.
    cert_key_type: ECDSA (the generated certificate) or RSA (a provided one): picks the TLS 1.2 suites.
    worker_shutdown_timeout: seconds a graceful stop (SIGQUIT) or reload (SIGHUP) lets old workers finish
      their transfers before closing what is left; None keeps nginx's default (wait for ever).
    mirrors: the upstreams the registry mirrors (components/mirrors.py): pulls whose `ns` names one go to
      its proxy under /repository/<repo>/ on web_upstream; docker.io (or no ns) stays on the group; any
      other ns is refused with a registry-shaped 404 (docs/mirrors.md).
    metrics_log_address: `host:port` of the exporter's syslog (UDP) listener: every request's route, method,
      status and sizes go there too (metrics_log.py); None sends nothing.
    """
    mirrored = _mirrors(mirrors)
    hosts = [_upstream("hosted_upstream", hosted_upstream), _upstream("group_upstream", group_upstream)]
    _upstream("web_upstream", web_upstream)
    ports = {"registry_port": _port("registry_port", registry_port), "web_port": _port("web_port", web_port)}
    if push_port is not None:
        ports["push_port"] = _port("push_port", push_port)
    if len(set(ports.values())) != len(ports):
        raise ValueError(f"listen ports must be distinct, got {ports}")
    tls = _tls_settings(_path("cert_path", cert_path), _path("key_path", key_path),
                        for_key(PROFILES[_choice("tls_profile", tls_profile, tuple(PROFILES))], cert_key_type))
    _choice("search_target", search_target, SEARCH_TARGETS)
    if worker_processes != "auto":
        _positive("worker_processes", worker_processes)
    _positive("worker_connections", worker_connections)
    _positive("timeout", timeout)
    _positive("keepalive", keepalive)
    _size("body_buffer_size", body_buffer_size)
    _size("proxy_buffer_size", proxy_buffer_size)
    if temp_dir is not None:
        _path("temp_dir", temp_dir)
    if worker_shutdown_timeout is not None:
        _positive("worker_shutdown_timeout", worker_shutdown_timeout)
    if metrics_log_address is not None:
        _upstream("metrics_log_address", metrics_log_address)

    def route(upstream: str) -> str | None:
        return upstream if metrics_log_address is not None else None

    servers = [_server(f"{registry_port} ssl", [
        tls,
        "# HTTP/1.1 only (no http2): Go clients would negotiate h2, whose upload flow control is slower",
        "# The refused route answers here, before any location: a map cannot return, and an `if` whose",
        "# only statement is `return` is the one nginx documents as safe. No other `if`.",
        f"if ($registry_upstream = {REFUSED}) {{ return 404 '{NAME_UNKNOWN_BODY}'; }}",
        "default_type application/json;  # of that 404 (proxied answers keep their own Content-Type)",
        _proxy("/v2/", "$registry_pass"), _proxy("/v1/", "$registry_pass"),
        _proxy("/repository/", "$registry_pass") + "  # a mirror's token realm; the rest is refused",
        _health(),
        "location / { return 404; }  # the UI is on the web port only",
    ], route("$registry_upstream"))]
    if push_port is not None:
        servers.append(_server(f"{push_port} ssl", [
            tls,
            "# push-only: everything to hosted, so no push-time HEAD is answered by the group",
            _proxy("/v2/", "registry_hosted"),
            "location / { return 404; }",
        ], route("registry_hosted")))
    servers.append(_server(str(web_port), [_proxy("/", "nexus_web"), _health()], route("nexus_web")))

    http = "\n\n".join([
        f"""server_tokens off;
default_type application/octet-stream;
log_format gateway '$remote_addr "$request" $status $body_bytes_sent in=$request_length '
                   't=$request_time up=$upstream_addr upstatus=$upstream_status';
access_log /dev/stdout gateway;{_metrics_log(metrics_log_address)}
client_body_buffer_size {body_buffer_size};   # read size for streamed request bodies
proxy_buffer_size {proxy_buffer_size};         # read size for streamed responses (and headers)
proxy_buffers 4 {proxy_buffer_size};            # unused while buffering is off; keeps the sizes consistent
large_client_header_buffers 4 32k;  # Bearer tokens can be long
{_temp_paths(temp_dir)}""",
        _proxy_transport(timeout=timeout, internal_hosts=hosts),
        _routing_map(search_target, mirrored),
        _pass_map(mirrored),
        _upstream_block("registry_hosted", hosted_upstream, keepalive),
        _upstream_block("registry_group", group_upstream, keepalive),
        _upstream_block("nexus_web", web_upstream, keepalive),
        *servers,
    ])
    return f"""# nexus-registry gateway, rendered by components/gateway/nginx_conf.py; routing: docs gateway-routing.md
worker_processes {worker_processes};
error_log stderr;
{_shutdown(worker_shutdown_timeout)}

events {{
    worker_connections {worker_connections};
}}

http {{
{indent(http, "    ")}
}}
"""
