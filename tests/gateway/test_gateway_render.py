"""The gateway's nginx.conf as text: routing table (evaluated like nginx's map), transport settings,
options and argument validation. The same config runs under real nginx in test_gateway_real.py."""
from __future__ import annotations

import re

import pytest

from components.gateway.nginx_conf import HEALTH_PATH, NAME_UNKNOWN_BODY, render_nginx_conf

BASE = dict(hosted_upstream="nexus:8083", group_upstream="nexus:8082", web_upstream="nexus:8081",
            registry_port=443, web_port=8081, cert_path="/etc/nginx/tls/tls.crt",
            key_path="/etc/nginx/tls/tls.key")
D = "sha256:" + "ab" * 32


def render(**options) -> str:
    return render_nginx_conf(**{**BASE, **options})


def route(conf: str, method: str, uri: str, ns: str = "") -> str:
    """What `map "$request_method $arg_ns $uri"` yields: exact keys aside (there are none), the first regex
    that matches in file order, else the default (nginx map semantics). `ns` is the raw ?ns= value."""
    body = re.search(r'map "\$request_method \$arg_ns \$uri" \$registry_upstream \{\n(.*?)\n    \}', conf, re.S)
    assert body, "the routing map is missing"
    default, rules = None, []
    for line in body.group(1).splitlines():
        if m := re.fullmatch(r'\s*"~(.+)" ([\w.:-]+);', line):
            rules.append((m.group(1), m.group(2)))
        elif m := re.match(r"\s*default (\w+);", line):
            default = m.group(1)
    key = f"{method} {ns} {uri}"
    return next((target for pattern, target in rules if re.search(pattern, key)), default) \
        .removeprefix("registry_")


TABLE = [
    # ping / token realm
    ("GET", "/v2/", "group"), ("HEAD", "/v2/", "group"), ("POST", "/v2/", "hosted"),
    ("GET", "/v2/token", "group"), ("POST", "/v2/token", "group"),
    # uploads: every method, names with slashes
    ("POST", "/v2/team/app/blobs/uploads/", "hosted"),
    ("PATCH", "/v2/team/app/blobs/uploads/0b7e-uuid", "hosted"),
    ("PUT", "/v2/team/app/blobs/uploads/0b7e-uuid", "hosted"),
    ("GET", "/v2/team/app/blobs/uploads/0b7e-uuid", "hosted"),
    ("DELETE", "/v2/team/app/blobs/uploads/0b7e-uuid", "hosted"),
    ("GET", "/v2/app/blobs/uploads", "hosted"),
    # blobs: HEAD is the push-time existence check
    ("HEAD", f"/v2/library/nginx/blobs/{D}", "hosted"),
    ("GET", f"/v2/library/nginx/blobs/{D}", "group"),
    ("DELETE", f"/v2/library/nginx/blobs/{D}", "hosted"),
    # manifests: HEAD resolves tags on pull
    ("GET", "/v2/a/b/c/manifests/1.27-alpine", "group"), ("HEAD", "/v2/nginx/manifests/latest", "group"),
    ("HEAD", f"/v2/nginx/manifests/{D}", "group"),
    ("PUT", "/v2/nginx/manifests/latest", "hosted"), ("DELETE", f"/v2/nginx/manifests/{D}", "hosted"),
    # read views
    ("GET", "/v2/team/app/tags/list", "group"), ("GET", "/v2/_catalog", "group"),
    ("GET", f"/v2/team/app/referrers/{D}", "group"),
    ("GET", "/v1/_ping", "hosted"), ("GET", "/v1/search", "hosted"), ("PUT", "/v1/search", "hosted"),
    # names that contain route words are routed by their last elements, like distribution does
    ("GET", "/v2/x/blobs/uploads/y/manifests/t", "group"),
    ("GET", f"/v2/x/blobs/uploads/blobs/{D}", "group"),
    ("GET", "/v2/token/manifests/v1", "group"), ("PUT", "/v2/token/manifests/v1", "hosted"),
    # fail closed: unknown methods and malformed paths never reach the group
    ("PROPFIND", "/v2/nginx/manifests/latest", "hosted"), ("OPTIONS", "/v2/", "hosted"),
    ("PURGE", f"/v2/nginx/blobs/{D}", "hosted"), ("GET", "/v2/Upper/manifests/x", "hosted"),
    ("GET", "/v2/nginx/blobs/not-a-digest", "hosted"), ("GET", "/", "hosted"),
]


