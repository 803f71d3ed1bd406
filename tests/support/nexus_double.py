"""A stateful stand-in for Nexus Repository 3.94's REST API, served over real HTTP on 127.0.0.1.

It reproduces what `shared/docs/nexus-api.md` documents for the calls our providers make: status codes
(repository POST 201 / PUT 204 / DELETE 204, blob store POST 204, realm PUT 204, anonymous PUT 200 with the
saved object), the three error body shapes, case-insensitive names, member / blob store checks, the blob store
move refusal, "in use" on blob store delete, group clean-up on repository delete, realm list semantics, Basic
auth with Nexus' challenge, the `Server` header, readiness (503 while starting), and the Community Edition
EULA (`eula_accepted`, `EULA_DISCLAIMER`; a 404 on other editions). The EULA gates nothing here: what a real
server blocks before acceptance is not known precisely, so the double does not guess.

Knobs for faults: `stop()`/`start()` (connection refused), `unavailable_next` (N x 503 from any path),
`starting` / `read_only` (status endpoints), `delay()` (slow answers, for timeouts) and `force()` (one canned
answer, e.g. a 400 or 401). `counts` counts requests per method.

When the published spec is available every request and answer is validated with openapi-core
(`SpecValidator`); the documented places where real Nexus and the spec disagree are listed in `SPEC_GAPS`.
"""
from __future__ import annotations

import base64
import functools
import json
import os
import re
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Optional
from urllib.parse import parse_qs, unquote, urlsplit

import requests

# Accounts (roles, users, privileges, user logins) live in their own module: see nexus_double_accounts.py.
from tests.support.nexus_double_accounts import ACCOUNT_ROUTES, ACCOUNT_SPEC_GAPS, AccountsDouble, request_payload

API = "/service/rest"
VERSION = "3.94.0-12"
NAME_RE = re.compile(r"^[a-zA-Z0-9\-]{1}[a-zA-Z0-9_\-\.]*$")
NAME_MESSAGE = ("Only letters, digits, underscores(_), hyphens(-), and dots(.) are allowed and may not start "
                "with underscore or dot.")
CHALLENGE = 'BASIC realm="Sonatype Nexus Repository Manager"'
# What a 3.59+ server lists as available (NexusAuthorizingRealm is hidden since 3.60).
AVAILABLE_REALMS = {
    "ConanToken": "Conan Bearer Token Realm", "DefaultRole": "Default Role Realm",
    "DockerToken": "Docker Bearer Token Realm", "LdapRealm": "LDAP Realm",
    "NexusAuthenticatingRealm": "Local Authenticating Realm", "NpmToken": "npm Bearer Token Realm",
    "NuGetApiKey": "NuGet API-Key Realm", "rutauth-realm": "Rut Auth Realm",
}
KNOWN_REALMS = set(AVAILABLE_REALMS) | {"NexusAuthorizingRealm"}   # what the security manager knows
JETTY_PORT = 8081
# A stand-in for Nexus' disclaimer (the real 3.77 text is one line with curly quotes, about 360 characters):
# several lines, non-ASCII quotes and over 300 characters, so only a byte-exact echo is accepted.
EULA_DISCLAIMER = (
    "Use of this Nexus Repository Community Edition stand-in is governed by the End User License Agreement at\n"
    "https://links.sonatype.com/products/nxrm/ce-eula. By changing the value from \u2018accepted:false\u2019 to\n"
    "\u2018accepted:true\u2019, you acknowledge that you have read and agree to the End User License Agreement\n"
    "at https://links.sonatype.com/products/nxrm/ce-eula (test double text, not Sonatype\u2019s).")


# --------------------------------------------------------------------------------------------------------------
# Answers in Nexus' shapes

@dataclass
class Reply:
    status: int
    body: bytes = b""
    content_type: Optional[str] = None
    headers: dict = field(default_factory=dict)


def empty(status: int) -> Reply:
    """Shape 3: a WebApplicationException without an entity (404 on PUT/DELETE, 403, 201/204 successes)."""
    return Reply(status)


