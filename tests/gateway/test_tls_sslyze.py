"""sslyze judges the rendered gateway under real nginx on 127.0.0.1: Mozilla "intermediate" (the
default) and "modern" compliance with the stack's CA as the only trust anchor, the exact protocols,
suites and curves, no OCSP stapling, no session-ticket keys, and no network beyond loopback. The same
config without the profile's directives (nginx's defaults, as the gateway was before tlsProfile),
scanned alike, fails where issue 11 measured it failing."""
from __future__ import annotations

import ipaddress
import re
import subprocess
from pathlib import Path

import pytest
from cryptography import x509

from components.config import KEYS_BY_NAME
from components.gateway.nginx_conf import render_nginx_conf
from components.gateway.tls_policy import PROFILES
from tests.support.gateway_env import Gateway, run_gateway, stub_upstream
from tests.support.procs import require_binary
from tests.support.tls_scan import (ScanTarget, accepted_suites, loopback_only, mozilla_issues, scan,
                                    session_ticket)

pytestmark = [pytest.mark.real,
              # sslyze's bundled public trust stores hold a root with a negative serial number
              pytest.mark.filterwarnings("ignore:Parsed a serial number:cryptography.utils.CryptographyDeprecationWarning")]

# Each gateway serves a certificate as long-lived as the stack would issue it: the default
# certValidityHours for intermediate, the longest tlsProfile=modern accepts for modern.
VALIDITY = {"intermediate": KEYS_BY_NAME["certValidityHours"].default,
            "modern": PROFILES["modern"].max_cert_validity_hours}
PROFILE_DIRECTIVES = re.compile(r"^ *(?:ssl_ciphers|ssl_conf_command|ssl_ecdh_curve|ssl_prefer_server_ciphers"
                                r"|ssl_session_tickets|ssl_stapling) [^\n]*\n", re.M)


def render_without_profile(**options) -> str:
    """The gateway's config with nginx's TLS defaults (ciphers HIGH:!aNULL:!MD5, curves "auto", tickets
    on): what it rendered before tlsProfile, still with `ssl_protocols TLSv1.2 TLSv1.3`."""
    conf, count = PROFILE_DIRECTIVES.subn("", render_nginx_conf(**options))
    assert count == 6 * 2 and "ssl_protocols TLSv1.2 TLSv1.3;" in conf  # registry and push ports
    return conf


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    """The gateways (one per profile, and one with nginx's TLS defaults), scanned in one sslyze run.
    The intermediate gateway is scanned twice: with the stack's CA as trust anchor and without it."""
    work = tmp_path_factory.mktemp("sslyze")
    with stub_upstream("backend") as up:
        addresses = dict(hosted=up.address, group=up.address, web=up.address)
        with run_gateway(work, name="intermediate", tls_profile="intermediate",
                         cert_validity_hours=VALIDITY["intermediate"], **addresses) as intermediate, \
                run_gateway(work, name="modern", tls_profile="modern", cert_validity_hours=VALIDITY["modern"],
                            **addresses) as modern, \
                run_gateway(work, name="defaults", render=render_without_profile, **addresses) as defaults:
            gateways = {"intermediate": intermediate, "modern": modern, "defaults": defaults}
            with loopback_only() as audit:
                results = scan({"intermediate": ScanTarget(intermediate.port, intermediate.ca),
                                "modern": ScanTarget(modern.port, modern.ca),
                                "intermediate-no-ca": ScanTarget(intermediate.port),
                                "defaults": ScanTarget(defaults.port, defaults.ca)})
                tickets = {(name, version): session_ticket(gw.port, version)
                           for name, gw in gateways.items() for version in ("TLSv1.2", "TLSv1.3")
                           if not (name == "modern" and version == "TLSv1.2")}
            yield gateways, results, tickets, list(audit.hosts), audit.outside_loopback()


@pytest.mark.parametrize("profile", ["intermediate", "modern"])
def test_gateway_is_mozilla_compliant(scanned, profile):
    _, results, _, _, _ = scanned
    assert mozilla_issues(results[profile], profile) == {}


@pytest.mark.parametrize("profile", ["intermediate", "modern"])
def test_certificate_checks_pass_through_the_stack_ca_only(scanned, profile):
    """The Mozilla checker's certificate checks: the chain validates (for subject IP 127.0.0.1) against
    at least one trust store; key type ECDSA on P-256; signature ecdsa-with-SHA256; lifespan within the
    profile's maximum. Only the stack's CA (sslyze's "Supplied CA file") validates the chain: every
    public store sslyze bundles refuses it, and without the CA the checker fails on path validation."""
    gateways, results, _, _, _ = scanned
    [deployment] = results[profile].scan_result.certificate_info.result.certificate_deployments
    trusted_by = {p.trust_store.name for p in deployment.path_validation_results if p.was_validation_successful}
    assert trusted_by == {"Supplied CA file"}
    assert len(deployment.path_validation_results) > 1  # the public stores were tried, and refused it
    ca = x509.load_pem_x509_certificate(gateways[profile].ca.read_bytes())
    assert deployment.verified_certificate_chain[-1] == ca
    leaf = deployment.received_certificate_chain[0]
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    assert (leaf.not_valid_after_utc - leaf.not_valid_before_utc).days <= PROFILES[profile].max_cert_lifespan_days
    if profile == "intermediate":
        assert set(mozilla_issues(results["intermediate-no-ca"], profile)) == {"certificate_path_validation"}


