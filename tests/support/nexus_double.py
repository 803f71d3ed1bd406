"""A stateful stand-in for Nexus Repository 3.94's REST API, served over real HTTP on 127.0.0.1.

It reproduces what `shared/docs/nexus-api.md` documents for the calls our providers make, with the corrections of
its section 9 (Nexus' own source at 3.89). Each behaviour names the class it follows; [inf] marks what no source
settles. Security, authentication and the HTTP side are here; beside it in tests/support/: blob stores and
repositories in `nexus_double_storage`; status, read-only mode, the edition signals and the EULA in
`nexus_double_system`; S3 blob stores in `nexus_double_s3`; roles, local users and their logins in
`nexus_double_accounts`; who may read which docker repository under `/repository/<name>/v2/` in
`nexus_double_docker`; the answer shapes in `nexus_double_replies`.

- Realms (RealmApiResource): PUT replaces the list; unknown ids answer 400 text/plain
  `ValidationErrorXO{id='*', message='"Unknown realmIds: [X]"'}`, the message in double quotes.
- Anonymous access (AnonymousAccessApiResource): disabled on a fresh install (3.87+); PUT answers 200 with the saved
  settings; "Realm does not exist" unless realmName is installed: an active realm or NexusAuthorizingRealm.
- A body that is not JSON: 400 "Could not process the input: …" (JsonProcessingExceptionMapper).
- Basic auth with Nexus' challenge (NexusBasicHttpAuthenticationFilter); 401 for a wrong or missing login, 403 for
  a local user's (it holds no REST privilege).

Knobs for faults: `stop()`/`start()` (connection refused), `unavailable_next` (N x 503 from any path, as a gateway
or a starting Nexus gives), `starting`, `freeze()`, `server_header`, `system_information`, `eula_route`,
`delay()` (slow answers, for timeouts) and `force()` (one canned answer, e.g. a 400 or 401). `counts` counts
requests per method, `log` lists (method, path, status).

When the published spec is available every request and answer is validated with openapi-core
(`nexus_double_spec.SpecValidator`); the documented places where real Nexus and the spec disagree are listed in its
`SPEC_GAPS`.
"""
from __future__ import annotations

import base64
import re
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Callable, Optional
from urllib.parse import parse_qs, unquote, urlsplit

from tests.support.nexus_double_accounts import ACCOUNT_ROUTES, AccountsEndpoints, request_payload
from tests.support.nexus_double_docker import DockerReadEndpoints
from tests.support.nexus_double_replies import (API, Reply, empty, frozen_error, json_reply, message_error, text_reply,
                                        unreadable_json, validation_errors)
from tests.support.nexus_double_housekeeping import HOUSEKEEPING_ROUTES, HousekeepingEndpoints
from tests.support.nexus_double_s3 import S3_ROUTES, S3BlobStoreEndpoints
from tests.support.nexus_double_storage import StorageEndpoints, lookup
from tests.support.nexus_double_system import EULA_DISCLAIMER, SYSTEM_ROUTES, Frozen, SystemEndpoints

if TYPE_CHECKING:
    from tests.support.nexus_double_spec import SpecValidator

__all__ = ["API", "CHALLENGE", "EULA_DISCLAIMER", "NexusDouble", "Reply", "empty", "json_reply", "message_error",
           "validation_errors"]

VERSION = "3.94.0-12"
CHALLENGE = 'BASIC realm="Sonatype Nexus Repository Manager"'
METRICS_PATH = "/service/metrics/prometheus"
AUTHORIZING_REALM = "NexusAuthorizingRealm"       # installed, but hidden from the lists since 3.60
# What a 3.59+ server lists as available.
AVAILABLE_REALMS = {
    "ConanToken": "Conan Bearer Token Realm", "DefaultRole": "Default Role Realm",
    "DockerToken": "Docker Bearer Token Realm", "LdapRealm": "LDAP Realm",
    "NexusAuthenticatingRealm": "Local Authenticating Realm", "NpmToken": "npm Bearer Token Realm",
    "NuGetApiKey": "NuGet API-Key Realm", "rutauth-realm": "Rut Auth Realm",
}


# --------------------------------------------------------------------------------------------------------------
# The double

