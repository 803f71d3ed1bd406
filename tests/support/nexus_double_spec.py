"""Spec validation for the Nexus double: every request and answer checked against the published Nexus 3.94 spec.

openapi-core's `requests` integration validates the traffic; `SPEC_GAPS` lists the documented places where a real
Nexus answers outside the spec, each excused for one method, path and status only. Without the spec file the
validator records nothing and says it was skipped.
"""
from __future__ import annotations

import functools
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional
from urllib.parse import urlsplit

import requests

from tests.support.nexus_double_accounts import ACCOUNT_SPEC_GAPS
from tests.support.nexus_double_replies import API
from tests.support.nexus_double_replies import Reply


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


ANY_STATUS = -1                      # a SpecGap status: request and response, whatever the status


@dataclass(frozen=True)
class SpecGap:
    """A documented real behaviour the spec does not describe: excused for this method, path and status only."""
    method: str
    path: str                        # regex on the path below /service/rest
    status: Optional[int]            # None: a request-side gap; ANY_STATUS: both sides, any status
    errors: tuple[str, ...]          # openapi-core error class names (of the error, its cause or schema errors)
    reason: str

    def covers(self, method: str, path: str, status: Optional[int], errors: set[str]) -> bool:
        return (self.method in (method, "*") and re.fullmatch(self.path, path) is not None
                and self.status in (status, ANY_STATUS) and bool(errors.intersection(self.errors)))


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
    SpecGap("*", r".*", 503, _UNLISTED + ("MediaTypeNotFound",),
            "503 while Nexus starts or from a gateway in front of it (injected faults), and a write refused in "
            "read-only mode (nexus-api §9: FrozenExceptionMapper, text/plain) on endpoints that list no 503"),
    SpecGap("*", r"/v1/read-only(/freeze|/release|/force-release)?", ANY_STATUS, ("PathNotFound",),
            "nexus-api §9: read-only mode is left with POST /v1/read-only/release (FreezeResource, since 3.6; "
            "GET /v1/read-only gives the state); the 3.94 spec file does not list these paths"),
    SpecGap("GET", REPO_FORMAT_PATH + r"/[^/]+", 404, ("ResponseNotFound",),
            "nexus-api §3: an unknown repository (or one of another format/type) is 404 with a message body; "
            "the spec lists only 200"),
    SpecGap("POST", REPO_FORMAT_PATH, 400, ("ResponseNotFound",),
            "nexus-api §3: validation, missing member/blob store and duplicate names answer 400; the spec lists "
            "only 201/401/403"),
    SpecGap("POST", r"/v1/blobstores/file", 400, ("ResponseNotFound",),
            "nexus-api §2.5: missing fields or a duplicate name answer 400; the spec lists only 204/403"),
    SpecGap("GET", r"/beta/system/information", 404, ("ResponseNotFound",),
            "inferred: a server without the node system information (or a route a proxy strips) answers 404"),
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
            "nexus-api §2.10/§9 (inferred): OSS before 3.77, and a route a proxy strips, answer 404 with an empty "
            "body (Pro answers 200: the resource has no edition check)"),
) + tuple(SpecGap(*gap) for gap in ACCOUNT_SPEC_GAPS)   # roles and users: see nexus_double_accounts


def all_spec_gaps() -> tuple[SpecGap, ...]:
    """SPEC_GAPS and those of the endpoint families kept in their own modules (imported here, not at the top:
    they import SpecGap from this module)."""
    from tests.support.nexus_double_housekeeping import HOUSEKEEPING_SPEC_GAPS
    from tests.support.nexus_double_s3 import S3_SPEC_GAPS
    return SPEC_GAPS + HOUSEKEEPING_SPEC_GAPS + tuple(SpecGap(*gap) for gap in S3_SPEC_GAPS)


class SpecValidator:
    """Validates traffic against the spec with openapi-core's `requests` integration; collects problems."""

    def __init__(self, spec: Any, gaps: Optional[tuple[SpecGap, ...]] = None):
        self.spec, self.gaps = spec, all_spec_gaps() if gaps is None else gaps
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


