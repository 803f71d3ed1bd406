"""Which Nexus edition answers, from the signals it gives. Plain data in and out; the client fetches them.

- The `Server` header, `Nexus/<version> (<EDITION>)` (EnvironmentFilter): `PRO`, `COMMUNITY` (3.77+), `OSS`
  (older), or `CORE` for a build from the public source (nexus-open-core-edition). Since 3.89 it can be switched off
  (`nexus.header.server=false`), and a proxy may strip it, so it is trusted only when it names a released edition.
- `GET /beta/system/information` (nexus:*; listed in the 3.94 spec and by a 3.79 Community server): per node the
  `nexus-status` section of SystemInformationGeneratorImpl, `{version, edition, …}`. How the sections and node ids
  nest is not in the public source (NodeHeartbeatManager's implementation is closed); a third-party client reads
  section → node id → data, and both nestings are accepted here.
- Neither: the edition is `UNKNOWN`. A Pro feature is then sent and Nexus decides; the EULA is not accepted
  (server_settings_payloads.community_eula_applies).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Optional

SYSTEM_INFORMATION_PATH = "/beta/system/information"
PRO, COMMUNITY, OSS, CORE, UNKNOWN = "PRO", "COMMUNITY", "OSS", "CORE", "UNKNOWN"
RELEASED = frozenset({PRO, COMMUNITY, OSS})     # editions a Server header is trusted for
HEADER = "its Server header"
_SERVER_HEADER = re.compile(r"Nexus/(?P<version>\S+)\s+\((?P<edition>[A-Z]+)\)")


@dataclass(frozen=True)
class ServerInfo:
    version: Optional[str]
    edition: str                 # PRO, COMMUNITY, OSS, CORE or UNKNOWN
    source: str = field(default=HEADER, compare=False)   # where it was read, or why it is unknown

    @classmethod
    def parse(cls, header: Optional[str]) -> Optional["ServerInfo"]:
        match = _SERVER_HEADER.search(header or "")
        return cls(match["version"], match["edition"]) if match else None

    @property
    def trusted(self) -> bool:
        """A Server header naming a released edition, or an edition Nexus reported in its system information."""
        return self.edition in RELEASED or (self.edition == CORE and self.source != HEADER)

    def describe(self) -> str:
        if self.edition == UNKNOWN:
            return f"an edition it does not show ({self.source})"
        return f"{self.version or 'an unknown version'} ({self.edition}) according to {self.source}"


def edition_from_system_information(body: Any) -> Optional[ServerInfo]:
    """The `nexus-status` {version, edition} of the first node in GET /beta/system/information, or None."""
    if not isinstance(body, dict):
        return None
    by_node = body.get("nexus-status")                                   # section -> node id -> data
    candidates = list(by_node.values()) if isinstance(by_node, dict) else []
    candidates += [node.get("nexus-status") for node in body.values() if isinstance(node, dict)]   # node first
    for status in candidates:
        if isinstance(status, dict) and isinstance(status.get("edition"), str) and status["edition"]:
            return ServerInfo(status.get("version"), status["edition"].upper(), f"GET {SYSTEM_INFORMATION_PATH}")
    return None


def unknown_edition(header: Optional[ServerInfo], why_not: str) -> ServerInfo:
    """The edition could not be told: what the header said (or that there was none) and why the fallback failed."""
    seen = f"its Server header says {header.edition}" if header else "it sends no Server header"
    return ServerInfo(header.version if header else None, UNKNOWN,
                      f"{seen} (nexus.header.server=false, a proxy that strips it, or a build from source), and "
                      f"GET {SYSTEM_INFORMATION_PATH} {why_not}")
