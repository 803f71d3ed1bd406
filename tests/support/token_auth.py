"""A tiny Docker token issuer on 127.0.0.1 for the distribution registry's `auth: token` mode.

`GET <realm>?service=&scope=…` with Basic credentials answers `{"token": JWT, "access_token": JWT}`,
granting the requested scopes, like Nexus' `/v2/token` (which, unlike this one, is not scope-bound).
`grants` (user -> actions, changeable while it runs) limits what each user gets, the way Nexus roles
do: a pull-only user's token carries no push, so the registry refuses its uploads. The JWT is signed by a key whose certificate travels in the `x5c` header (distribution
2.8 verifies it against `rootcertbundle`, the CA that signed it). The issuer serves HTTPS on its own
port and path, so a client must follow the realm exactly as given.
"""
from __future__ import annotations

import base64
import contextlib
import json
import secrets
import ssl
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from tests.support.procs import serving
from tests.support.tlsgen import make_chain

_ALGORITHMS = {"secp256r1": ("ES256", hashes.SHA256), "secp384r1": ("ES384", hashes.SHA384),
               "secp521r1": ("ES512", hashes.SHA512)}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign_jwt(claims: dict, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate) -> str:
    """A compact JWS (JOSE r||s signature) with the signing certificate in `x5c`."""
    alg, digest = _ALGORITHMS[key.curve.name]
    header = {"typ": "JWT", "alg": alg,
              "x5c": [base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()]}
    signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(digest())))
    size = (key.curve.key_size + 7) // 8
    return f"{signing_input}.{_b64url(r.to_bytes(size, 'big') + s.to_bytes(size, 'big'))}"


def access_claims(scopes: list[str], *, anonymous: bool = False,
                  granted: set[str] | None = None) -> list[dict]:
    """`repository:smoke/x:pull,push` → the token's `access` entries; anonymous users get pull only,
    others the actions in `granted` (all when None)."""
    access = []
    for scope in scopes:
        kind, rest = scope.split(":", 1)
        name, actions = rest.rsplit(":", 1)
        allowed = [a for a in actions.split(",")
                   if (a == "pull" or not anonymous) and (granted is None or a in granted)]
        access.append({"type": kind, "name": name, "actions": allowed})
    return access


@dataclass(frozen=True)
class TokenRequest:
    account: str | None       # the Basic user, None when anonymous
    scopes: tuple[str, ...]
    granted: bool


@dataclass
class TokenIssuer:
    realm: str
    service: str
    issuer: str
    rootcertbundle: Path
    grants: dict[str, set[str]] | None = None      # user -> actions; None: every user gets what it asks
    requests: list[TokenRequest] = field(default_factory=list)

    def granted(self, account: str | None) -> set[str] | None:
        return None if self.grants is None or account is None else self.grants.get(account, set())

    def registry_env(self) -> dict[str, str]:
        """distribution's environment overrides that switch a registry to this issuer."""
        return {"REGISTRY_AUTH_TOKEN_REALM": self.realm, "REGISTRY_AUTH_TOKEN_SERVICE": self.service,
                "REGISTRY_AUTH_TOKEN_ISSUER": self.issuer,
                "REGISTRY_AUTH_TOKEN_ROOTCERTBUNDLE": str(self.rootcertbundle)}

    def registry_config(self) -> dict:
        """The same as registry config (for `run_registry(extra=...)`, e.g. behind the gateway)."""
        return {"auth": {"token": {"realm": self.realm, "service": self.service, "issuer": self.issuer,
                                   "rootcertbundle": str(self.rootcertbundle)}}}


@contextlib.contextmanager
def run_token_issuer(workdir: Path, users: dict[str, str], *, tls: tuple[Path, Path],
                     service: str = "smoke-registry", path: str = "/auth/token",
                     grants: dict[str, set[str]] | None = None) -> Iterator[TokenIssuer]:
    """Serve the realm `https://127.0.0.1:<port><path>` (tls = server cert, key) for `users`, each
    granted the actions in `grants` (all when None)."""
    signer = make_chain(["127.0.0.1"]).write(workdir / "token-signer")
    key = serialization.load_pem_private_key(signer["key"].read_bytes(), password=None)
    cert = x509.load_pem_x509_certificate(signer["cert"].read_bytes())
    state = TokenIssuer(realm="", service=service, issuer="smoke-token-issuer", rootcertbundle=signer["ca"],
                        grants=grants)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server API)
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            account = self._basic_user()
            scopes = tuple(query.get("scope", []))
            granted = url.path == path and query.get("service") == [service] and account is not False
            state.requests.append(TokenRequest(account or None, scopes, granted))
            if not granted:
                return self._reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": "bad credentials"}]})
            now = int(time.time())
            token = sign_jwt({"iss": state.issuer, "sub": account or "", "aud": service, "iat": now,
                              "nbf": now - 60, "exp": now + 300, "jti": secrets.token_hex(8),
                              "access": access_claims(list(scopes), anonymous=account is None,
                                                      granted=state.granted(account))}, key, cert)
            self._reply(200, {"token": token, "access_token": token, "expires_in": 300})

        def do_POST(self) -> None:  # noqa: N802 (http.server API)
            """containerd with credentials tries the OAuth2 POST first and uses the GET above when the realm
            answers 404/405/401/400 (remotes/docker/auth); this issuer, like many registries, has no POST."""
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self._reply(405, {"errors": [{"code": "UNSUPPORTED", "message": "use GET"}]})

        def _basic_user(self) -> str | None | bool:
            """The Basic user if the password matches, None without credentials, False if wrong."""
            scheme, _, value = self.headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "basic":
                return None
            user, _, password = base64.b64decode(value).decode().partition(":")
            return user if users.get(user) == password else False

        def _reply(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(tls[0]), str(tls[1]))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    state.realm = f"https://127.0.0.1:{server.server_address[1]}{path}"
    with serving(server):
        yield state