class NexusDouble(DockerReadEndpoints, AccountsEndpoints, StorageEndpoints, S3BlobStoreEndpoints, SystemEndpoints,
                  HousekeepingEndpoints):
    """The double: state, fault knobs and an HTTP server. Use `with NexusDouble(...) as nexus:` or start/stop."""

    def __init__(self, *, password: str = "double-admin-pw", edition: str = "COMMUNITY",
                 validator: Optional["SpecValidator"] = None):
        super().__init__()
        self.password, self.edition, self.validator, self.version = password, edition, validator, VERSION
        self.lock = threading.RLock()
        self.blob_stores: dict[str, dict] = {"default": {"name": "default", "path": "default"}}
        # A fresh install's repositories live on `default` (one kept: enough for 'in use' and format checks).
        self.repositories: dict[str, dict] = {"maven-releases": {
            "name": "maven-releases", "format": "maven2", "type": "hosted", "online": True,
            "storage": {"blobStoreName": "default", "strictContentTypeValidation": False, "writePolicy": "ALLOW_ONCE"}}}
        self.active_realms: list[str] = ["NexusAuthenticatingRealm"]
        self.anonymous = {"enabled": False, "userId": "anonymous", "realmName": AUTHORIZING_REALM}   # 3.87+
        self._init_housekeeping()          # cleanup policies, tasks, quota status (nexus_double_housekeeping.py)
        self._init_s3()                    # what the object store behind S3 blob stores accepts (nexus_double_s3.py)
        # fault knobs (the system ones are in SystemEndpoints)
        self.unavailable_next = 0          # the next N requests (any path) answer 503
        self.component_count = 0           # what /service/metrics/prometheus reports
        self.query: dict[str, list[str]] = {}   # the query of the request being dispatched (under the lock)
        self._delays: list[tuple[str, str, float]] = []
        self._forced: list[tuple[str, str, Reply]] = []
        # observation
        self.counts: Counter = Counter()
        self.log: list[tuple[str, str, int]] = []
        self._server: Optional[ThreadingHTTPServer] = None
        self.port = 0

    # ---- lifecycle -------------------------------------------------------------------------------------------
    def start(self) -> "NexusDouble":
        handler = type("Handler", (_Handler,), {"double": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop listening: connections are refused until `start()` (same port, same state)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "NexusDouble":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def writes(self) -> int:
        return sum(self.counts[m] for m in ("POST", "PUT", "DELETE"))

    # ---- fault knobs -----------------------------------------------------------------------------------------
    def delay(self, method: str, path_prefix: str, seconds: float) -> None:
        """Answer matching requests only after `seconds` (they are processed after the wait)."""
        self._delays.append((method, path_prefix, seconds))

    def force(self, method: str, path_prefix: str, reply: Reply) -> None:
        """Answer the next matching request with `reply` instead of processing it."""
        self._forced.append((method, path_prefix, reply))

    def _take_forced(self, method: str, path: str) -> Optional[Reply]:
        for i, (m, prefix, reply) in enumerate(self._forced):
            if m == method and path.startswith(prefix):
                del self._forced[i]
                return reply
        return None

    def _delay_for(self, method: str, path: str) -> float:
        return sum(s for m, prefix, s in self._delays if m == method and path.startswith(prefix))

    # ---- behind-Pulumi's-back helpers (drift) ---------------------------------------------------------------
    def repository(self, name: str) -> Optional[dict]:
        return lookup(self.repositories, name)

    # ---- request dispatch ------------------------------------------------------------------------------------
    def handle(self, method: str, path: str, headers: dict, body: bytes) -> Reply:
        path, _, query = path.partition("?")
        with self.lock:
            self.counts[method] += 1
        time.sleep(self._delay_for(method, path))
        with self.lock:
            forced = self._take_forced(method, path)
            if forced is not None:
                return forced
            if self.unavailable_next > 0:
                self.unavailable_next -= 1
                return empty(503)
        if path in ("/v1/status", "/v1/status/writable"):
            return self.status_reply(path)
        if not self._authorised(headers.get("Authorization", "")):
            return self.account_refusal(headers.get("Authorization", ""))   # 403 for a local user, else 401
        try:
            payload = request_payload(headers, body)         # JSON, or text/plain (change-password)
        except ValueError as exc:
            return unreadable_json(exc.msg)
        with self.lock:
            self.query = parse_qs(query)
            for route_method, pattern, action in _ROUTES:
                match = re.fullmatch(pattern, path)
                if match and route_method == method:
                    try:
                        return action(self, payload, *[unquote(g) for g in match.groups()])
                    except Frozen:
                        return frozen_error()
        return empty(404)

    def _authorised(self, header: str) -> bool:
        expected = "Basic " + base64.b64encode(f"admin:{self.password}".encode()).decode()
        return header == expected

    # ---- security --------------------------------------------------------------------------------------------
    def available_realms(self, _body: Any) -> Reply:
        return json_reply(200, [{"id": i, "name": n} for i, n in sorted(AVAILABLE_REALMS.items(),
                                                                      key=lambda kv: kv[1].lower())])

    def get_active_realms(self, _body: Any) -> Reply:
        return json_reply(200, list(self.active_realms))

    def put_active_realms(self, body: Any) -> Reply:
        unknown = [r for r in body or [] if r not in AVAILABLE_REALMS]
        if unknown:
            return text_reply(400, "ValidationErrorXO{id='*', message='\"Unknown realmIds: "
                                   f"[{', '.join(unknown)}]\"'}}")
        self.check_writable()
        self.active_realms = list(body)
        return empty(204)

    def get_anonymous(self, _body: Any) -> Reply:
        return json_reply(200, dict(self.anonymous))

    def put_anonymous(self, body: Any) -> Reply:
        body = body or {}
        blank = [(f"PARAMETER {k}", "must not be blank") for k in ("userId", "realmName") if not body.get(k)]
        if blank:
            return validation_errors(*blank)
        if body["realmName"] not in {*self.active_realms, AUTHORIZING_REALM}:     # the installed realms
            return validation_errors(("realmName", "Realm does not exist"))
        self.check_writable()
        self.anonymous = {"enabled": bool(body.get("enabled")), "userId": body["userId"],
                          "realmName": body["realmName"]}
        return json_reply(200, dict(self.anonymous))


_NAME = r"([^/]+)"
_ROUTES: tuple[tuple[str, str, Callable[..., Reply]], ...] = SYSTEM_ROUTES + (
    ("GET", r"/v1/blobstores", NexusDouble.list_blob_stores),
    ("POST", r"/v1/blobstores/file", NexusDouble.create_blob_store),
    ("GET", rf"/v1/blobstores/file/{_NAME}", NexusDouble.get_blob_store),
    ("PUT", rf"/v1/blobstores/file/{_NAME}", NexusDouble.update_blob_store),
    ("DELETE", rf"/v1/blobstores/{_NAME}", NexusDouble.delete_blob_store),
    ("GET", r"/v1/repositories", NexusDouble.list_repositories),
    ("POST", r"/v1/repositories/docker/(hosted|proxy|group)", NexusDouble.create_repository),
    ("GET", rf"/v1/repositories/docker/(hosted|proxy|group)/{_NAME}", NexusDouble.get_repository),
    ("PUT", rf"/v1/repositories/docker/(hosted|proxy|group)/{_NAME}", NexusDouble.update_repository),
    ("DELETE", rf"/v1/repositories/{_NAME}", NexusDouble.delete_repository),
    ("GET", r"/v1/security/realms/available", NexusDouble.available_realms),
    ("GET", r"/v1/security/realms/active", NexusDouble.get_active_realms),
    ("PUT", r"/v1/security/realms/active", NexusDouble.put_active_realms),
    ("GET", r"/v1/security/anonymous", NexusDouble.get_anonymous),
    ("PUT", r"/v1/security/anonymous", NexusDouble.put_anonymous),
) + S3_ROUTES + HOUSEKEEPING_ROUTES + ACCOUNT_ROUTES


class _Handler(BaseHTTPRequestHandler):
    double: NexusDouble

    def send_response(self, code: int, message: Optional[str] = None) -> None:
        # BaseHTTPRequestHandler always sends `Server`; Nexus sends its own (EnvironmentFilter), or none when off.
        self.send_response_only(code, message)
        if self.double.server_header_value is not None:
            self.send_header("Server", self.double.server_header_value)
        self.send_header("Date", self.date_time_string())

    def log_message(self, *args: Any) -> None:   # keep pytest output clean
        pass

    def _serve(self) -> None:
        double = self.double
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        url = urlsplit(self.path)
        path = url.path
        if path == METRICS_PATH and self.command == "GET":      # outside the REST API (and its spec)
            reply = double.metrics_prometheus(self.headers.get("Authorization", ""))
            double.log.append((self.command, path, reply.status))
            self._send(reply, {**reply.headers, **({"Content-Type": reply.content_type} if reply.content_type else {})})
            return
        docker = path.startswith("/repository/")         # the docker API, which the REST spec does not describe
        if docker:
            with double.lock:
                double.counts[self.command] += 1
                reply = double.docker_request(self.command, path, self.headers.get("Host", ""),
                                              self.headers.get("Authorization", ""))
        elif not path.startswith(API + "/"):
            reply = empty(404)
        else:
            below_api = path.removeprefix(API) + (f"?{url.query}" if url.query else "")
            reply = double.handle(self.command, below_api, dict(self.headers), body)
        if reply.content_type == "validation":
            accept = self.headers.get("Accept", "")
            reply.content_type = ("application/json" if "application/json" in accept
                                  else "application/vnd.siesta-validation-errors-v1+json")
        headers = dict(reply.headers)
        if reply.content_type:
            headers["Content-Type"] = reply.content_type
        double.log.append((self.command, path, reply.status))
        if double.validator is not None and not docker:
            url = f"http://{self.headers.get('Host', f'127.0.0.1:{double.port}')}{self.path}"
            double.validator.check(self.command, url, dict(self.headers), body, reply, headers)
        self._send(reply, headers)

    def _send(self, reply: Reply, headers: dict) -> None:
        try:
            self.send_response(reply.status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass                                    # the client gave up (timeout test)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = _serve