def json_reply(status: int, data: Any) -> Reply:
    return Reply(status, json.dumps(data).encode(), "application/json")


def validation_errors(*pairs: tuple[str, str]) -> Reply:
    """Shape 1: 400 with [{"id","message"}]; the content type is fixed up from the request's Accept header."""
    return Reply(400, json.dumps([{"id": i, "message": m} for i, m in pairs]).encode(), "validation")


def message_error(status: int, text: str, *, quoted: bool = True) -> Reply:
    """Shape 2: {"id":"*","message":"\\"text\\""} (most call sites pre-quote the text)."""
    return json_reply(status, {"id": "*", "message": json.dumps(text) if quoted else text})


def text_reply(status: int, text: str) -> Reply:
    return Reply(status, text.encode(), "text/plain")


def unexpected_error(exception: str) -> Reply:
    """Shape 4: an unmapped exception, 500 text/plain `ERROR: (ID <uuid>) <exception>` plus X-Siesta-FaultId."""
    fault_id = str(uuid.uuid4())
    return Reply(500, f"ERROR: (ID {fault_id}) {exception}".encode(), "text/plain",
                 {"X-Siesta-FaultId": fault_id})


# --------------------------------------------------------------------------------------------------------------
# Spec validation

def spec_path() -> Path:
    """shared/nexus/openapi.yaml beside the repository (the layout in CI too); NEXUS_OPENAPI_SPEC overrides."""
    override = os.environ.get("NEXUS_OPENAPI_SPEC")
    return Path(override) if override else Path(__file__).resolve().parents[2].parent / "shared/nexus/openapi.yaml"


@functools.lru_cache(maxsize=1)
def load_spec(path: str):
    """The parsed spec (632 KB, about a second), loaded once per process; None when the file is missing."""
    if not Path(path).is_file():
        return None
    from openapi_core import Config, OpenAPI
    # The file has schema glitches (e.g. nullable: 'true') that the strict spec check refuses.
    return OpenAPI.from_file_path(path, config=Config(spec_validator_cls=None))


@dataclass(frozen=True)
class SpecGap:
    """A documented real behaviour the spec does not describe: excused for this method, path and status only."""
    method: str
    path: str                        # regex on the path below /service/rest
    status: Optional[int]            # None: a request-side gap
    errors: tuple[str, ...]          # openapi-core error class names (of the error, its cause or schema errors)
    reason: str

    def covers(self, method: str, path: str, status: Optional[int], errors: set[str]) -> bool:
        return (self.method in (method, "*") and re.fullmatch(self.path, path) is not None
                and self.status == status and bool(errors.intersection(self.errors)))


