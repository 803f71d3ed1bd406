"""A small Nexus Repository 3 REST client: retries, readable errors, readiness wait, read-only mode, edition.

A URL that cannot even be connected to (refused, unresolvable, unroutable) is given up on after
`unreachable_timeout` (reach.py says why and what to tell the operator); a Nexus answering 502/503 is waited for up
to `ready_timeout`. Time is read and slept through a `Clock`, so tests run the production waits without waiting.

The client is built inside each provider method and opens a new `requests.Session` per request, so nothing
live (sessions, sockets, credentials) is ever kept on a provider object that Pulumi pickles.
Credentials are only passed to `requests` as Basic auth; they never appear in messages or logs.
"""
from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional

import requests
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

from components.nexus_config.edition import (PRO, SYSTEM_INFORMATION_PATH, UNKNOWN, ServerInfo,
                                      edition_from_system_information, unknown_edition)
from components.nexus_config.reach import DEFAULT_NAMESPACE, URL_KEY, unreachable_message
from components.nexus_config.read_only import READ_ONLY_PATH, ReadOnlyState, is_frozen_answer, read_only_message

API_BASE = "/service/rest"
ADMIN_USER = "admin"
PASSWORD_KEY = "adminPassword"              # stack config key read by the providers' configure()
EULA_KEY = "acceptEula"                     # stack config key the program passes as CommunityEula's `accepted`
RETRY_STATUSES = frozenset({502, 503, 504})  # gateway / "Nexus is starting" (not read-only mode); never 4xx
_VALIDATION_ERROR_XO = re.compile(r"^ValidationErrorXO\{id='(?P<id>[^']*)', message='(?P<message>.*)'\}$", re.DOTALL)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClientSettings:
    """Timeouts and retry budget. Production defaults; tests pass small values."""
    timeout: float = 30.0            # seconds per request to answer, once connected
    connect_timeout: float = 10.0    # seconds to open a connection (an address nothing answers fails after this)
    attempts: int = 5                # tries per request on connection errors, timeouts and 502/503/504
    backoff: float = 1.0             # first retry delay in seconds, doubled each time ...
    max_backoff: float = 16.0        # ... up to this
    ready_timeout: float = 600.0     # deadline for /v1/status and /v1/status/writable to answer 200
    ready_interval: float = 5.0      # seconds between readiness polls
    settle_time: float = 60.0        # after an ambiguous create failure: how long to watch for the object
    unreachable_timeout: float = 60.0  # how long no connection can be opened before the URL is called wrong

    def delay(self, attempt: int) -> float:
        return min(self.backoff * 2 ** (attempt - 1), self.max_backoff)


# --------------------------------------------------------------------------------------------------------------
# Errors

class NexusError(Exception):
    """Base class of everything this client raises.

    `uncertain` is True when a request may have reached Nexus without an answer coming back (a read timeout,
    a dropped connection, a gateway 502/504): Nexus may then have applied it.
    """

    def __init__(self, message: str, *, uncertain: bool = False):
        super().__init__(message)
        self.uncertain = uncertain


class NexusApiError(NexusError):
    """Nexus answered with an error status; `messages` are the texts from its body (any of its three shapes)."""

    def __init__(self, status: int, method: str, path: str, messages: list[str], *, uncertain: bool = False):
        self.status, self.method, self.path, self.messages = status, method, path, messages
        super().__init__(str(self), uncertain=uncertain)   # uncertain: an earlier attempt may have been applied

    def hint(self) -> str:
        return ""

    def __str__(self) -> str:
        detail = "; ".join(self.messages) if self.messages else "no details in the response body"
        hint = self.hint()
        return f"Nexus answered HTTP {self.status} to {self.method} {self.path}: {detail}" + (f". {hint}" if hint else "")


class NexusAuthError(NexusApiError):
    def hint(self) -> str:
        # Nexus seeds the admin user only on empty data (SecurityConfigurationSourceImpl.addDefaultUsers): on existing
        # data NEXUS_SECURITY_INITIAL_PASSWORD, i.e. the stack's adminPassword, changes nothing.
        return (f"Nexus rejected the credentials of user '{ADMIN_USER}'. Check the `{PASSWORD_KEY}` stack config key "
                f"(pulumi config set --secret {PASSWORD_KEY} <password>). On a Nexus that already has data (one you "
                f"take over with `adoptExisting`, or whose admin password was changed in its UI), `{PASSWORD_KEY}` "
                f"must be that Nexus' current admin password: Nexus uses the stack's password only when it creates "
                f"the admin user, on an empty data directory")


class NexusForbiddenError(NexusApiError):
    def hint(self) -> str:
        return f"user '{ADMIN_USER}' is authenticated but lacks the Nexus privileges for this operation"


