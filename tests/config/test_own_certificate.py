"""Bring your own certificate (components/config_tls.py): the original how-to's certificate is accepted as
its own CA, and each check names its key before any resource exists. Certificates are made by the how-to's
own openssl command (tests/support/recipe_cert.py) or, for states openssl req cannot make (expired, signed
by a CA), with `cryptography`."""
from __future__ import annotations

import datetime as dt
import ipaddress

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from components.config import SettingsError, parse_settings
from components.config_reader import ConfigReader
from components.config_tls import read_own_certificate
from components.gateway.tls_policy import PROFILES
from tests.support.recipe_cert import recipe_cert
from tests.support.stack import TEST_PASSWORD, run_program
from tests.support.tlsgen import make_chain

DEV_IP = "127.0.0.1"          # the dev stack's publicIps


def settings(cert: str, key: str, ca: str | None = None, **more):
    raw = {"adminPassword": TEST_PASSWORD, "publicIps": f'["{DEV_IP}"]', "tlsCertificate": cert,
           "tlsPrivateKey": key, **({"tlsCaCertificate": ca} if ca else {}), **more}
    return parse_settings(raw, {"adminPassword", "tlsPrivateKey"})


def problems(cert: str, key: str, ca: str | None = None, **more) -> dict[str, str]:
    with pytest.raises(SettingsError) as caught:
        settings(cert, key, ca, **more)
    return {p.key: str(p) for p in caught.value.problems}


def self_signed(ip: str, *, days_ago: int, days: int) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, ip)])
    start = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days_ago)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start)
            .not_valid_after(start + dt.timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]), critical=False)
            .sign(key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    return cert.public_bytes(pem).decode(), key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                             serialization.NoEncryption()).decode()


def test_the_recipe_certificate_is_accepted_as_its_own_ca():
    recipe = recipe_cert(DEV_IP)
    own = settings(recipe.crt, recipe.key).own_certificate
    assert own.ca_pem == recipe.crt                 # byte for byte what docker hosts hold as ca.crt
    assert own.cert_pem == recipe.crt and own.private_key.reveal() == recipe.key and own.key_type == "RSA"
    assert own.days_left in (364, 365)
    assert own.notes == ((("info", f"tlsCertificate CN={DEV_IP},O=team,L=BeiJing,ST=BeiJing,C=CN is valid until "
                                   f"{own.not_after:%Y-%m-%d} UTC ({own.days_left} days left)"),))
    assert "Secret(****)" in repr(own) and recipe.key not in repr(own)


def test_the_profile_lifespan_cap_is_a_warning_for_a_provided_certificate():
    recipe = recipe_cert(DEV_IP)
    own = settings(recipe.crt, recipe.key, tlsProfile="modern").own_certificate   # 365 days > modern's 90
    warnings = [n for level, n in own.notes if level == "warn"]
    assert warnings == ["tlsCertificate spans 365 days, more than Mozilla's 90 for tlsProfile=modern; it is "
                        "served anyway (the cap applies to certificates this stack generates)"]
    with pytest.raises(SettingsError) as caught:      # while the generated certificate is still held to it
        parse_settings({"adminPassword": TEST_PASSWORD, "publicIps": f'["{DEV_IP}"]', "tlsProfile": "modern"},
                       {"adminPassword"})
    assert caught.value.keys == ["certValidityHours"]


def test_sans_must_cover_every_public_ip_and_dns_name():
    recipe = recipe_cert("192.168.129.112")
    found = problems(recipe.crt, recipe.key, dnsNames='["registry.example.com"]')
    assert set(found) == {"tlsCertificate"}
    with pytest.raises(SettingsError) as caught:
        settings(recipe.crt, recipe.key, dnsNames='["registry.example.com"]')
    lines = [str(p) for p in caught.value.problems]
    assert any(f"does not cover publicIps entry {DEV_IP}: docker checks the IP SAN "
               f"(add subjectAltName = IP:{DEV_IP})" in line for line in lines), lines
    assert any("does not cover dnsNames entry registry.example.com" in line for line in lines), lines
    assert all("['192.168.129.112']" in line for line in lines)     # what the certificate does cover


def test_a_key_of_another_certificate_is_refused():
    found = problems(recipe_cert(DEV_IP).crt, make_chain([DEV_IP]).key)
    assert set(found) == {"tlsPrivateKey"} and "does not belong to tlsCertificate" in found["tlsPrivateKey"]
    assert "BEGIN" not in found["tlsPrivateKey"]


