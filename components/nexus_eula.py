"""The Community Edition EULA: whether an edition has to accept it, and what to tell the operator. Plain data.

Nexus Community Edition (3.77+) serves no repositories until its end user license agreement is accepted. The REST
resource (CommunityEulaApiResource, `/v1/system/eula`) is registered with no edition check, so Pro most likely
answers `200 {accepted: false}` too (nexus-api §9; not seen live): whether there is something to accept is decided
from the edition, never from the endpoint, and an acceptance is never sent to a server that is not known to be the
Community Edition. A 404 (OSS before 3.77, a route a proxy strips) also means nothing to accept.
"""
from __future__ import annotations

from typing import Optional

from components.nexus_api import EULA_KEY
from components.nexus_edition import COMMUNITY, UNKNOWN, ServerInfo

EULA_PATH = "/v1/system/eula"
EULA_QUOTE_CHARS = 300                  # how much of the disclaimer a refusal quotes


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