class NexusUnavailableError(NexusError):
    """No usable answer (connection refused, timeout, 502/503/504) within the retry budget or deadline."""


class NexusUnreachableError(NexusUnavailableError):
    """No connection could be opened to the URL (refused, unresolvable, unroutable) for `unreachable_timeout`."""


class NexusConflictError(NexusError):
    """The object to create already exists in Nexus (dynamic resources cannot adopt it)."""


class NexusEditionError(NexusError):
    """A Pro-only feature was requested from a server that is not Pro, or the edition decides and is unknown."""


class NexusReadOnlyError(NexusError):
    """Nexus is frozen (read-only mode): it refuses every write until it is released. Never retried."""

    def __init__(self, message: str, state: Optional[ReadOnlyState]):
        super().__init__(message)
        self.state = state


def error_messages(body: bytes, content_type: str) -> list[str]:
    """The human texts of a Nexus error body: a validation list, a single (pre-quoted) message, text, or nothing."""
    text = body.decode("utf-8", "replace").strip()
    if not text:
        return []
    if "json" not in content_type.lower():
        # A WebApplicationMessageException with a text entity shows as the ValidationErrorXO's toString().
        match = _VALIDATION_ERROR_XO.match(text)
        return [_message_text(match.groupdict())] if match else [text]
    try:
        data = json.loads(text)
    except ValueError:
        return [text]
    items = data if isinstance(data, list) else [data]
    return [_message_text(item) for item in items]


def _message_text(item: Any) -> str:
    if not isinstance(item, dict):
        return _unquote(str(item))          # pre-3.52 servers sent a bare JSON string
    message = _unquote(str(item.get("message", "")))
    field = str(item.get("id", "*")).removeprefix("PARAMETER ")
    return message if field in ("*", "") else f"{field}: {message}"


def _unquote(text: str) -> str:
    # WebApplicationMessageException bodies carry a quoted string inside the JSON string; most call sites just put
    # double quotes around the text (no escaping inside, and several messages may be joined by newlines).
    if len(text) >= 2 and text[0] == text[-1] == '"':
        try:
            return str(json.loads(text))
        except ValueError:
            return text[1:-1]
    return text


_ERROR_CLASSES: dict[int, type[NexusApiError]] = {401: NexusAuthError, 403: NexusForbiddenError}


class PlainText(str):
    """A request body Nexus takes as `text/plain` (change-password) instead of JSON; never shown in messages."""

    def __repr__(self) -> str:
        return "PlainText(****)"


# --------------------------------------------------------------------------------------------------------------
# Client

class Clock:
    """Monotonic seconds and sleeping: the client's only source of time. Tests pass one whose sleep() just moves
    its own time on, so the production waits (ClientSettings()) run without waiting."""

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


SYSTEM_CLOCK = Clock()