REPO_FORMAT_PATH = r"/v1/repositories/docker/(hosted|proxy|group)"
# Empty-body answers (nexus-api §1 error shape 3) on endpoints whose spec has only a JSON 'default' response
# (realms, blob store list and delete) fail as MissingData; on others an unlisted status is ResponseNotFound.
_UNLISTED = ("ResponseNotFound", "MissingData")
SPEC_GAPS: tuple[SpecGap, ...] = (
    SpecGap("GET", r"/v1/status(/writable)?", None, ("SecurityNotFound",),
            "nexus-api §2.9/§5: the status endpoints need no login (probes send none); the spec's global "
            "BasicAuth requirement is not overridden for them"),
    SpecGap("*", r".*", 401, _UNLISTED,
            "nexus-api §1: a missing or wrong login answers 401, empty body, on every endpoint; the spec lists "
            "401 on a few"),
    SpecGap("*", r".*", 403, _UNLISTED,
            "nexus-api §1: a missing privilege answers 403 with an empty body on every endpoint"),
    SpecGap("*", r".*", 503, _UNLISTED,
            "injected fault: 503 while Nexus starts or from a gateway in front of it; not a Nexus API answer"),
    SpecGap("GET", REPO_FORMAT_PATH + r"/[^/]+", 404, ("ResponseNotFound",),
            "nexus-api §3: an unknown repository (or one of another format/type) is 404 with a message body; "
            "the spec lists only 200"),
    SpecGap("POST", REPO_FORMAT_PATH, 400, ("ResponseNotFound",),
            "nexus-api §3: validation, missing member/blob store and duplicate names answer 400; the spec lists "
            "only 201/401/403"),
    SpecGap("POST", r"/v1/blobstores/file", 400, ("ResponseNotFound",),
            "nexus-api §2.5: missing fields or a duplicate name answer 400; the spec lists only 204/403"),
    SpecGap("DELETE", r"/v1/blobstores/[^/]+", 204, ("MissingData",),
            "nexus-api §2.5: DELETE answers 204 without a body; the spec has only a JSON 'default' response"),
    SpecGap("PUT", r"/v1/security/realms/active", 204, ("MissingData",),
            "nexus-api §2.6: PUT answers 204 without a body; the spec has only a JSON 'default' response"),
    SpecGap("PUT", r"/v1/security/realms/active", 400, ("MediaTypeNotFound",),
            "nexus-api §2.6: unknown realm ids answer 400 with a text/plain body"),
    SpecGap("GET", r"/v1/security/anonymous", 200, ("ResponseNotFound",),
            "nexus-api §2.7: GET answers 200 with the settings; the spec lists only 403"),
    SpecGap("PUT", r"/v1/security/anonymous", 200, ("ResponseNotFound",),
            "nexus-api §2.7: PUT answers 200 with the saved settings; the spec lists only 403"),
    SpecGap("PUT", r"/v1/security/anonymous", 400, ("ResponseNotFound",),
            "nexus-api §2.7: an unknown realmName or a blank field answers 400 with a validation list"),
    SpecGap("*", r"/v1/system/eula", 404, ("ResponseNotFound",),
            "nexus-api §2.10 (inferred): Pro, and OSS before 3.77, have no EULA endpoint, so GET and POST answer "
            "404 with an empty body; the spec describes the Community Edition"),
) + tuple(SpecGap(*gap) for gap in ACCOUNT_SPEC_GAPS)


class SpecValidator:
    """Validates traffic against the spec with openapi-core's `requests` integration; collects problems."""

    def __init__(self, spec: Any, gaps: tuple[SpecGap, ...] = SPEC_GAPS):
        self.spec, self.gaps = spec, gaps
        self.violations: list[str] = []
        self.excused: list[tuple[SpecGap, str]] = []
        self.checked = 0
        self._lock = threading.Lock()

    @property
    def skipped(self) -> bool:
        return self.spec is None

    def check(self, method: str, url: str, headers: dict, body: bytes, reply: Reply, reply_headers: dict) -> None:
        if self.spec is None:
            return
        from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
        request = RequestsOpenAPIRequest(requests.Request(method, url, headers=headers, data=body or None))
        response = requests.Response()
        response.status_code, response._content = reply.status, reply.body
        response.headers.update(reply_headers)
        path = urlsplit(url).path.removeprefix(API)
        with self._lock:
            self.checked += 1
            self._run(lambda: self.spec.validate_request(request), method, path, None)
            self._run(lambda: self.spec.validate_response(request, RequestsOpenAPIResponse(response)),
                      method, path, reply.status)

    def _run(self, validate: Callable[[], None], method: str, path: str, status: Optional[int]) -> None:
        try:
            validate()
        except Exception as exc:    # openapi-core raises a family of errors; each is recorded, none hidden
            errors = {type(e).__name__ for e in (exc, exc.__cause__, *getattr(exc, "schema_errors", ())) if e}
            detail = f"{method} {path} {'request' if status is None else status}: {type(exc).__name__}: " \
                     f"{exc} {exc.__cause__ or ''}".strip()
            gap = next((g for g in self.gaps if g.covers(method, path, status, errors)), None)
            if gap is None:
                self.violations.append(detail)
            else:
                self.excused.append((gap, detail))


