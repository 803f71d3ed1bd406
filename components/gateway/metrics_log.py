"""The gateway's request counts by route: the line nginx sends for every request, and the mtail program that
turns those lines into Prometheus counters (the `monitoring` stack key).

Why log-derived and not stub_status: nginx's stub_status (and the nginx-prometheus-exporter that reads it) has
only totals (connections, requests); it cannot tell hosted from group from a mirror, nor 4xx from 5xx. The
access-log line has all of it. nginx sends it over syslog/UDP to mtail in the same pod: UDP never blocks a
worker, so a slow or restarting exporter can lose counts but never slows a pull (a file would need rotation,
a FIFO blocks nginx when full). The route label is the value of the gateway's routing variable
(nginx_conf.py: `$registry_upstream`, the map's result), so every route the map learns, mirrors included
(route names such as `mirror_ghcr.io` or `mirror_registry:5000`), shows up as its own label value without a
list here.

Pure text; tests run both under Debian's nginx and mtail (tests/monitoring/test_gateway_metrics_real.py).
"""
from __future__ import annotations

# The variable each server block sets to the upstream it routes to (nginx_conf.py).
ROUTE_VARIABLE = "$gateway_route"
LOG_FORMAT_NAME = "gateway_metrics"
# One line per request; the trailing "\n" ends the line for mtail (nginx's syslog messages carry none).
# The uri is last: it is the only field that may contain spaces.
LOG_FORMAT = (f"route={ROUTE_VARIABLE} method=$request_method status=$status "
              "in=$request_length out=$bytes_sent uri=$uri\\n")
SYSLOG_TAG = "gateway"
# Inside the pod: nginx sends to the exporter's UDP port on loopback; Prometheus scrapes METRICS_PORT.
SYSLOG_PORT = 5514
METRICS_PORT = 3903
PROGRAM_FILE = "gateway.mtail"

# What the program exports (tests/monitoring check each name against a real mtail's /metrics):
#   gateway_requests_total{route, method, object, status}
#     method: GET HEAD PUT PATCH POST DELETE, anything else OTHER (a client cannot mint label values)
#     object: manifest, blob, upload, tags, token, ping, other (from the distribution API path)
#   gateway_received_bytes_total{route}, gateway_sent_bytes_total{route}
METRICS = ("gateway_requests_total", "gateway_received_bytes_total", "gateway_sent_bytes_total")
OBJECTS = ("manifest", "blob", "upload", "tags", "token", "ping", "other")

_OBJECT_PATTERNS = (
    ("upload", r"^/v2/.+/blobs/uploads/[^/]*$"),
    ("blob", r"^/v2/.+/blobs/[^/]+$"),
    ("manifest", r"^/v2/.+/manifests/[^/]+$"),
    ("tags", r"^/v2/.+/tags/list$"),
    ("token", r"^/v2/token$"),
    ("ping", r"^/v2/$"),
)


def _object_chain(method: str) -> str:
    """Nested `=~ {} else {}`: mtail has no string variables, so each branch counts with its literal."""
    count = "gateway_requests_total[$route][{method}][\"{obj}\"][$status]++"
    text = count.format(method=method, obj="other")
    for obj, pattern in reversed(_OBJECT_PATTERNS):
        body = count.format(method=method, obj=obj)
        escaped = pattern.replace("/", "\\/")
        text = f"$uri =~ /{escaped}/ {{\n  {body}\n}} else {{\n{_indent(text)}\n}}"
    return text


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def mtail_program() -> str:
    """The mtail program over LOG_FORMAT lines (after the syslog header, which the pattern skips)."""
    known = "GET|HEAD|PUT|PATCH|POST|DELETE"
    return "\n".join([
        "# nexus-registry gateway: requests by route (the nginx routing variable), rendered by",
        "# components/gateway/metrics_log.py from the line nginx_conf.py's log_format gateway_metrics sends.",
        "counter gateway_requests_total by route, method, object, status",
        "counter gateway_received_bytes_total by route",
        "counter gateway_sent_bytes_total by route",
        "",
        r"/route=(?P<route>[A-Za-z0-9_.:-]+) method=(?P<method>\S+) status=(?P<status>\d{3}) "
        r"in=(?P<received>\d+) out=(?P<sent>\d+) uri=(?P<uri>.*)$/ {",
        "  gateway_received_bytes_total[$route] += $received",
        "  gateway_sent_bytes_total[$route] += $sent",
        f"  $method =~ /^({known})$/ {{",
        _indent(_indent(_object_chain("$method"))),
        "  } else {",
        _indent(_indent(_object_chain('"OTHER"'))),
        "  }",
        "}",
        "",
    ])


def mtail_args(progs_dir: str, *, syslog_port: int = SYSLOG_PORT, metrics_port: int = METRICS_PORT,
               address: str | None = None) -> list[str]:
    """mtail's command line (after the binary): the program directory, the loopback UDP port nginx sends to,
    the scrape port (on every address of the pod unless `address`), logs on stderr, no `prog` label."""
    listen = ["--address", address] if address else []
    return ["--progs", progs_dir, "--logs", f"udp://127.0.0.1:{syslog_port}", *listen,
            "--port", str(metrics_port), "--logtostderr", "--emit_prog_label=false"]