class NexusClient:
    def __init__(self, base_url: str, password: str, settings: ClientSettings = ClientSettings(), *,
                 user: str = ADMIN_USER, progress: Optional[Callable[[str], None]] = None,
                 namespace: str = DEFAULT_NAMESPACE, clock: Clock = SYSTEM_CLOCK):
        self.base_url = base_url.rstrip("/")
        self._auth = (user, password)
        self.settings = settings
        self._progress = progress or log.info
        self.namespace = namespace                     # where Nexus runs: for the port-forward recipe (reach.py)
        self._clock = clock
        self.server: Optional[ServerInfo] = None      # from the Server header of the last answer that had one
        self._answered = False                         # whether any answer came back yet
        self._connected = False                        # whether any connection was opened yet
        self._unreachable_since: Optional[float] = None   # when the first try that could not connect began
        self._edition: Optional[ServerInfo] = None     # settled by edition()

    def __repr__(self) -> str:                         # never shows the credentials
        return f"NexusClient({self.base_url!r})"

    # ---- JSON helpers ---------------------------------------------------------------------------------------
    def get(self, path: str, *, missing_ok: bool = False) -> Any:
        """The decoded JSON body; None when `missing_ok` and Nexus answers 404."""
        response = self.request("GET", path, missing_ok=missing_ok)
        return None if response is None else (response.json() if response.content else None)

    def post(self, path: str, body: Any) -> Any:
        # A POST that timed out may still have been applied: do not resend it, let the caller check.
        return self._json(self.request("POST", path, body=body, resend_after_timeout=False))

    def put(self, path: str, body: Any) -> Any:
        return self._json(self.request("PUT", path, body=body))

    def delete(self, path: str, *, missing_ok: bool = True) -> bool:
        """True when something was deleted, False when it was already gone (404 and `missing_ok`)."""
        return self.request("DELETE", path, missing_ok=missing_ok) is not None

    @staticmethod
    def _json(response: Optional[requests.Response]) -> Any:
        return response.json() if response is not None and response.content else None

    # ---- the one place that talks HTTP -----------------------------------------------------------------------
    def request(self, method: str, path: str, *, body: Any = None, missing_ok: bool = False, auth: bool = True,
                resend_after_timeout: bool = True) -> Optional[requests.Response]:
        """Send with retries; return the response for 2xx, None for a tolerated 404, raise otherwise."""
        last_problem, uncertain = "", False
        for attempt in range(1, self.settings.attempts + 1):
            try:
                response = self._send(method, path, body, auth)
            except requests.exceptions.ReadTimeout:
                last_problem = f"no answer within {self.settings.timeout:g}s"
                if not resend_after_timeout:
                    raise NexusUnavailableError(
                        f"{method} {self._where(path)} timed out: {last_problem}. Nexus may still apply it; "
                        f"check that Nexus is healthy and not overloaded", uncertain=True) from None
                uncertain = True
            except requests.exceptions.RequestException as exc:
                last_problem = _describe(exc)
                uncertain = uncertain or _may_have_arrived(exc)
            else:
                if is_frozen_answer(response.status_code, response.content):
                    raise self._read_only_error(f"{method} {API_BASE}{path} was refused")
                if response.status_code not in RETRY_STATUSES:
                    return self._checked(response, method, path, missing_ok, uncertain)
                last_problem = f"HTTP {response.status_code}"
                uncertain = uncertain or response.status_code != 503   # 503: Nexus (or nginx) did nothing
            if attempt < self.settings.attempts:
                delay = self.settings.delay(attempt)
                if self._hopeless(delay):
                    break
                self._progress(f"{method} {self._where(path)}: {last_problem}; retry {attempt}/"
                               f"{self.settings.attempts - 1} in {delay:g}s")
                self._clock.sleep(delay)
        if self._unreachable():
            raise self._unreachable_error(last_problem)
        raise NexusUnavailableError(
            f"{method} {self._where(path)} failed after {self.settings.attempts} attempts: {last_problem}. "
            f"Check that Nexus is running and that nexus_url (stack config key `{URL_KEY}`) points at it",
            uncertain=uncertain)

    def _send(self, method: str, path: str, body: Any, auth: bool) -> requests.Response:
        headers, payload = {"Accept": "application/json"}, {"json": body}
        if isinstance(body, PlainText):                 # e.g. change-password: the raw text, not JSON
            headers["Content-Type"], payload = "text/plain; charset=UTF-8", {"data": body.encode()}
        started = self._clock.now()
        try:
            with requests.Session() as session:
                response = session.request(method, self.base_url + API_BASE + path, **payload,
                                           auth=self._auth if auth else None, headers=headers, allow_redirects=False,
                                           timeout=(self.settings.connect_timeout, self.settings.timeout))
        except requests.exceptions.RequestException as exc:
            if _may_have_arrived(exc):
                self._connected = True
            elif self._unreachable_since is None:
                self._unreachable_since = started
            raise
        self.server = ServerInfo.parse(response.headers.get("Server")) or self.server
        self._answered = self._connected = True
        return response

    # ---- a URL nothing can be connected to (reach.py) ---------------------------------------------------------
    def _unreachable(self) -> bool:
        """Whether no try has opened a connection yet (and one has failed). Once anything connected, the URL is
        right: whatever fails later is waited for like a starting Nexus."""
        return not self._connected and self._unreachable_since is not None

    def _hopeless(self, pause: float) -> bool:
        """Whether a next try, after `pause`, could not end within `unreachable_timeout` of the first failed one."""
        if not self._unreachable():
            return False
        ends = self._clock.now() + pause + self.settings.connect_timeout
        return ends - self._unreachable_since > self.settings.unreachable_timeout

    def _unreachable_error(self, problem: str) -> NexusUnreachableError:
        waited = self._clock.now() - (self._unreachable_since or 0.0)
        return NexusUnreachableError(unreachable_message(self.base_url, problem, waited, self.namespace))

    def _checked(self, response: requests.Response, method: str, path: str, missing_ok: bool,
                 uncertain: bool) -> Optional[requests.Response]:
        if response.status_code < 300:
            return response
        if response.status_code == 404 and missing_ok:
            return None
        error_class = _ERROR_CLASSES.get(response.status_code, NexusApiError)
        raise error_class(response.status_code, method, API_BASE + path,
                          error_messages(response.content, response.headers.get("Content-Type", "")),
                          uncertain=uncertain)

    def _where(self, path: str) -> str:
        return self.base_url + API_BASE + path

    # ---- readiness, read-only mode and edition ---------------------------------------------------------------
    def wait_until_ready(self) -> ServerInfo | None:
        """Block until /v1/status and then /v1/status/writable answer 200, or raise at the deadline. A Nexus that is
        readable but frozen (read-only mode) raises NexusReadOnlyError at once: waiting would not end it."""
        started = self._clock.now()
        deadline = started + self.settings.ready_timeout
        for path in ("/v1/status", "/v1/status/writable"):
            while True:
                problem = self._probe(path)
                if problem is None:
                    break
                if path.endswith("/writable"):
                    state = self.read_only_state()
                    if state is not None and state.frozen:
                        raise self._read_only_error(f"GET {API_BASE}{path} answered {problem}", state)
                now = self._clock.now()
                out_of_time = now + self.settings.ready_interval > deadline
                if self._hopeless(self.settings.ready_interval) or (out_of_time and self._unreachable()):
                    raise self._unreachable_error(problem)
                waited = now - started
                if out_of_time:
                    raise NexusUnavailableError(
                        f"Nexus at {self.base_url} was not ready after {waited:.0f}s (GET {API_BASE}{path}: "
                        f"{problem}). Check the Nexus pod and that nexus_url (stack config key `{URL_KEY}`) "
                        f"points at it")
                budget = min(self.settings.unreachable_timeout, self.settings.ready_timeout) if self._unreachable() \
                    else self.settings.ready_timeout
                self._progress(f"waiting for Nexus at {self.base_url}: GET {API_BASE}{path}: {problem} "
                               f"({waited:.0f}s of {budget:g}s)")
                self._clock.sleep(self.settings.ready_interval)
        return self.server

    def _probe(self, path: str) -> Optional[str]:
        try:
            response = self._send("GET", path, None, auth=False)     # the status endpoints need no login
        except requests.exceptions.RequestException as exc:
            return _describe(exc)
        return None if response.status_code == 200 else f"HTTP {response.status_code}"

    def read_only_state(self) -> Optional[ReadOnlyState]:
        """GET /v1/read-only, once and without retries; None when Nexus does not answer it usefully."""
        try:
            response = self._send("GET", READ_ONLY_PATH, None, auth=True)
            return ReadOnlyState.parse(response.json()) if response.status_code == 200 else None
        except (requests.exceptions.RequestException, ValueError):
            return None

    def _read_only_error(self, what: str, state: Optional[ReadOnlyState] = None) -> NexusReadOnlyError:
        state = state or self.read_only_state()
        return NexusReadOnlyError(f"{what}: {read_only_message(self.base_url, state)}", state)

    def edition(self) -> ServerInfo:
        """The edition: from the Server header when it names a released one, else from GET
        /beta/system/information, else UNKNOWN with the reason (see edition.py). Settled once."""
        if self._edition is None:
            if not self._answered:
                self.request("GET", "/v1/status", auth=False)
            header = self.server
            self._edition = header if header is not None and header.trusted else self._reported_edition(header)
        return self._edition

    def _reported_edition(self, header: Optional[ServerInfo]) -> ServerInfo:
        try:
            found = edition_from_system_information(self.get(SYSTEM_INFORMATION_PATH))
        except NexusAuthError:
            raise
        except NexusApiError as err:
            return unknown_edition(header, f"answered HTTP {err.status}")
        return found or unknown_edition(header, "names none")

    def require_pro(self, feature: str) -> None:
        """Refuse a Pro-only feature before sending it to a server that is not Pro. When the edition cannot be told,
        send it anyway (Nexus refuses it unless it is Pro): a Pro server is never refused for a missing header."""
        info = self.edition()
        if info.edition == PRO:
            return
        if info.edition == UNKNOWN:
            self._progress(f"{feature}: Nexus at {self.base_url} runs {info.describe()}; sending it anyway, Nexus "
                           f"refuses it unless it is Pro")
            return
        raise NexusEditionError(f"{feature} needs Nexus Repository Pro; {self.base_url} runs {info.describe()}. "
                                f"Remove it or use a Pro server")


def _may_have_arrived(exc: requests.exceptions.RequestException) -> bool:
    """False when the connection was never made (refused, connect timeout), so Nexus cannot have seen it."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return False
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return not isinstance(reason, (NewConnectionError, ConnectTimeoutError))


# What the OS says when a connection cannot be opened, as the message shows it (urllib3 keeps only its text).
_CONNECT_FAILURES = ("connection refused", "no route to host", "network is unreachable")


def _describe(exc: requests.exceptions.RequestException) -> str:
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return "connection timed out"
    if isinstance(exc, requests.exceptions.Timeout):
        return "timed out"
    if isinstance(exc, requests.exceptions.ConnectionError):
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        if isinstance(reason, NameResolutionError):
            return "the host name does not resolve"
        text = str(exc).lower()
        return next((failure for failure in _CONNECT_FAILURES if failure in text),
                    f"connection failed ({type(exc).__name__})")
    return type(exc).__name__