def test_an_expired_certificate_is_refused():
    cert, key = self_signed(DEV_IP, days_ago=400, days=365)
    found = problems(cert, key)
    assert set(found) == {"tlsCertificate"} and "has expired" in found["tlsCertificate"]


def test_days_left_are_counted_and_a_near_end_warned():
    cert, key = self_signed(DEV_IP, days_ago=350, days=365)
    own = settings(cert, key).own_certificate
    assert own.days_left == 14
    assert ("warn", "tlsCertificate expires in 14 days: renew it (docs/own-certificate.md#renewal)") in own.notes


def test_a_certificate_signed_by_a_ca_needs_that_ca_and_verifies_to_it():
    chain, other = make_chain([DEV_IP]), make_chain([DEV_IP])
    found = problems(chain.cert, chain.key)
    assert set(found) == {"tlsCaCertificate"} and "not self-signed" in found["tlsCaCertificate"]
    found = problems(chain.cert, chain.key, other.ca_cert)
    assert set(found) == {"tlsCaCertificate"} and "does not verify tlsCertificate" in found["tlsCaCertificate"]
    own = settings(chain.cert, chain.key, chain.ca_cert).own_certificate
    assert own.ca_pem == chain.ca_cert and own.key_type == "ECDSA"


def test_an_intermediate_in_tls_certificate_is_verified_link_by_link():
    chain, other = make_chain([DEV_IP]), make_chain([DEV_IP])
    found = problems(chain.cert + other.ca_cert, chain.key, other.ca_cert)   # the leaf is not other's
    assert "is not signed by the next certificate" in found["tlsCertificate"]
    own = settings(chain.cert + chain.ca_cert, chain.key, chain.ca_cert).own_certificate
    assert own.cert_pem.count("BEGIN CERTIFICATE") == 2


def test_an_encrypted_key_is_refused_without_showing_it():
    recipe = recipe_cert(DEV_IP)
    key = serialization.load_pem_private_key(recipe.key.encode(), None)
    encrypted = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.BestAvailableEncryption(b"pass")).decode()
    found = problems(recipe.crt, encrypted)
    assert set(found) == {"tlsPrivateKey"} and "is encrypted" in found["tlsPrivateKey"]
    assert "ENCRYPTED" not in found["tlsPrivateKey"]


def test_checked_before_any_resource_exists():
    recipe = recipe_cert("192.168.129.112")
    with pytest.raises(SettingsError) as caught:
        run_program("dev", {"tlsCertificate": recipe.crt}, {"tlsPrivateKey": recipe.key})
    assert set(caught.value.keys) == {"tlsCertificate"}
    assert caught.value.program_run.resources == []


def test_the_reader_can_be_asked_at_another_time():
    recipe = recipe_cert(DEV_IP)
    r = ConfigReader({"tlsCertificate": recipe.crt, "tlsPrivateKey": recipe.key}, frozenset({"tlsPrivateKey"}))
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=400)
    assert read_own_certificate(r, [DEV_IP], [], PROFILES["intermediate"], now=later) is None
    assert [p.key for p in r.problems] == ["tlsCertificate"] and "has expired" in r.problems[0].reason


def test_the_renewal_recipe_in_the_docs_gives_a_certificate_that_verifies_to_its_ca(tmp_path):
    """docs/own-certificate.md#renewal: a CA made once, a server certificate signed by it."""
    import re
    import subprocess

    from tests.support.stack import ROOT
    doc = (ROOT / "docs" / "own-certificate.md").read_text()
    block = re.search(r"To renew without touching docker hosts again.*?```bash\n(.*?)```", doc, re.S).group(1)
    commands = [line for line in block.splitlines() if line.startswith(("openssl", "printf"))]
    assert len(commands) == 4
    subprocess.run("set -e\n" + "\n".join(commands), shell=True, cwd=tmp_path, check=True, capture_output=True)
    read = {name: (tmp_path / name).read_text() for name in ("ca.crt", "domain.crt", "domain.key")}
    raw = {"adminPassword": TEST_PASSWORD, "publicIps": '["192.168.129.112"]', "tlsCertificate": read["domain.crt"],
           "tlsPrivateKey": read["domain.key"], "tlsCaCertificate": read["ca.crt"]}
    own = parse_settings(raw, {"adminPassword", "tlsPrivateKey"}).own_certificate
    assert own.ca_pem == read["ca.crt"] and own.key_type == "RSA"
