"""components/gateway/tls_policy.py against the Mozilla data sslyze ships (the judge of the real tests): every
protocol, suite and curve the gateway offers is one Mozilla allows, and the lifespans are Mozilla's."""
from __future__ import annotations

import pytest

from components.tls import profile as cert_profile
from components.gateway.tls_policy import PROFILES, profile
from tests.support.tls_scan import mozilla_profile

# Mozilla names P-256 by its ANSI name, sslyze converts it to the SECG one.
SECG = {"prime256v1": "secp256r1"}


@pytest.mark.parametrize("name", ["intermediate", "modern"])
def test_profile_is_within_mozillas(name):
    ours, theirs = PROFILES[name], mozilla_profile(name)
    assert set(ours.protocols) == theirs.tls_versions
    assert set(ours.ciphers) <= theirs.ciphers.openssl
    assert set(ours.ciphersuites) == theirs.ciphersuites
    assert {SECG.get(c, c) for c in ours.curves} == theirs.tls_curves
    assert ours.max_cert_lifespan_days == theirs.maximum_certificate_lifespan
    assert ours.max_cert_validity_hours == 24 * theirs.maximum_certificate_lifespan


def test_tls12_suites_are_the_ecdsa_ones_mozilla_lists():
    """The certificate key is ECDSA, so only ECDSA suites can be negotiated: those are all listed, and
    no RSA or DHE suite is (they would be dead entries)."""
    assert cert_profile.KEY_ALGORITHM == "ECDSA"
    listed = mozilla_profile("intermediate").ciphers.openssl
    assert set(PROFILES["intermediate"].ciphers) == {c for c in listed if c.startswith("ECDHE-ECDSA-")}


def test_unknown_profile_names_the_choices():
    with pytest.raises(ValueError, match="must be one of intermediate, modern"):
        profile("old")