@pytest.mark.parametrize("profile", ["intermediate", "modern"])
def test_protocols_suites_and_curves_are_exactly_the_profile(scanned, profile):
    _, results, _, _, _ = scanned
    result, tls = results[profile].scan_result, PROFILES[profile]
    supported = {version for version, field in (("SSLv2", "ssl_2_0_cipher_suites"), ("SSLv3", "ssl_3_0_cipher_suites"),
                                                ("TLSv1", "tls_1_0_cipher_suites"), ("TLSv1.1", "tls_1_1_cipher_suites"),
                                                ("TLSv1.2", "tls_1_2_cipher_suites"), ("TLSv1.3", "tls_1_3_cipher_suites"))
                 if getattr(result, field).result.is_tls_version_supported}
    assert supported == set(tls.protocols)
    assert accepted_suites(results[profile], "TLSv1.2") == set(tls.ciphers)
    assert accepted_suites(results[profile], "TLSv1.3") == set(tls.ciphersuites)
    assert {c.name for c in result.elliptic_curves.result.supported_curves} == {"X25519", "secp256r1", "secp384r1"}


def test_no_ocsp_stapling_for_a_self_signed_chain(scanned, tmp_path):
    """No stapled OCSP response, no OCSP responder in the certificate, and nothing about stapling in
    nginx's log. Turning stapling on with this chain is what would log errors: nginx says so."""
    gateways, results, _, _, _ = scanned
    for profile in ("intermediate", "modern"):
        [deployment] = results[profile].scan_result.certificate_info.result.certificate_deployments
        assert deployment.ocsp_response is None
        assert not deployment.leaf_certificate_has_must_staple_extension
        with pytest.raises(x509.ExtensionNotFound):
            deployment.received_certificate_chain[0].extensions.get_extension_for_class(
                x509.AuthorityInformationAccess)
        log = gateways[profile].nginx.error_log.read_text() + gateways[profile].nginx.log.read_text()
        assert "stapling" not in log.lower() and "ocsp" not in log.lower()
    stapled = nginx_t(tmp_path, gateways["intermediate"],
                      lambda conf: conf.replace("ssl_stapling off;", "ssl_stapling on;"))
    assert '[warn]' in stapled and '"ssl_stapling" ignored' in stapled


def nginx_t(tmp_path: Path, gw: Gateway, edit) -> str:
    """`nginx -t` over the gateway's config after `edit`; returns its output (warnings included)."""
    conf = tmp_path / "nginx.conf"
    conf.write_text(edit(gw.nginx.conf.read_text()))
    result = subprocess.run([require_binary("nginx"), "-t", "-p", f"{tmp_path}/", "-c", str(conf),
                             "-g", f"pid {tmp_path}/nginx.pid;"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stderr


def test_session_tickets_are_off(scanned):
    """TLS 1.2: sessions resume by id (nginx's cache), never by ticket. TLS 1.3: the ticket is OpenSSL's
    32-byte stateful id, not session state encrypted under a ticket key that would need rotating.
    nginx's default (tickets on) shows what a ticket under a ticket key looks like."""
    _, results, tickets, _, _ = scanned
    resumption = results["intermediate"].scan_result.session_resumption.result
    assert resumption.session_id_resumption_result.value == "FULLY_SUPPORTED"
    assert resumption.tls_ticket_resumption_result.value == "NOT_SUPPORTED"
    assert results["modern"].scan_result.session_resumption.result.tls_ticket_resumption_result.value == \
        "SERVER_IS_TLS_1_3_ONLY"  # sslyze probes tickets on TLS 1.2 only; TLS 1.3 is checked below
    assert tickets["intermediate", "TLSv1.2"] == b""
    assert len(tickets["intermediate", "TLSv1.3"]) == 32 and len(tickets["modern", "TLSv1.3"]) == 32
    defaults = results["defaults"].scan_result.session_resumption.result
    assert defaults.tls_ticket_resumption_result.value == "FULLY_SUPPORTED"
    assert len(tickets["defaults", "TLSv1.2"]) > 100 and len(tickets["defaults", "TLSv1.3"]) > 100
    assert tickets["defaults", "TLSv1.2"][:16] == tickets["defaults", "TLSv1.3"][:16]  # one key's name


def test_nginx_defaults_fail_where_issue_11_measured(scanned):
    """Without the profile's directives: CBC, CCM, ARIA and CAMELLIA suites on TLS 1.2, and the X448
    and secp521r1 curves, are accepted; sslyze's checker says so."""
    _, results, _, _, _ = scanned
    issues = mozilla_issues(results["defaults"], "intermediate")
    assert set(issues) == {"ciphers", "tls_curves"}
    tls12 = accepted_suites(results["defaults"], "TLSv1.2")
    assert any(name.endswith(("-SHA", "-SHA256", "-SHA384")) and "GCM" not in name and "POLY1305" not in name
               and "CCM" not in name for name in tls12), "no CBC suite"
    for family in ("CCM", "ARIA", "CAMELLIA"):
        assert any(family in name for name in tls12), family
    assert "X448" in issues["tls_curves"] and "secp521r1" in issues["tls_curves"]


def test_the_scan_stayed_on_loopback(scanned):
    """sslyze judged with what it ships (Mozilla's profile file, its trust stores): every connect and
    name lookup the test process made during the scans was to 127.0.0.1."""
    _, _, _, hosts, outside = scanned
    assert hosts and outside == []
    assert set(hosts) == {"127.0.0.1"}