@pytest.mark.parametrize("method,uri,backend", TABLE)
def test_routing_table(method, uri, backend):
    assert route(render(), method, uri) == backend


def test_search_target_moves_only_v1():
    conf = render(search_target="group")
    assert route(conf, "GET", "/v1/search") == "group"
    assert route(conf, "HEAD", "/v1/_ping") == "group"
    assert route(conf, "PUT", "/v1/search") == "hosted"   # writes still fail closed
    assert route(conf, "GET", "/v2/_catalog") == "group"
    assert route(conf, "HEAD", f"/v2/a/blobs/{D}") == "hosted"
    assert conf.count("\n    map ") == 2  # the target is one map row, not an `if` (the 2nd map: route -> pass)


@pytest.mark.parametrize("name,protocols,ciphers", [
    ("intermediate", ["TLSv1.2 TLSv1.3"],
     ["ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305"]),
    ("modern", ["TLSv1.3"], []),
])
def test_tls_profile_directives(name, protocols, ciphers):
    conf = render(tls_profile=name, push_port=5443)
    count = 2  # the registry port and the push port carry the same settings
    assert _directives(conf, "ssl_protocols") == protocols * count
    assert _directives(conf, "ssl_ciphers") == ciphers * count
    assert _directives(conf, "ssl_ecdh_curve") == ["X25519:prime256v1:secp384r1"] * count
    assert _directives(conf, "ssl_conf_command") == [
        "Ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256"] * count
    for directive, value in (("ssl_prefer_server_ciphers", "off"), ("ssl_session_tickets", "off"),
                             ("ssl_stapling", "off")):
        assert _directives(conf, directive) == [value] * count, directive
    assert render() == render(tls_profile="intermediate")  # the default


def test_one_routing_map_one_return_only_if_and_no_runtime_directives():
    conf = render()
    assert re.findall(r"^    map (.*) \{$", conf, re.M) == ['"$request_method $arg_ns $uri" $registry_upstream',
                                                           "$registry_upstream $registry_pass"]
    # the refusal: one `if`, whose only statement is `return` (nginx: the safe use), no `if` chain
    assert re.findall(r"^\s*if\s*\((.*)$", conf, re.M) == [
        "$registry_upstream = ns_refused) { return 404 '" + NAME_UNKNOWN_BODY + "'; }"]
    for directive in ("user", "pid", "daemon", "include", "resolver"):
        assert not re.search(rf"^\s*{directive}\s", conf, re.M), directive
    assert re.search(r"^error_log stderr;", conf, re.M)
    assert "access_log /dev/stdout" in conf


def _directives(conf: str, name: str) -> list[str]:
    return re.findall(rf"^\s*{name}\s+([^;]*);", conf, re.M)


@pytest.mark.parametrize("directive,value", [
    ("client_max_body_size", "0"), ("proxy_request_buffering", "off"), ("proxy_buffering", "off"),
    ("proxy_http_version", "1.1"), ("proxy_max_temp_file_size", "0"), ("proxy_cache", "off"),
    ("ssl_protocols", "TLSv1.2 TLSv1.3"), ("absolute_redirect", "off"),
])
def test_streaming_and_tls_settings(directive, value):
    assert _directives(render(), directive) == [value]


def test_headers_preserve_host_and_drop_forwarded_host_port():
    headers = dict(h.split(None, 1) for h in _directives(render(), "proxy_set_header"))
    assert headers["Host"] == "$http_host"
    assert headers["Connection"] == '""'
    assert headers["X-Forwarded-Proto"] == "$scheme"  # every registry listener is `ssl`
    assert "X-Forwarded-Host" not in headers and "X-Forwarded-Port" not in headers


def test_timeouts_and_keepalive():
    conf = render(timeout=1200, keepalive=8)
    for name in ("proxy_read_timeout", "proxy_send_timeout", "client_body_timeout", "send_timeout"):
        assert _directives(conf, name) == ["1200s"], name
    assert _directives(conf, "keepalive") == ["8"] * 3
    assert all(int(t.rstrip("s")) >= 900 for t in _directives(render(), "proxy_read_timeout"))


