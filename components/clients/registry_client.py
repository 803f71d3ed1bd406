"""A small Docker Registry HTTP API V2 client in requests: TLS verified against a given CA only, the 401
challenge answered with Basic or a Bearer token from the realm, errors that say which hop failed and why.
Credentials and tokens are never part of a message. Used by the smoke check (smoke.py)."""
from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests

DEFAULT_TIMEOUT = 30.0


class SmokeError(Exception):
    """A failed check; the message is what the operator reads."""


def describe(resp: requests.Response) -> str:
    """`HTTP 401 UNAUTHORIZED: authentication required` from a registry `{"errors": [...]}` answer."""
    try:
        errors = resp.json().get("errors") or []
    except (ValueError, AttributeError):
        errors = []
    codes = "; ".join(f"{e.get('code', '?')}: {e.get('message', '')}" for e in errors if isinstance(e, dict))
    challenge = Challenge.parse(resp.headers.get("WWW-Authenticate"))
    refused = challenge.params.get("error") if resp.status_code == 401 and challenge else None
    scope = f" for {challenge.params.get('scope')}" if refused and challenge.params.get("scope") else ""
    return (f"HTTP {resp.status_code}" + (f" {codes}" if codes else "")
            + (f" ({refused}{scope})" if refused else ""))


@dataclass(frozen=True)
class Challenge:
    scheme: str                  # lower case: "basic" or "bearer"
    params: dict[str, str]

    @classmethod
    def parse(cls, header: str | None) -> Challenge | None:
        match = re.match(r"\s*([A-Za-z]+)\s*(.*)", header or "")
        if not match:
            return None
        params = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2)))
        return cls(match.group(1).lower(), {k.lower(): v for k, v in params.items()})


