"""The pure parts of monitoring, directly: the certificate time the rules get, the nginx renderer's metrics
option, the mtail program's contract with the log line."""
from __future__ import annotations

import re

import pytest

from components.gateway import metrics_log
from components.gateway.nginx_conf import render_nginx_conf
from components.monitoring.rules import epoch_seconds

BASE = dict(hosted_upstream="nexus:9897", group_upstream="nexus:9896", web_upstream="nexus:8081",
            registry_port=8443, web_port=8080, push_port=8444, cert_path="/c/tls.crt", key_path="/c/tls.key")


@pytest.mark.parametrize("text,expected", [
    ("2027-12-05T00:00:00Z", 1827964800),                       # Go's time.RFC3339
    ("2027-12-05T00:00:00.123456789Z", 1827964800),             # RFC3339Nano
    ("2027-12-05T01:00:00+01:00", 1827964800),
])
def test_certificate_end_as_unix_seconds(text, expected):
    assert epoch_seconds(text) == expected


def test_a_garbled_certificate_time_is_refused():
    with pytest.raises(ValueError, match="RFC 3339"):
        epoch_seconds("next year")


def test_metrics_line_only_with_an_exporter_and_every_server_names_its_route():
    assert render_nginx_conf(**BASE) == render_nginx_conf(**BASE, metrics_log_address=None)
    conf = render_nginx_conf(**BASE, metrics_log_address="127.0.0.1:5514")
    assert conf.count(f"set {metrics_log.ROUTE_VARIABLE} ") == conf.count("server {") == 3
    assert "access_log syslog:server=127.0.0.1:5514,tag=gateway,nohostname gateway_metrics;" in conf
    assert "access_log /dev/stdout gateway;" in conf             # the pod log keeps its own line


def test_a_bad_exporter_address_is_refused():
    with pytest.raises(ValueError, match="metrics_log_address"):
        render_nginx_conf(**BASE, metrics_log_address="127.0.0.1")


def test_the_program_reads_every_field_the_log_line_writes():
    fields = re.findall(r"(\w+)=\$", metrics_log.LOG_FORMAT)
    program = metrics_log.mtail_program()
    for field in fields:
        assert f"{field}=(?P<" in program, field
    assert set(metrics_log.METRICS) == set(re.findall(r"^counter (\w+)", program, re.M))
    assert set(metrics_log.OBJECTS) == set(re.findall(r'\]\["(\w+)"\]\[\$status\]', program))