# --------------------------------------------------------------------------------------------------------------
# State

def _lookup(table: dict, name: str) -> Optional[dict]:
    return table.get(name.lower())        # Nexus keeps a lower-cased name map


def _missing_required(body: dict, paths: tuple[str, ...]) -> list[tuple[str, str]]:
    """Bean validation: one `PARAMETER <leaf>` 'must not be null' per missing dotted path."""
    problems = []
    for dotted in paths:
        node: Any = body
        for part in dotted.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            problems.append((f"PARAMETER {dotted.split('.')[-1]}", "must not be null"))
    return problems


REQUIRED_REPO_FIELDS = {
    "hosted": ("name", "online", "storage", "storage.blobStoreName", "storage.strictContentTypeValidation",
               "storage.writePolicy", "docker", "docker.v1Enabled", "docker.forceBasicAuth"),
    "proxy": ("name", "online", "storage", "storage.blobStoreName", "storage.strictContentTypeValidation",
              "docker", "docker.v1Enabled", "docker.forceBasicAuth", "proxy", "proxy.remoteUrl",
              "proxy.contentMaxAge", "proxy.metadataMaxAge", "negativeCache", "negativeCache.enabled",
              "negativeCache.timeToLive", "httpClient", "dockerProxy", "dockerProxy.indexType"),
    "group": ("name", "online", "storage", "storage.blobStoreName", "storage.strictContentTypeValidation",
              "group", "group.memberNames", "docker", "docker.v1Enabled", "docker.forceBasicAuth"),
}