def origin(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    default_port = {"http": 80, "https": 443}.get(parts.scheme, 0)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or default_port


def _transport_error(exc: requests.RequestException, url: str, ca_path: str) -> SmokeError:
    """A clear reason for a request that got no HTTP answer (TLS, refused connection, timeout)."""
    netloc, host = urlsplit(url).netloc, urlsplit(url).hostname
    text = str(exc)
    if isinstance(exc, requests.exceptions.SSLError):
        reason = re.search(r"certificate verify failed: ([^(]+)", text)
        reason = reason.group(1).strip().rstrip(".") if reason else text
        if "mismatch" in text or "not valid for" in text or "doesn't match" in text:
            return SmokeError(f"TLS: the certificate of {netloc} does not cover {host} ({reason}); "
                              "check publicIps / the certificate SANs, or dial an address it was made for")
        if "verify failed" in text:
            return SmokeError(f"TLS: the certificate of {netloc} is not signed by the CA in {ca_path} "
                              f"({reason}); check --ca (docker needs the same file in "
                              f"/etc/docker/certs.d/{netloc}/ca.crt)")
        if "WRONG_VERSION_NUMBER" in text.upper():
            return SmokeError(f"TLS: {netloc} does not speak TLS (plain HTTP on that port?)")
        return SmokeError(f"TLS handshake with {netloc} failed: {text}")
    if isinstance(exc, requests.exceptions.Timeout):
        return SmokeError(f"no answer from {netloc} in time ({type(exc).__name__})")
    if isinstance(exc, requests.exceptions.ConnectionError):
        return SmokeError(f"cannot connect to {netloc}: {text}")
    return SmokeError(f"request to {url} failed: {text}")


class RegistryClient:
    """requests against one registry with its auth: Basic, or Bearer tokens from the challenged realm
    (re-fetched when a later 401 asks for another scope, as the distribution registry's tokens are
    scope-bound; Nexus' are not, so there the first token serves every request)."""

    def __init__(self, registry: str, ca_path: str, user: str | None, password: str | None,
                 *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.base = f"https://{registry}"
        self.ca_path = ca_path
        self.credentials = (user, password) if user else None
        self.timeout = timeout
        self.session = requests.Session()
        self.authorization: str | None = None       # the header value sent to the registry
        self.scheme = "none"                        # how we authenticate: none, basic, bearer
        self.realm = ""
        self._tokens: dict[tuple[str, str, str], str] = {}  # (realm, service, scope) → token

    def url(self, path_or_url: str) -> str:
        return urljoin(self.base + "/", path_or_url)

    def send(self, method: str, url: str, **kwargs) -> requests.Response:
        """One request (no auth retry). verify= is passed on every call: a session-level verify is
        overridden by REQUESTS_CA_BUNDLE, and only --ca may be trusted."""
        headers = dict(kwargs.pop("headers", None) or {})
        if self.authorization and origin(url) == origin(self.base):
            headers["Authorization"] = self.authorization
        try:
            return self.session.request(method, url, headers=headers, verify=self.ca_path,
                                        timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise _transport_error(exc, url, self.ca_path) from None

    def request(self, method: str, path_or_url: str, *, expect: tuple[int, ...] | None = (200,),
                **kwargs) -> requests.Response:
        """A request with the registry's auth; a 401 is answered once by (re-)authenticating.
        A status outside `expect` (unless None) fails with the registry's error code and message."""
        url = self.url(path_or_url)
        resp = self.send(method, url, **kwargs)
        if resp.status_code == 401 and self.authenticate(resp):
            resp = self.send(method, url, **kwargs)
        if expect is not None and resp.status_code not in expect:
            raise SmokeError(f"{method} {urlsplit(url).path} → {describe(resp)}")
        return resp

    def authenticate(self, resp: requests.Response) -> bool:
        """Follow the 401's challenge; False when there is nothing new to try."""
        challenge = Challenge.parse(resp.headers.get("WWW-Authenticate"))
        if challenge is None:
            return False
        if challenge.scheme == "basic":
            if not self.credentials or self.scheme == "basic":
                return False
            self.scheme = "basic"
            self.authorization = "Basic " + base64.b64encode(":".join(self.credentials).encode()).decode()
            return True
        if challenge.scheme == "bearer":
            return self._fetch_token(challenge)
        raise SmokeError(f"unsupported auth challenge {challenge.scheme!r}")

    def _fetch_token(self, challenge: Challenge) -> bool:
        """Use the token for the challenged (realm, service, scope), fetching it once; False when
        that token is the one just refused."""
        realm, service = challenge.params.get("realm"), challenge.params.get("service", "")
        scope = challenge.params.get("scope", "")
        if not realm:
            raise SmokeError("Bearer challenge without a realm")
        key = (realm, service, scope)
        if key not in self._tokens:
            self._tokens[key] = self._get_token(realm, service, scope)
        elif self.authorization == f"Bearer {self._tokens[key]}":
            return False
        self.scheme, self.realm = "bearer", realm
        self.authorization = f"Bearer {self._tokens[key]}"
        return True

    def _get_token(self, realm: str, service: str, scope: str) -> str:
        """GET the realm exactly as given (host, port, scheme, path) with service/scope and Basic
        credentials, as docker does; the realm may live on another host or port."""
        params: dict = {"service": service, "client_id": "docker", "offline_token": "true"}
        if scope:
            params["scope"] = scope.split(" ")
        if self.credentials:
            params["account"] = self.credentials[0]
        try:
            resp = self.session.get(realm, params=params, auth=self.credentials, verify=self.ca_path,
                                    timeout=self.timeout)
        except requests.RequestException as exc:
            reason = _transport_error(exc, realm, self.ca_path)
            raise SmokeError(f"login failed: token realm {realm}: {reason}; the gateway must pass "
                             "the client's Host and X-Forwarded-Proto") from None
        if resp.status_code != 200:
            raise SmokeError(f"login failed: token realm {realm} → {describe(resp)}")
        try:
            body = resp.json()
            token = body.get("token") or body.get("access_token")
        except (ValueError, AttributeError):
            token = None
        if not token:
            raise SmokeError(f"login failed: token realm {realm} answered without a token")
        return token
