"""The Nexus double's docker read side under `/repository/<name>/v2/` on its main port (mixed into
`tests.support.nexus_double.NexusDouble`): just enough of the closed-source docker format to show WHO may read WHICH
repository once the stack has set realms, anonymous access, roles and `forceBasicAuth`: the token endpoint, the
`/v2/` ping and `tags/list`. Nothing is cached and there is no upstream: an allowed read of tags answers an empty list.

Behaviours, with their sources (shared/docs/nexus-api.md §4, §1; [obs] = seen on live servers in public issues):
- The Bearer challenge needs the DockerToken realm active and `forceBasicAuth` false on the repository; otherwise the
  challenge is Basic [obs #921]. Challenge body `{"errors":[{"code":"UNAUTHORIZED",…}]}` with
  `Docker-Distribution-Api-Version: registry/2.0` [obs #611, #651, #921]; the realm URL is built from the request
  (`<scheme>://<host>/v2/token`, §4).
- `GET …/v2/token`: with Basic credentials of a known user, a token for that user; without credentials, a token for
  the user `anonymous` when anonymous access is enabled (BearerTokenRealm hard-codes that user [obs nexus-public#311]);
  else 401. Tokens are `DockerToken.<uuid>`, one per user, not bound to a repository (§4 "Token scope").
- A read is authorised by the repository-view privileges of the user's roles (`nx-repository-view-<format>-<repo>-
  <action>`, `*` for any format, repository or action; `nx-all`). A read of a group needs the group's privilege: a
  member's alone does not open the group [inf: Sonatype KB 221279107 says a group's privilege covers its members, not
  the reverse]. Refused: 401 with the challenge for the anonymous user (an anonymous subject, §1), 403 `DENIED` for a
  logged-in one.
"""
from __future__ import annotations

import base64
import json
import re
import uuid
from typing import Optional

import requests

from tests.support.nexus_double_replies import Reply

DOCKER_API_HEADER = {"Docker-Distribution-Api-Version": "registry/2.0"}
DOCKER_TOKEN_REALM = "DockerToken"
ANONYMOUS = "anonymous"
_PATH = re.compile(r"^/repository/(?P<repo>[^/]+)/v2/(?P<rest>.*)$")


def _errors(status: int, code: str, message: str, headers: Optional[dict] = None) -> Reply:
    body = json.dumps({"errors": [{"code": code, "message": message, "detail": None}]}).encode()
    return Reply(status, body, "application/json", {**DOCKER_API_HEADER, **(headers or {})})


class DockerReadEndpoints:
    """Mixed into NexusDouble; uses its `repositories`, `roles`, `users`, `anonymous`, `active_realms` and
    `password` (admin's)."""

    repositories: dict
    roles: dict
    users: dict
    anonymous: dict
    active_realms: list
    password: str
    url: str

    def __init__(self) -> None:
        super().__init__()
        self.docker_tokens: dict[str, str] = {}           # token -> user id (one per user, §4)

    # ---- what tests ask ----------------------------------------------------------------------------------------
    def may_read(self, user: str, repository: str) -> bool:
        """Whether `user`'s roles hold read on the docker repository `repository` (exact stored name)."""
        if user == "admin":
            return True
        record = self.users.get(user)
        if record is None or record.get("status") not in ("active", "changepassword"):
            return False
        wanted = {f"nx-repository-view-{fmt}-{repo}-{action}" for fmt in ("docker", "*")
                  for repo in (repository, "*") for action in ("read", "*")} | {"nx-all"}
        held = {p for r in record["roles"] if r in self.roles for p in self.roles[r]["privileges"]}
        return bool(wanted & held)

    def anonymous_read_status(self, repository: str) -> int:
        """What a client without credentials (kubelet through a mirror) gets for a tags list of `repository`, over
        HTTP: the token request, then the read with the token it got (or without one)."""
        base = f"{self.url}/repository/{repository}/v2"
        token = requests.get(f"{base}/token", timeout=5)
        headers = {"Authorization": f"Bearer {token.json()['token']}"} if token.status_code == 200 else {}
        return requests.get(f"{base}/library/busybox/tags/list", headers=headers, timeout=5).status_code

    # ---- HTTP ------------------------------------------------------------------------------------------------
    def docker_request(self, method: str, path: str, host: str, authorization: str) -> Reply:
        match = _PATH.match(path)
        repo = self.repositories.get(match["repo"].lower()) if match else None
        if match is None or method not in ("GET", "HEAD") or repo is None or repo.get("format") != "docker":
            return Reply(404)
        challenge = self._challenge(repo, host)
        if match["rest"] == "token":
            return self._token(authorization, challenge)
        user = self._user_of(authorization)
        if user is None:
            return _errors(401, "UNAUTHORIZED", "access to the requested resource is not authorized", challenge)
        if not self.may_read(user, repo["name"]):
            return _errors(401, "UNAUTHORIZED", "access to the requested resource is not authorized", challenge) \
                if user == ANONYMOUS else _errors(403, "DENIED", "access to the requested resource is not permitted")
        if match["rest"] == "":
            return Reply(200, b"{}", "application/json", dict(DOCKER_API_HEADER))
        tags = re.fullmatch(r"(?P<name>.+)/tags/list", match["rest"])
        if tags:
            body = json.dumps({"name": tags["name"], "tags": []}).encode()
            return Reply(200, body, "application/json", dict(DOCKER_API_HEADER))
        return _errors(404, "NAME_UNKNOWN", "repository name not known to registry")

    def _challenge(self, repo: dict, host: str) -> dict:
        bearer = DOCKER_TOKEN_REALM in self.active_realms and not repo["docker"].get("forceBasicAuth")
        if not bearer:
            return {"WWW-Authenticate": 'BASIC realm="Sonatype Nexus Repository Manager"'}
        realm = f"http://{host}/v2/token"
        return {"WWW-Authenticate": f'Bearer realm="{realm}",service="{realm}"'}

    def _token(self, authorization: str, challenge: dict) -> Reply:
        scheme, _, value = authorization.partition(" ")
        user = None
        if scheme.lower() == "basic":
            name, _, password = base64.b64decode(value).decode("utf-8", "replace").partition(":")
            record = self.users.get(name)
            known = self.password if name == "admin" else (record or {}).get("password")
            user = name if known is not None and password == known else None
        elif not authorization and self.anonymous.get("enabled") and DOCKER_TOKEN_REALM in self.active_realms:
            user = ANONYMOUS
        if user is None:
            return _errors(401, "UNAUTHORIZED", "access to the requested resource is not authorized", challenge)
        token = next((t for t, u in self.docker_tokens.items() if u == user), None) or f"DockerToken.{uuid.uuid4()}"
        self.docker_tokens[token] = user
        return Reply(200, json.dumps({"token": token}).encode(), "application/json")

    def _user_of(self, authorization: str) -> Optional[str]:
        scheme, _, value = authorization.partition(" ")
        return self.docker_tokens.get(value) if scheme.lower() == "bearer" else None