class NexusDouble(AccountsDouble):
    """The double: state, fault knobs and an HTTP server. Use `with NexusDouble(...) as nexus:` or start/stop."""

    def __init__(self, *, password: str = "double-admin-pw", edition: str = "COMMUNITY",
                 validator: Optional[SpecValidator] = None):
        self.password, self.edition, self.validator = password, edition, validator
        self.lock = threading.RLock()
        self.blob_stores: dict[str, dict] = {"default": {"name": "default", "path": "default"}}
        # A fresh install's repositories live on `default` (one kept: enough for 'in use' and format checks).
        self.repositories: dict[str, dict] = {"maven-releases": {
            "name": "maven-releases", "format": "maven2", "type": "hosted", "online": True,
            "storage": {"blobStoreName": "default", "strictContentTypeValidation": False, "writePolicy": "ALLOW_ONCE"}}}
        self.active_realms: list[str] = ["NexusAuthenticatingRealm"]
        self.anonymous = {"enabled": True, "userId": "anonymous", "realmName": "NexusAuthorizingRealm"}
        self.eula_accepted = False         # a fresh Community Edition install; only COMMUNITY has the endpoint
        self.query: dict[str, list[str]] = {}   # the query of the request being dispatched (under the lock)
        self.init_accounts()
        # fault knobs
        self.starting = False              # /v1/status and /v1/status/writable answer 503
        self.read_only = False             # /v1/status/writable answers 503
        self.unavailable_next = 0          # the next N requests (any path) answer 503
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

    @property
    def server_header(self) -> str:
        return f"Nexus/{VERSION} ({self.edition})"

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
        return _lookup(self.repositories, name)

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
            return self._status(path)
        if not self._authorised(headers.get("Authorization", "")):
            return self.account_refusal(headers.get("Authorization", ""))   # 403 for a local user, else 401
        try:
            payload = request_payload(headers, body)         # JSON, or text/plain for change-password
        except ValueError:
            return message_error(400, "Unable to process input", quoted=False)
        with self.lock:
            self.query = parse_qs(query)
            for route_method, pattern, action in _ROUTES:
                match = re.fullmatch(pattern, path)
                if match and route_method == method:
                    return action(self, payload, *[unquote(g) for g in match.groups()])
        return empty(404)

    def _authorised(self, header: str) -> bool:
        expected = "Basic " + base64.b64encode(f"admin:{self.password}".encode()).decode()
        return header == expected

    def _status(self, path: str) -> Reply:
        unavailable = self.starting or (path.endswith("/writable") and self.read_only)
        return empty(503 if unavailable else 200)

    # ---- blob stores -----------------------------------------------------------------------------------------
    def list_blob_stores(self, _body: Any) -> Reply:
        return json_reply(200, [{"name": b["name"], "type": "File", "unavailable": False, "blobCount": 0,
                                 "totalSizeInBytes": 0, "availableSpaceInBytes": 10 ** 12,
                                 **({"softQuota": b["softQuota"]} if b.get("softQuota") else {})}
                                for b in self.blob_stores.values()])

    def create_blob_store(self, body: Any) -> Reply:
        body = body or {}
        problems = [(f"PARAMETER {k}", f"{k.capitalize()} is required") for k in ("name", "path") if not body.get(k)]
        if not problems and not NAME_RE.match(body["name"]):
            problems.append(("PARAMETER name", NAME_MESSAGE))
        if problems:
            return validation_errors(*problems)
        if _lookup(self.blob_stores, body["name"]):
            return validation_errors(("name", "Name is already used, must be unique (ignoring case)"))
        self.blob_stores[body["name"].lower()] = _blob_store_record(body["name"], body)
        return empty(204)

    def get_blob_store(self, _body: Any, name: str) -> Reply:
        store = _lookup(self.blob_stores, name)
        if store is None:
            return message_error(404, f"Unable to find File '{name}' blobstore", quoted=False)
        return json_reply(200, {k: v for k, v in store.items() if k != "name"})

    def update_blob_store(self, body: Any, name: str) -> Reply:
        store = _lookup(self.blob_stores, name)
        if store is None:
            return message_error(404, f"Unable to find File '{name}' blobstore", quoted=False)
        if not (body or {}).get("path"):
            return validation_errors(("PARAMETER path", "Path is required"))
        self.blob_stores[name.lower()] = _blob_store_record(store["name"], body)
        return empty(204)

    def delete_blob_store(self, _body: Any, name: str) -> Reply:
        store = _lookup(self.blob_stores, name)
        if store is None:
            return message_error(404, f"Unable to find  '{name}' blobstore", quoted=False)
        if any(r["storage"]["blobStoreName"].lower() == name.lower() for r in self.repositories.values()):
            return message_error(400, f"BlobStore {store['name']} is in use and cannot be deleted")
        del self.blob_stores[name.lower()]
        return empty(204)

    # ---- repositories ----------------------------------------------------------------------------------------
    def list_repositories(self, _body: Any) -> Reply:
        return json_reply(200, [{"name": r["name"], "format": r["format"], "type": r["type"],
                                 "url": self._repository_url(r["name"]), "online": r["online"],
                                 "attributes": {"proxy": {"remoteUrl": r["proxy"]["remoteUrl"]}}
                                 if r["type"] == "proxy" else {}}
                                for r in self.repositories.values()])

    def create_repository(self, body: Any, repo_type: str) -> Reply:
        existing = _lookup(self.repositories, (body or {}).get("name") or "")
        problem = self._repository_problem(body, repo_type, existing)
        if problem is not None:
            return problem
        if existing is not None:
            # No pre-check in the REST layer: the database unique constraint fails (SQL datastore text).
            return message_error(400, "Duplicate key")
        self.repositories[body["name"].lower()] = {**body, "format": "docker", "type": repo_type}
        return empty(201)

    def get_repository(self, _body: Any, repo_type: str, name: str) -> Reply:
        repo = _lookup(self.repositories, name)
        if repo is None or (repo["format"], repo["type"]) != ("docker", repo_type):
            return message_error(404, "Repository not found")
        return json_reply(200, self._repository_view(repo))

    def update_repository(self, body: Any, repo_type: str, name: str) -> Reply:
        existing = _lookup(self.repositories, name)
        if existing is None or (existing["format"], existing["type"]) != ("docker", repo_type):
            return empty(404)
        if body and body.get("name") and body["name"].lower() != name.lower():
            return validation_errors(("name", "Renaming a repository is not supported"))
        problem = self._repository_problem(body, repo_type, existing)
        if problem is not None:
            return problem
        # PUT replaces every attribute.
        self.repositories[name.lower()] = {**body, "name": existing["name"], "format": "docker", "type": repo_type}
        return empty(204)

    def delete_repository(self, _body: Any, name: str) -> Reply:
        if _lookup(self.repositories, name) is None:
            return empty(404)
        removed = self.repositories.pop(name.lower())
        self.forget_repository_privileges(removed["format"], removed["name"])
        for repo in self.repositories.values():          # removeRepositoryFromAllGroups
            if repo["type"] == "group":
                members = repo["group"]["memberNames"]
                members[:] = [m for m in members if m.lower() != name.lower()]
        return empty(204)

    def _repository_problem(self, body: Any, repo_type: str, existing: Optional[dict]) -> Optional[Reply]:
        """POST/PUT checks in Nexus' order: bean validation, group members, blob store, blob store move, ports."""
        body = body if isinstance(body, dict) else {}
        problems = _missing_required(body, REQUIRED_REPO_FIELDS[repo_type])
        if body.get("name") and not NAME_RE.match(body["name"]):
            problems.append(("PARAMETER name", NAME_MESSAGE))
        if repo_type == "group" and body.get("group", {}).get("memberNames") == []:
            problems.append(("PARAMETER memberNames", "must not be empty"))
        if problems:
            return validation_errors(*problems)
        if repo_type == "group":
            problems = self._group_problems(body["group"])
            if problems:
                return validation_errors(*problems)
        blob_store = body["storage"]["blobStoreName"]
        if _lookup(self.blob_stores, blob_store) is None:
            return validation_errors(("BlobStoreName", "Blob store not found"))
        if existing is not None and existing["storage"]["blobStoreName"].lower() != blob_store.lower():
            return validation_errors(("BlobStoreName", "You cannot change a repository\u2019s blob store through the API"))
        port = body["docker"].get("httpPort")
        taken = {r["docker"].get("httpPort") for r in self.repositories.values()
                 if "docker" in r and r is not existing} | {JETTY_PORT}
        if port is not None and port in taken:
            # Closed-source message; the id form follows ConstraintViolationFactory (nexus-api §3, open point 1).
            return validation_errors(("HelperBean.docker.httpPort", f"Port {port} is already in use"))
        return None

    def _group_problems(self, group: dict) -> list[tuple[str, str]]:
        problems = []
        for member in group["memberNames"]:
            repo = _lookup(self.repositories, member)
            if repo is None:
                problems.append(("HelperBean.memberNames", f"Member repository does not exist: {member}"))
            elif repo["format"] != "docker":
                problems.append(("HelperBean.memberNames",
                                 f"Member repository format does not match group repository format: {member}"))
        writable = group.get("writableMember")
        if writable and self.edition != "PRO":
            problems.append(("HelperBean.writableMember", "Deploying to groups is a PRO-licensed feature. See "
                                                          "https://links.sonatype.com/product-nexus-repository"))
        elif writable and (_lookup(self.repositories, writable) or {}).get("type") != "hosted":
            problems.append(("HelperBean.writableMember", "Writable member must be a hosted repository"))
        return problems

    def _repository_view(self, repo: dict) -> dict:
        view = {k: v for k, v in repo.items() if k not in ("negativeCache", "httpClient", "storage")}
        view["url"] = self._repository_url(repo["name"])
        storage = repo["storage"]
        view["storage"] = {"blobStoreName": storage["blobStoreName"],
                           "strictContentTypeValidation": storage["strictContentTypeValidation"]}
        if repo["type"] == "hosted":
            view["storage"]["writePolicy"] = storage.get("writePolicy") or "ALLOW"    # stored as sent
        if repo["type"] == "proxy":
            client = repo.get("httpClient") or {}
            view["negativeCache"] = repo["negativeCache"]
            view["httpClient"] = {"blocked": bool(client.get("blocked")), "autoBlock": bool(client.get("autoBlock"))}
        return view

    def _repository_url(self, name: str) -> str:
        return f"{self.url}/repository/{name}"

    # ---- security --------------------------------------------------------------------------------------------
    def available_realms(self, _body: Any) -> Reply:
        return json_reply(200, [{"id": i, "name": n} for i, n in sorted(AVAILABLE_REALMS.items(),
                                                                      key=lambda kv: kv[1].lower())])

    def get_active_realms(self, _body: Any) -> Reply:
        return json_reply(200, list(self.active_realms))

    def put_active_realms(self, body: Any) -> Reply:
        unknown = [r for r in body or [] if r not in AVAILABLE_REALMS]
        if unknown:
            return text_reply(400, f"ValidationErrorXO{{id='*', message='Unknown realmIds: [{', '.join(unknown)}]'}}")
        self.active_realms = list(body)
        return empty(204)

    def get_anonymous(self, _body: Any) -> Reply:
        return json_reply(200, dict(self.anonymous))

    def put_anonymous(self, body: Any) -> Reply:
        body = body or {}
        blank = [(f"PARAMETER {k}", "must not be blank") for k in ("userId", "realmName") if not body.get(k)]
        if blank:
            return validation_errors(*blank)
        if body["realmName"] not in KNOWN_REALMS:
            return validation_errors(("realmName", "Realm does not exist"))
        self.anonymous = {"enabled": bool(body.get("enabled")), "userId": body["userId"],
                          "realmName": body["realmName"]}
        return json_reply(200, dict(self.anonymous))

    # ---- Community Edition EULA --------------------------------------------------------------------------------
    def get_eula(self, _body: Any) -> Reply:
        if self.edition != "COMMUNITY":
            return empty(404)               # inferred: Pro (and OSS before 3.77) have no such endpoint
        return json_reply(200, {"accepted": self.eula_accepted, "disclaimer": EULA_DISCLAIMER})

    def post_eula(self, body: Any) -> Reply:
        if self.edition != "COMMUNITY":
            return empty(404)
        body = body if isinstance(body, dict) else {}
        if body.get("disclaimer") != EULA_DISCLAIMER:
            return unexpected_error("java.lang.IllegalArgumentException: Invalid EULA disclaimer")
        # 3.77 stores `accepted` as sent, so false un-accepts (np source; not seen on a live 3.94 server).
        self.eula_accepted = bool(body.get("accepted"))
        return empty(204)


def _blob_store_record(name: str, body: dict) -> dict:
    return {"name": name, "path": body["path"], **({"softQuota": body["softQuota"]} if body.get("softQuota") else {})}


_NAME = r"([^/]+)"
_ROUTES: tuple[tuple[str, str, Callable[..., Reply]], ...] = (
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
    ("GET", r"/v1/system/eula", NexusDouble.get_eula),
    ("POST", r"/v1/system/eula", NexusDouble.post_eula),
) + ACCOUNT_ROUTES


class _Handler(BaseHTTPRequestHandler):
    double: NexusDouble

    def version_string(self) -> str:          # the Server header of every answer
        return self.double.server_header

    def log_message(self, *args: Any) -> None:   # keep pytest output clean
        pass

    def _serve(self) -> None:
        double = self.double
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        url = urlsplit(self.path)
        path = url.path
        if not path.startswith(API + "/"):
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
        if double.validator is not None:
            url = f"http://{self.headers.get('Host', f'127.0.0.1:{double.port}')}{self.path}"
            double.validator.check(self.command, url, dict(self.headers), body, reply, headers)
        try:
            self.send_response(reply.status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass                                    # the client gave up (timeout test)

    do_GET = do_POST = do_PUT = do_DELETE = _serve
