"""Server-wide settings: active security realms, anonymous access and the Community Edition EULA. Field
tables, request builders, read normalisers, the realm plan (add what is missing, give back only what we
added) and the EULA decision and texts. Pure: no I/O, no Pulumi wiring.

The EULA: Nexus Community Edition (3.77+) serves no repositories until it is accepted. The REST resource
(CommunityEulaApiResource, `/v1/system/eula`) is registered with no edition check, so Pro most likely answers
`200 {accepted: false}` too (nexus-api §9; not seen live): whether there is something to accept is decided from
the edition (`community_eula_applies`), never from the endpoint, and an acceptance is never sent to a server
that is not known to be the Community Edition. A 404 (OSS before 3.77, a route a proxy strips) also means
nothing to accept.
"""
from __future__ import annotations

import hashlib
from typing import Any, Mapping, Optional, Sequence

from components.nexus_config.client import EULA_KEY
from components.nexus_config.edition import COMMUNITY, UNKNOWN, ServerInfo
from components.nexus_config.fields import (
    URL_FIELD,
    Field,
    boolean,
    diff_inputs,
    is_unknown,
    non_empty_string,
    unique_list,
)

ANONYMOUS_USER = "anonymous"
ANONYMOUS_REALM = "NexusAuthorizingRealm"
EULA_QUOTE_CHARS = 300                  # how much of the disclaimer a refusal quotes


# Never deactivated by a destroy: without it the admin user itself can no longer log in.
LOCAL_AUTH_REALM = "NexusAuthenticatingRealm"


REALMS_FIELDS = (URL_FIELD, Field("realms", unique_list(non_empty_string, "realm ids")))
ANONYMOUS_FIELDS = (URL_FIELD, Field("enabled", boolean, False))
EULA_FIELDS = (URL_FIELD, Field("accepted", boolean, False))


def anonymous_request(current: Mapping[str, Any], enabled: bool) -> dict:
    """The whole settings object with only `enabled` changed (PUT replaces it)."""
    return {"enabled": enabled,
            "userId": current.get("userId") or ANONYMOUS_USER,
            "realmName": current.get("realmName") or ANONYMOUS_REALM}


def anonymous_outs(body: Mapping[str, Any]) -> dict:
    return {"enabled": bool(body.get("enabled")), "user_id": body.get("userId"), "realm_name": body.get("realmName")}


def eula_outs(body: Optional[Mapping[str, Any]]) -> dict:
    """GET /v1/system/eula -> outs; None (nothing to accept: not the Community Edition, or a 404) -> `required` false.

    Only a digest of the disclaimer is kept: it shows when Sonatype changes the text, without storing it in state.
    """
    if body is None:
        return {"accepted": None, "required": False, "disclaimer_sha256": None}
    disclaimer = body.get("disclaimer") or ""
    return {"accepted": bool(body.get("accepted")), "required": True,
            "disclaimer_sha256": hashlib.sha256(disclaimer.encode()).hexdigest()}


def eula_request(body: Mapping[str, Any]) -> dict:
    """The acceptance: the disclaimer goes back exactly as Nexus sent it (any other text is refused with a 500)."""
    return {"accepted": True, "disclaimer": body.get("disclaimer")}


def eula_changes(olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
    """The changed keys of a `CommunityEula`. `accepted` counts only when acceptance is asked for and Nexus has a
    EULA that is not accepted: `accepted: false` means "do not accept for me", not "revoke", so an acceptance made
    in the UI satisfies it, and a server without a EULA (`required` false) has nothing to change."""
    changed = [k for k in diff_inputs(EULA_FIELDS, olds, news)[0] if k != "accepted"]
    wanted = news.get("accepted")
    if is_unknown(wanted) or (wanted is True and olds.get("required") is not False
                              and olds.get("accepted") is not True):
        changed.append("accepted")
    return changed


def community_eula_applies(edition: str) -> Optional[bool]:
    """Whether the EULA concerns this edition: only Community has to accept it. Pro answers the endpoint but has
    nothing to accept; OSS predates it; a build from source (CORE) is not the Community Edition, and nothing in the
    public source gates on the EULA (§9). None: the edition is unknown."""
    return None if edition == UNKNOWN else edition == COMMUNITY


def eula_refusal(url: str, disclaimer: str) -> str:
    """The Community Edition's EULA is not accepted and the stack does not ask to accept it."""
    quoted = disclaimer[:EULA_QUOTE_CHARS] + ("…" if len(disclaimer) > EULA_QUOTE_CHARS else "")
    return (f"Nexus at {url} is the Community Edition, which serves no repositories until its end user license "
            f"agreement (EULA) is accepted, and it is not accepted yet. Nexus says: \"{quoted}\". Read the EULA "
            f"in the Nexus UI (signed in as admin); to accept it through this stack, run "
            f"`pulumi config set {EULA_KEY} true` and `pulumi up` again. Nothing was accepted on your behalf")


def eula_edition_unknown(url: str, info: ServerInfo) -> str:
    """Nexus reports its EULA as not accepted, but it may be Pro (which reports the same and has nothing to accept)."""
    return (f"Nexus at {url} reports its Community Edition EULA as not accepted, but the program cannot tell which "
            f"edition it is: {info.describe()}. Pro reports the same and has nothing to accept, so nothing was sent. "
            f"Let Nexus' Server header through (set nexus.header.server=true in nexus.properties, or stop the proxy "
            f"in front of it from removing it) and run `pulumi up` again; or, on the Community Edition, accept the "
            f"EULA in the Nexus UI (signed in as admin)")


def plan_realms(active: Sequence[str], requested: Sequence[str], owned: Sequence[str] = ()
                ) -> tuple[list[str], list[str]]:
    """(new active list, realms this resource owns afterwards).

    Realms already active stay where they are; requested realms that are missing are appended in the requested
    order. A realm counts as ours when we activated it, now or earlier (`owned`). Realms we own that are no longer
    requested are deactivated again; realms somebody else activated are never touched.
    """
    released = [r for r in owned if r not in requested]
    kept = release_realms(active, released)
    new_active = kept + [r for r in requested if r not in kept]
    now_owned = [r for r in requested if r in owned or r not in active]
    return new_active, now_owned


def release_realms(active: Sequence[str], owned: Sequence[str]) -> list[str]:
    """The active list without the realms we own; the local authenticating realm always stays (admin login)."""
    return [r for r in active if r not in owned or r == LOCAL_AUTH_REALM]
