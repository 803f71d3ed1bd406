"""The Nexus double's system side: status probes, read-only (frozen) mode, the edition signals and the EULA.

Each behaviour names the class in Nexus' source it follows (nexus-api §9: sonatype/nexus-public at 3.89, or the
3.77 export where §9 changes nothing); what no source settles is marked [inf].

- Status (StatusResource): `/v1/status` is 200 unless Nexus is `starting`; `/v1/status/writable` is 503 while
  starting or frozen (`isWritable` asks FreezeService#isFrozen first).
- Read-only mode (LocalFreezeService, FreezeResource, FrozenExceptionMapper): `freeze()` adds a freeze request, by an
  administrator (the REST/UI "freeze", kept across restarts) or by a system task (`task=`, e.g. a database backup).
  While any request is open every write answers 503 "Nexus Repository Manager is in read-only mode: (ID …)".
  `GET /v1/read-only` gives {frozen, summaryReason, systemInitiated}; `POST /v1/read-only/release` drops the
  administrator's request only (404 when there is none: "No change to read-only state", empty body);
  `/force-release` drops all; `/freeze` adds the administrator's (404 when it is already there).
  [inf] which writes are refused: the double refuses each write where it would change its state, after the
  request's own validation (FrozenChecker refuses at the database write).
- Edition signals: the `Server` header `Nexus/<version> (<EDITION>)` (EnvironmentFilter) unless `server_header` is
  off (3.89 `nexus.header.server=false`, or a proxy that strips it); `CORE` is the edition of a build from the
  public source (ApplicationVersionImpl in nexus-open-core-edition). `GET /beta/system/information` (in the 3.94
  spec; nexus:*) carries `nexus-status` {version, edition, buildRevision, buildTimestamp}
  (SystemInformationGeneratorImpl#reportNexusStatus) [inf: laid out section → node id → data, as a third-party
  client reads it; NodeHeartbeatManager's implementation is closed source]. `system_information = False`
  answers 404, as a server without it would.
- EULA (CommunityEulaApiResource): registered with no edition check, so Community, Pro and source builds all answer
  [inf for Pro: §9 "most likely", not seen live]; OSS (before 3.77) and `eula_route = False` (a route a proxy
  strips) answer 404. GET {accepted, disclaimer}. POST: a disclaimer other than Nexus' own is a 500
  IllegalArgumentException "Invalid EULA disclaimer" (3.77 source); since 3.78 `accepted:false` is a 500 "EULA must
  be accepted" [inf: the exception class]; since 3.82 accepting again answers 204 and changes nothing.
  The EULA gates nothing here: nothing in the public source gates REST calls on it (§9).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Optional

from tests.support.nexus_double_replies import Reply, empty, json_reply, unexpected_error

NODE_ID = "8F1C5A2E-D3B74C91-A6E0F4B2-7C9D1E3A-5B6F8A0C"     # a made-up node id in Nexus' format
# A stand-in for Nexus' disclaimer (the real 3.77 text is one line with curly quotes, about 360 characters):
# several lines, non-ASCII quotes and over 300 characters, so only a byte-exact echo is accepted.
EULA_DISCLAIMER = (
    "Use of this Nexus Repository Community Edition stand-in is governed by the End User License Agreement at\n"
    "https://links.sonatype.com/products/nxrm/ce-eula. By changing the value from \u2018accepted:false\u2019 to\n"
    "\u2018accepted:true\u2019, you acknowledge that you have read and agree to the End User License Agreement\n"
    "at https://links.sonatype.com/products/nxrm/ce-eula (test double text, not Sonatype\u2019s).")


class Frozen(Exception):
    """Raised by a write while Nexus is frozen; the dispatcher answers it as FrozenExceptionMapper does."""


class SystemEndpoints:
    """Mixed into NexusDouble: the state and handlers of the system side (see the module docstring)."""

    version: str
    edition: str

    def __init__(self) -> None:
        self.starting = False              # /v1/status and /v1/status/writable answer 503
        self.server_header = True          # False: no Server header (nexus.header.server=false, or a proxy)
        self.system_information = True     # False: /beta/system/information answers 404
        self.eula_route = True             # False: /v1/system/eula answers 404 (a stripped route)
        self.eula_accepted = False         # a fresh install
        self.freeze_requests: list[tuple[Optional[str], datetime]] = []   # (task token or None: administrator, at)

    # ---- read-only mode ----------------------------------------------------------------------------------------
    @property
    def frozen(self) -> bool:
        return bool(self.freeze_requests)

    def freeze(self, task: Optional[str] = None) -> bool:
        """A freeze request by an administrator (task None) or by a system task; False when it is already open."""
        if any(token == task for token, _ in self.freeze_requests):
            return False
        self.freeze_requests.append((task, datetime.now(timezone.utc)))
        return True

    def release(self, task: Optional[str] = None) -> bool:
        """Drop the administrator's (or one task's) freeze request; False when there was none."""
        kept = [r for r in self.freeze_requests if r[0] != task]
        released, self.freeze_requests = len(kept) != len(self.freeze_requests), kept
        return released

    def check_writable(self) -> None:
        """Called by every handler just before it changes state (FreezeService#checkWritable)."""
        if self.frozen:
            raise Frozen()

    def get_read_only(self, _body: Any) -> Reply:
        # ReadOnlyState as Jackson writes it, with the detail an admin (nexus:settings:read) gets.
        admin = next((at for token, at in self.freeze_requests if token is None), None)
        if not self.frozen:
            reason = ""
        elif admin is not None:
            reason = f"Requested by an administrator at {admin:%Y-%m-%d %H:%M:%S} +00:00"
        else:
            reason = f"{len(self.freeze_requests)} running system task(s)"
        return json_reply(200, {"frozen": self.frozen, "summaryReason": reason,
                                "systemInitiated": any(token is not None for token, _ in self.freeze_requests)})

    def post_freeze(self, _body: Any) -> Reply:
        return empty(204 if self.freeze() else 404)

    def post_release(self, _body: Any) -> Reply:
        return empty(204 if self.release() else 404)

    def post_force_release(self, _body: Any) -> Reply:
        self.freeze_requests = []
        return empty(204)

    # ---- status and edition ------------------------------------------------------------------------------------
    def status_reply(self, path: str) -> Reply:
        unavailable = self.starting or (path.endswith("/writable") and self.frozen)
        return empty(503 if unavailable else 200)

    @property
    def server_header_value(self) -> Optional[str]:
        return f"Nexus/{self.version} ({self.edition})" if self.server_header else None

    def get_system_information(self, _body: Any) -> Reply:
        if not self.system_information:
            return empty(404)
        return json_reply(200, {
            "nexus-status": {NODE_ID: {"version": self.version, "edition": self.edition,
                                       "buildRevision": "0123abcd", "buildTimestamp": "2026-01-01-0000-00000"}},
            "nexus-node": {NODE_ID: {"node-id": NODE_ID, "deployment-id": "deployment-1"}},
        })

    # ---- EULA --------------------------------------------------------------------------------------------------
    def _eula_served(self) -> bool:
        return self.eula_route and self.edition != "OSS"

    def get_eula(self, _body: Any) -> Reply:
        if not self._eula_served():
            return empty(404)
        return json_reply(200, {"accepted": self.eula_accepted, "disclaimer": EULA_DISCLAIMER})

    def post_eula(self, body: Any) -> Reply:
        if not self._eula_served():
            return empty(404)
        body = body if isinstance(body, dict) else {}
        if body.get("disclaimer") != EULA_DISCLAIMER:
            return unexpected_error("java.lang.IllegalArgumentException: Invalid EULA disclaimer")
        if not body.get("accepted"):
            return unexpected_error("java.lang.IllegalArgumentException: EULA must be accepted")
        if not self.eula_accepted:                     # 3.82+: accepting again changes nothing
            self.check_writable()
            self.eula_accepted = True
        return empty(204)


SYSTEM_ROUTES: tuple[tuple[str, str, Any], ...] = (
    ("GET", r"/v1/read-only", SystemEndpoints.get_read_only),
    ("POST", r"/v1/read-only/freeze", SystemEndpoints.post_freeze),
    ("POST", r"/v1/read-only/release", SystemEndpoints.post_release),
    ("POST", r"/v1/read-only/force-release", SystemEndpoints.post_force_release),
    ("GET", r"/beta/system/information", SystemEndpoints.get_system_information),
    ("GET", r"/v1/system/eula", SystemEndpoints.get_eula),
    ("POST", r"/v1/system/eula", SystemEndpoints.post_eula),
)
