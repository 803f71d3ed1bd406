"""CommunityEula against the Nexus double: accept only when asked, with Nexus' exact text; drift; Pro; no-op destroy.

Type token, mocks declaration and the dill round trip are covered with the other resources in
test_nexus_resources.py (its RESOURCES table includes CommunityEula).
"""
from __future__ import annotations

import hashlib

import pytest

from components.nexus_config import server_settings as settings_res
from components.nexus_config.client import NexusApiError, NexusEditionError, NexusError
from tests.support.nexus_fixtures import checked, create, provider_for
from tests.support.nexus_double import EULA_DISCLAIMER, NexusDouble, json_reply

EULA_ID = "community-eula"
DIGEST = hashlib.sha256(EULA_DISCLAIMER.encode()).hexdigest()


def eula_provider(double: NexusDouble) -> settings_res.CommunityEulaProvider:
    return provider_for(settings_res.CommunityEulaProvider, double)


def test_accepting_posts_nexus_text_once_then_a_second_pass_writes_nothing(nexus):
    provider = eula_provider(nexus)
    inputs, outs = create(provider, nexus, accepted=True)
    # The double accepts nothing but its own text, byte for byte (multi-line, curly quotes): one POST did it.
    assert nexus.eula_accepted is True and nexus.counts["POST"] == 1 and nexus.writes() == 1
    assert outs == {"nexus_url": nexus.url, "accepted": True, "required": True, "disclaimer_sha256": DIGEST,
                    "__id": EULA_ID}
    assert EULA_DISCLAIMER not in repr(outs)                       # only the digest is kept in state

    read = provider.read(EULA_ID, outs)
    assert (read.id, read.inputs) == (EULA_ID, inputs)
    assert provider.diff(EULA_ID, read.outs, checked(provider, nexus, accepted=True)).changes is False
    _, again = create(provider, nexus, accepted=True)              # e.g. a state lost and created again
    assert again["accepted"] is True and nexus.writes() == 1


def test_not_accepted_and_not_asked_to_is_a_clear_error_that_changes_nothing(nexus):
    provider = eula_provider(nexus)
    with pytest.raises(NexusError) as info:
        create(provider, nexus)                                    # accepted defaults to False
    message = str(info.value)
    assert "Community Edition" in message and "serves no repositories" in message
    assert "pulumi config set acceptEula true" in message and "Nexus UI" in message
    assert EULA_DISCLAIMER[:300] in message and EULA_DISCLAIMER not in message   # quoted, cut at 300 chars
    assert nexus.writes() == 0 and nexus.eula_accepted is False


def test_an_acceptance_already_in_place_satisfies_accepted_false(nexus):
    nexus.eula_accepted = True                                     # accepted in the UI
    provider = eula_provider(nexus)
    inputs, outs = create(provider, nexus, accepted=False)
    assert outs["accepted"] is True and nexus.writes() == 0
    read = provider.read(EULA_ID, outs)
    assert read.inputs == {**inputs, "accepted": True}             # Nexus' state ...
    assert provider.diff(EULA_ID, read.outs, inputs).changes is False   # ... which a False input does not fight
    provider.delete(EULA_ID, read.outs)
    assert nexus.writes() == 0 and nexus.eula_accepted is True


NOTHING_TO_ACCEPT = {       # 404: no endpoint; Pro's answers 200 {accepted: false} (nexus-api §9) but Pro has no EULA
    "before-3.77": {"edition": "OSS"}, "stripped-route": {"eula_route": False}, "pro": {"edition": "PRO"},
    "pro-without-header": {"edition": "PRO", "server_header": False}, "source-build": {"edition": "CORE"}}


@pytest.mark.parametrize("setting", NOTHING_TO_ACCEPT.values(), ids=NOTHING_TO_ACCEPT.keys())
def test_nothing_to_accept_is_never_sent_an_acceptance(nexus, setting):
    for knob, value in setting.items():
        setattr(nexus, knob, value)
    provider = eula_provider(nexus)
    for wanted in (True, False):
        inputs, outs = create(provider, nexus, accepted=wanted)
        assert (outs["required"], outs["accepted"], outs["disclaimer_sha256"]) == (False, None, None)
        read = provider.read(EULA_ID, outs)
        assert read.id == EULA_ID and read.inputs == {**inputs, "accepted": None}   # the id stays: nothing to accept
        assert provider.diff(EULA_ID, read.outs, checked(provider, nexus, accepted=True)).changes is False
    assert nexus.writes() == 0 and nexus.eula_accepted is False