def test_location_headers_from_internal_hosts_become_relative():
    conf = render(hosted_upstream="10.0.0.5:8083", group_upstream="nexus.ns.svc:8082")
    regex, target = _directives(conf, "proxy_redirect")[0].rsplit(" ", 1)
    pattern = regex.strip('"').removeprefix("~")
    for location in ("http://10.0.0.5:8083/v2/a/blobs/uploads/u?x=1",
                     "https://nexus.ns.svc:8082/v2/a/blobs/uploads/u"):
        assert re.sub(pattern, target.replace("$1", r"\1"), location).startswith("/v2/a/blobs/uploads/u")
    assert not re.match(pattern, "https://s3.example.com/bucket/blob")
    assert _directives(conf, "proxy_redirect")[1:] == ["https://$http_host/ /", "http://$http_host/ /"]


def _servers(conf: str) -> list[str]:
    return re.split(r"\n    server \{", conf)[1:]


def test_push_port_is_a_second_tls_server_straight_to_hosted():
    assert len(_servers(render())) == 2
    servers = _servers(render(push_port=5443))
    push = next(s for s in servers if "listen 5443 ssl;" in s)
    assert "proxy_pass http://registry_hosted;" in push
    assert "$registry_upstream" not in push and "$registry_pass" not in push
    assert "ssl_certificate /etc/nginx/tls/tls.crt;" in push


def test_web_server_is_plain_http_with_health():
    web = next(s for s in _servers(render()) if "listen 8081;" in s)
    assert "proxy_pass http://nexus_web;" in web
    assert f"location = {HEALTH_PATH}" in web and 'return 200 "ok\\n";' in web
    registry = next(s for s in _servers(render()) if "listen 443 ssl;" in s)
    assert "location /v2/" in registry and "location / { return 404; }" in registry


def test_options_are_rendered():
    conf = render(worker_processes=2, worker_connections=4096, body_buffer_size="1m",
                  proxy_buffer_size="256k", temp_dir="/var/cache/nginx")
    assert _directives(conf, "worker_processes") == ["2"]
    assert _directives(conf, "worker_connections") == ["4096"]
    assert _directives(conf, "client_body_buffer_size") == ["1m"]
    assert _directives(conf, "proxy_buffer_size") == ["256k"]
    assert "client_body_temp_path /var/cache/nginx/client_body;" in conf
    assert _directives(render(), "worker_processes") == ["auto"]


@pytest.mark.parametrize("arg,value", [
    ("registry_port", 0), ("registry_port", 70000), ("web_port", "80"), ("push_port", True),
    ("hosted_upstream", "nexus"), ("group_upstream", "nexus:port"), ("web_upstream", "bad host:1"),
    ("hosted_upstream", "nexus:0"), ("cert_path", "/tls/crt; evil"), ("key_path", ""),
    ("search_target", "proxy"), ("tls_profile", "old"), ("worker_processes", 0), ("timeout", -1), ("keepalive", 0),
    ("body_buffer_size", "1 g"), ("temp_dir", "/tmp/$x"), ("worker_shutdown_timeout", 0),
])
def test_validation_names_argument_and_value(arg, value):
    with pytest.raises(ValueError) as err:
        render(**{arg: value})
    assert arg in str(err.value) and repr(value) in str(err.value)


def test_worker_shutdown_timeout_is_a_main_context_directive_only_when_asked():
    conf = render(worker_shutdown_timeout=285)
    main = conf.split("events {", 1)[0]   # nginx accepts it only in the main context
    assert _directives(main, "worker_shutdown_timeout") == ["285s"]
    assert _directives(render(), "worker_shutdown_timeout") == []


def test_listen_ports_must_be_distinct():
    with pytest.raises(ValueError, match="distinct"):
        render(push_port=443)
    with pytest.raises(ValueError, match="distinct"):
        render(web_port=443)


def test_upstream_forms_accepted():
    conf = render(hosted_upstream="[fd00::5]:8083", group_upstream="10.1.2.3:8082")
    assert "server [fd00::5]:8083;" in conf and "server 10.1.2.3:8082;" in conf