def test_an_unknown_edition_is_not_sent_an_acceptance_and_says_why(nexus):
    nexus.server_header, nexus.system_information = False, False         # it could be Pro
    provider = eula_provider(nexus)
    with pytest.raises(NexusEditionError) as info:
        create(provider, nexus, accepted=True)
    message = str(info.value)
    assert "cannot tell which edition" in message and "it sends no Server header" in message
    assert "Pro reports the same and has nothing to accept, so nothing was sent" in message
    assert "nexus.header.server=true" in message and "accept the EULA in the Nexus UI" in message
    assert nexus.writes() == 0 and nexus.eula_accepted is False
    nexus.eula_accepted = True                                           # accepted in the UI: settled
    assert create(provider, nexus, accepted=True)[1]["accepted"] is True and nexus.writes() == 0


def test_community_without_the_server_header_is_found_and_accepted(nexus):
    nexus.server_header = False
    _, outs = create(eula_provider(nexus), nexus, accepted=True)
    assert outs["accepted"] is True and nexus.eula_accepted is True and nexus.counts["POST"] == 1


def test_a_reset_eula_is_drift_that_the_next_update_accepts_again(nexus):
    provider = eula_provider(nexus)
    inputs, outs = create(provider, nexus, accepted=True)
    nexus.eula_accepted = False                                    # e.g. a fresh database behind the same URL
    read = provider.read(EULA_ID, outs)
    assert read.outs["accepted"] is False and read.inputs["accepted"] is False
    assert provider.diff(EULA_ID, read.outs, inputs).changes is True
    updated = provider.update(EULA_ID, read.outs, inputs).outs
    assert updated["accepted"] is True and nexus.eula_accepted is True and nexus.counts["POST"] == 2


def test_turning_accept_eula_on_later_is_an_update_that_accepts(nexus):
    nexus.eula_accepted = True
    provider = eula_provider(nexus)
    _, outs = create(provider, nexus, accepted=False)
    nexus.eula_accepted = False
    read = provider.read(EULA_ID, outs)
    assert provider.diff(EULA_ID, read.outs, checked(provider, nexus, accepted=False)).changes is False
    with pytest.raises(NexusError, match="acceptEula"):
        provider.update(EULA_ID, read.outs, checked(provider, nexus, accepted=False))
    news = checked(provider, nexus, accepted=True)
    assert provider.diff(EULA_ID, read.outs, news).changes is True
    assert provider.update(EULA_ID, read.outs, news).outs["accepted"] is True and nexus.eula_accepted is True


def test_destroy_never_revokes_an_acceptance(nexus):
    provider = eula_provider(nexus)
    _, outs = create(provider, nexus, accepted=True)
    writes, requests = nexus.writes(), sum(nexus.counts.values())
    provider.delete(EULA_ID, outs)
    assert nexus.eula_accepted is True and nexus.writes() == writes and sum(nexus.counts.values()) == requests


def test_any_other_disclaimer_is_refused_with_a_500_so_the_provider_must_echo_it_exactly(nexus):
    # Nexus' GET hands out a text that differs from the one it checks (trailing space): the POST echoes it,
    # the double answers 500 as Nexus does for an IllegalArgumentException, and nothing is accepted.
    nexus.force("GET", "/v1/system/eula", json_reply(200, {"accepted": False, "disclaimer": EULA_DISCLAIMER + " "}))
    with pytest.raises(NexusApiError, match=r"HTTP 500 .*ERROR: \(ID [0-9a-f-]{36}\) .*Invalid EULA disclaimer") \
            as info:
        create(eula_provider(nexus), nexus, accepted=True)
    assert info.value.status == 500 and nexus.counts["POST"] == 1 and nexus.eula_accepted is False


def test_check_validates_accepted_and_diff_follows_a_moved_url(nexus):
    provider = eula_provider(nexus)
    failures = provider.check({}, {"nexus_url": nexus.url, "accepted": "yes"}).failures
    assert [(f.property, "must be true or false" in f.reason) for f in failures] == [("accepted", True)]
    olds = {"nexus_url": nexus.url, "accepted": True, "required": True, "disclaimer_sha256": DIGEST}
    moved = provider.diff(EULA_ID, olds, {"nexus_url": "http://other:8081", "accepted": True})
    assert moved.changes is True and moved.replaces == []
    assert nexus.counts == {}                                      # check and diff never call Nexus
