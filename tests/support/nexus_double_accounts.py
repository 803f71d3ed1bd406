"""The Nexus double's accounts: roles, local users, repository-view privileges and logins as local users (mixed
into `tests.support.nexus_double.NexusDouble`, beside the storage and system parts).

Behaviours, with their sources (nexus-public RoleApiResource / UserApiResource / ApiCreateUser; [obs] = seen on
a live 3.76.1 server by a third party, shared/docs/nexus-api.md §1 for the error shapes):
- privileges: `nx-repository-view-<format>-<repo>-{*,browse,read,edit,add,delete}` exist while the repository does
  (RepositoryFormatSecurityContributor); deleting a repository strips them from every role, and re-creating it does
  not give them back [obs].
- roles: POST 200 with the RoleXOResponse; a duplicate id 400 "Role 'x' already exists, use a unique roleId.";
  an unknown privilege or contained role 400 "Privilege 'p' contained in role 'x' not found."; GET/PUT/DELETE of an
  unknown id 404 "Role 'x' not found."; PUT with another id in the body 409; PUT drops unknown privileges and answers
  204 (3.91+, read in the source); DELETE takes the role away from every user [obs].
- users: POST 200 with the user (bean validation first: userId pattern, names, e-mail, password, status, roles
  non-empty); a duplicate id 500 `DuplicateUserException` [obs]; unknown roles are stored but hidden on reads [obs];
  GET ?userId= is a case-insensitive prefix search; PUT checks path vs body id (400), roles (400 list, id `roles`)
  and the user (404 "User 'x' not found."); change-password takes text/plain only (415 otherwise), 400 when blank.
- logins: Basic credentials of an active (or changepassword) local user authenticate; such a user holds no
  nexus:* privilege, so every REST call answers 403 with an empty body (nexus-api §1), where a wrong password
  gets 401. `login_status()` asks exactly that over HTTP.
"""
from __future__ import annotations

import base64
import json
import re
from typing import Any, Optional

import requests

from tests.support.nexus_double_replies import (Reply, empty, json_reply, message_error, unexpected_error,
                                                validation_errors)
from tests.support.nexus_double_storage import NAME_RE, lookup

ACCOUNT_VIEW_ACTIONS = ("*", "browse", "read", "edit", "add", "delete")
# nx-metrics-all: MetricsSecurityContributor (nexus-public), the privilege of /service/metrics/*.
BUILTIN_PRIVILEGES = frozenset({"nx-all", "nx-metrics-all", "nx-repository-view-*-*-*", "nx-repository-view-*-*-browse",
                                "nx-repository-view-*-*-read", "nx-repository-view-*-*-add",
                                "nx-repository-view-*-*-edit", "nx-repository-view-*-*-delete"})
USER_STATUSES = ("active", "locked", "disabled", "changepassword")
LOGIN_STATUSES = ("active", "changepassword")
NAME_MESSAGE = ("Only letters, digits, underscores(_), hyphens(-), and dots(.) are allowed and may not start "
                "with underscore or dot.")
CHALLENGE = 'BASIC realm="Sonatype Nexus Repository Manager"'     # NexusBasicHttpAuthenticationFilter
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")


class TextBody(str):
    """A text/plain request body (change-password), as opposed to decoded JSON."""


def request_payload(headers: dict, body: bytes) -> Any:
    """The request body: TextBody for text/plain, else decoded JSON (None when empty; ValueError when malformed)."""
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    if content_type.lower().startswith("text/plain"):
        return TextBody(body.decode("utf-8", "replace"))
    return json.loads(body) if body else None


class AccountsEndpoints:
    """Mixed into NexusDouble: roles and local users of the default source. Uses the host's `password` (admin's),
    `repositories`, `query` (of the request being dispatched), `url` and `check_writable()`."""

    password: str
    repositories: dict
    query: dict
    url: str

    def __init__(self) -> None:
        super().__init__()
        # A fresh install: nx-admin and nx-anonymous, the users admin (password: the double's) and anonymous.
        self.roles: dict[str, dict] = {
            "nx-admin": _role_record({"id": "nx-admin", "name": "nx-admin", "description": "Administrator Role",
                                      "privileges": ["nx-all"], "roles": []}),
            "nx-anonymous": _role_record({"id": "nx-anonymous", "name": "nx-anonymous",
                                          "description": "Anonymous Role",
                                          "privileges": ["nx-repository-view-*-*-browse",
                                                         "nx-repository-view-*-*-read"], "roles": []})}
        self.users: dict[str, dict] = {
            "admin": {"userId": "admin", "firstName": "Administrator", "lastName": "User",
                      "emailAddress": "admin@example.org", "status": "active", "roles": ["nx-admin"]},
            "anonymous": {"userId": "anonymous", "firstName": "Anonymous", "lastName": "User",
                          "emailAddress": "anonymous@example.org", "status": "active", "roles": ["nx-anonymous"],
                          "password": None}}

    # ---- state helpers (also for tests acting behind Pulumi's back) ----------------------------------------------
    def privilege_ids(self) -> set[str]:
        ids = set(BUILTIN_PRIVILEGES)
        for repo in self.repositories.values():
            ids.update(f"nx-repository-view-{repo['format']}-{repo['name']}-{a}" for a in ACCOUNT_VIEW_ACTIONS)
        return ids

    def delete_repository(self, body: Any, name: str) -> Reply:
        """The storage part's delete; then Nexus strips the repository's privileges from every role, for good."""
        repo = lookup(self.repositories, name)
        reply = super().delete_repository(body, name)             # type: ignore[misc]
        if reply.status == 204 and repo is not None:
            gone = {f"nx-repository-view-{repo['format']}-{repo['name']}-{a}" for a in ACCOUNT_VIEW_ACTIONS}
            for role in self.roles.values():
                role["privileges"] = [p for p in role["privileges"] if p not in gone]
        return reply

    def login_status(self, user: str, password: str) -> int:
        """What Nexus answers a REST call made as `user`: 403 once authenticated (no nexus:* privilege), 401 not."""
        return requests.get(f"{self.url}/service/rest/v1/security/roles", auth=(user, password),
                            timeout=5).status_code

    def account_refusal(self, authorization: str) -> Reply:
        """The answer to a request the admin did not make: 403 for a logged-in local user, else 401."""
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "basic":
            user, _, password = base64.b64decode(value).decode("utf-8", "replace").partition(":")
            record = self.users.get(user)
            if record is not None and user != "admin" and record["status"] in LOGIN_STATUSES \
                    and record.get("password") is not None and record["password"] == password:
                return Reply(403)
        return Reply(401, headers={"WWW-Authenticate": CHALLENGE})

    def metrics_prometheus(self, authorization: str) -> Reply:
        """GET /service/metrics/prometheus: Nexus' Prometheus text for the admin or a local user holding
        nx-metrics-all through a role (nexus:metrics:read), 403 for any other logged-in user, 401 else. The body
        carries the component gauge the alerts read (`component_count`, a knob) and a JVM gauge."""
        if authorization == "Basic " + base64.b64encode(f"admin:{self.password}".encode()).decode():
            allowed = True
        else:
            refusal = self.account_refusal(authorization)
            if refusal.status != 403:
                return refusal
            user = base64.b64decode(authorization.partition(" ")[2]).decode().partition(":")[0]
            held = {p for r in self.users[user]["roles"] if r in self.roles for p in self.roles[r]["privileges"]}
            allowed = bool(held & {"nx-all", "nx-metrics-all"})
        if not allowed:
            return Reply(403)
        text = ("# HELP nexus_analytics_component_total_count Generated from Dropwizard metric import\n"
                "# TYPE nexus_analytics_component_total_count gauge\n"
                f"nexus_analytics_component_total_count {float(self.component_count)}\n"
                "# TYPE jvm_memory_heap_used gauge\njvm_memory_heap_used 1.0E8\n")
        return Reply(200, body=text.encode(), content_type="text/plain; version=0.0.4; charset=utf-8")

    # ---- roles ------------------------------------------------------------------------------------------------
    def list_roles(self, _body: Any) -> Any:
        source = (self.query.get("source") or [""])[0]
        if source and source != "default":
            return message_error(400, f"Source '{source}' not found.")
        return json_reply(200, [self._role_view(r) for _, r in sorted(self.roles.items())])

    def create_role(self, body: Any) -> Any:
        problem = _role_problems(body)
        if problem is not None:
            return problem
        if body["id"] in self.roles:
            return message_error(400, f"Role '{body['id']}' already exists, use a unique roleId.")
        missing = self._missing_contents(body)
        if missing is not None:
            return missing
        self.check_writable()
        self.roles[body["id"]] = _role_record(body)
        return json_reply(200, self._role_view(self.roles[body["id"]]))

    def get_role(self, _body: Any, role_id: str) -> Any:
        role = self.roles.get(role_id)
        return json_reply(200, self._role_view(role)) if role else message_error(404, f"Role '{role_id}' not found.")

    def update_role(self, body: Any, role_id: str) -> Any:
        problem = _role_problems(body)
        if problem is not None:
            return problem
        if body["id"] != role_id:
            return message_error(409, f"The Role id '{body['id']}' does not match the id used in the path '{role_id}'.")
        if role_id not in self.roles:
            return message_error(404, f"Role '{role_id}' not found.")
        unknown_role = next((r for r in body.get("roles") or [] if r not in self.roles), None)
        if unknown_role is not None:
            return message_error(400, f"Role '{unknown_role}' contained in role '{role_id}' not found.")
        self.check_writable()
        known = self.privilege_ids()            # 3.91+: unknown privileges are dropped, the answer is still 204
        self.roles[role_id] = _role_record({**body, "privileges": [p for p in body.get("privileges") or []
                                                                   if p in known]})
        return empty(204)

    def delete_role(self, _body: Any, role_id: str) -> Any:
        if role_id not in self.roles:
            return message_error(404, f"Role '{role_id}' not found.")
        self.check_writable()
        del self.roles[role_id]
        for user in self.users.values():                     # taken away from every user, for good
            user["roles"] = [r for r in user["roles"] if r != role_id]
        return empty(204)

    def _missing_contents(self, body: dict) -> Any:
        known = self.privilege_ids()
        for privilege in body.get("privileges") or []:
            if privilege not in known:
                return message_error(400, f"Privilege '{privilege}' contained in role '{body['id']}' not found.")
        for role in body.get("roles") or []:
            if role not in self.roles:
                return message_error(400, f"Role '{role}' contained in role '{body['id']}' not found.")
        return None

    @staticmethod
    def _role_view(role: dict) -> dict:
        return {**role, "source": "default", "readOnly": False}

    # ---- users ------------------------------------------------------------------------------------------------
    def list_users(self, _body: Any) -> Any:
        prefix = (self.query.get("userId") or [""])[0].lower()
        source = (self.query.get("source") or [""])[0]
        found = [u for _, u in sorted(self.users.items()) if u["userId"].lower().startswith(prefix)
                 and source in ("", "default")]
        return json_reply(200, [self._user_view(u) for u in found])

    def create_user(self, body: Any) -> Any:
        body = body if isinstance(body, dict) else {}
        problems = _user_problems(body, ("userId", "firstName", "lastName", "emailAddress", "password"))
        if not body.get("roles"):
            problems.append(("PARAMETER roles", "must not be empty"))
        if problems:
            return validation_errors(*problems)
        if body["userId"] in self.users:
            return unexpected_error(f"org.sonatype.nexus.security.user.DuplicateUserException: User "
                               f"'{body['userId']}' already exists.")
        self.check_writable()
        self.users[body["userId"]] = _user_record(body, password=body["password"])
        return json_reply(200, self._user_view(self.users[body["userId"]], echo=True))

    def update_user(self, body: Any, user_id: str) -> Any:
        body = body if isinstance(body, dict) else {}
        problems = _user_problems(body, ("userId", "firstName", "lastName", "emailAddress", "source"))
        if problems:
            return validation_errors(*problems)
        if body["userId"] != user_id:
            return message_error(400, "The path's userId does not match the body")
        unknown = [("roles", f"Unable to locate roleId: {r}") for r in body.get("roles") or [] if r not in self.roles]
        if unknown:
            return validation_errors(*unknown)
        if user_id not in self.users:
            return message_error(404, f"User '{user_id}' not found.")
        self.check_writable()
        self.users[user_id] = _user_record(body, password=self.users[user_id].get("password"))
        return empty(204)

    def delete_user(self, _body: Any, user_id: str) -> Any:
        if user_id not in self.users:
            return message_error(404, f"User '{user_id}' not found.")
        self.check_writable()
        del self.users[user_id]
        return empty(204)

    def change_password(self, body: Any, user_id: str) -> Any:
        if not isinstance(body, TextBody):
            return empty(415)                       # @Consumes(TEXT_PLAIN) [obs: 415 with application/json]
        if not body.strip():
            return message_error(400, "Password must be supplied.")
        if user_id not in self.users:
            return message_error(404, f"User '{user_id}' not found.")
        self.check_writable()
        if user_id == "admin":
            self.password = str(body)
        else:
            self.users[user_id]["password"] = str(body)
        return empty(204)

    def _user_view(self, user: dict, *, echo: bool = False) -> dict:
        roles = user["roles"] if echo else [r for r in user["roles"] if r in self.roles]
        view = {k: v for k, v in user.items() if k != "password"}
        return {**view, "roles": roles, "source": "default", "readOnly": False, "externalRoles": []}


def _role_record(body: dict) -> dict:
    return {"id": body["id"], "name": body["name"], "description": body.get("description") or "",
            "privileges": list(dict.fromkeys(body.get("privileges") or [])),
            "roles": list(dict.fromkeys(body.get("roles") or []))}


def _user_record(body: dict, *, password: Optional[str]) -> dict:
    return {"userId": body["userId"], "firstName": body["firstName"], "lastName": body["lastName"],
            "emailAddress": body["emailAddress"], "status": body["status"].lower(),
            "roles": list(dict.fromkeys(body.get("roles") or [])), "password": password}


def _role_problems(body: Any) -> Any:
    body = body if isinstance(body, dict) else {}
    problems = [(f"PARAMETER {k}", "must not be empty") for k in ("id", "name") if not body.get(k)]
    return validation_errors(*problems) if problems else None


def _user_problems(body: dict, required: tuple[str, ...]) -> list[tuple[str, str]]:
    problems = [(f"PARAMETER {k}", "must not be empty") for k in required if not body.get(k)]
    if body.get("userId") and not NAME_RE.match(body["userId"]):
        problems.append(("PARAMETER userId", NAME_MESSAGE))
    if body.get("emailAddress") and not EMAIL_RE.match(body["emailAddress"]):
        problems.append(("PARAMETER emailAddress", "must be a well-formed email address"))
    if str(body.get("status") or "").lower() not in USER_STATUSES:
        problems.append(("PARAMETER status", "must not be null"))
    return problems


# (method, path regex, status, openapi-core error names, reason): real answers the spec does not describe.
# Where the spec lists a 204 with `content: {}`, openapi-core expects a body (MissingData); Nexus sends none.
_ROLE, _USER = r"/v1/security/roles", r"/v1/security/users"
ACCOUNT_SPEC_GAPS: tuple[tuple, ...] = (
    ("GET", _ROLE, 200, ("ResponseNotFound",), "RoleApiResource.getRoles answers 200 with [RoleXOResponse]; the "
     "spec lists only 400/403"),
    ("POST", _ROLE, 200, ("ResponseNotFound",), "RoleApiResource.create answers 200 with the RoleXOResponse; the "
     "spec lists only 403"),
    ("POST", _ROLE, 400, ("ResponseNotFound",), "RoleApiResource.create: a duplicate id or an unknown privilege or "
     "role answers 400 with a message object (nexus-api §1 shape 2) [obs 3.76.1]"),
    ("GET", _ROLE + r"/[^/]+", 200, ("ResponseNotFound",), "RoleApiResource.getRole answers 200 with the "
     "RoleXOResponse; the spec lists only 400/403/404"),
    ("PUT", _ROLE + r"/[^/]+", 204, ("ResponseNotFound",), "RoleApiResource.update is void: 204; the spec lists "
     "only 403/404"),
    ("PUT", _ROLE + r"/[^/]+", 400, ("ResponseNotFound",), "RoleApiResource.update: an unknown contained role or "
     "a read-only role answers 400 with a message object"),
    ("PUT", _ROLE + r"/[^/]+", 409, ("ResponseNotFound",), "RoleApiResource.update: a body id other than the "
     "path's answers 409 [obs 3.76.1]"),
    ("DELETE", _ROLE + r"/[^/]+", 204, ("MissingData",), "204 without a body; the spec's 204 has `content: {}`"),
    ("GET", _USER, 200, ("ResponseNotFound",), "UserApiResource.getUsers answers 200 with [ApiUser]; the spec "
     "lists only 400/403"),
    ("POST", _USER, 200, ("ResponseNotFound",), "UserApiResource.createUser answers 200 with the ApiUser; the "
     "spec lists only 400/403"),
    ("POST", _USER, 500, ("ResponseNotFound",), "a duplicate user id is an unmapped DuplicateUserException: 500 "
     "text/plain (nexus-api §1 shape 4) [obs nexus-public#1047, 3.76.1]"),
    ("PUT", _USER + r"/[^/]+", 204, ("MissingData",), "204 without a body; the spec's 204 has `content: {}`"),
    ("DELETE", _USER + r"/[^/]+", 204, ("ResponseNotFound",), "UserApiResource.deleteUser is void: 204; the spec "
     "lists only 400/403/404"),
    ("PUT", _USER + r"/[^/]+/change-password", 204, ("MissingData",), "204 without a body; the spec's 204 has "
     "`content: {}`"),
    ("PUT", _USER + r"/[^/]+/change-password", 415, ("ResponseNotFound",), "@Consumes(TEXT_PLAIN): any other "
     "content type answers 415 [obs 3.76.1]"),
)

_ID = r"([^/?]+)"
ACCOUNT_ROUTES: tuple[tuple[str, str, Any], ...] = (
    ("GET", r"/v1/security/roles", AccountsEndpoints.list_roles),
    ("POST", r"/v1/security/roles", AccountsEndpoints.create_role),
    ("GET", rf"/v1/security/roles/{_ID}", AccountsEndpoints.get_role),
    ("PUT", rf"/v1/security/roles/{_ID}", AccountsEndpoints.update_role),
    ("DELETE", rf"/v1/security/roles/{_ID}", AccountsEndpoints.delete_role),
    ("GET", r"/v1/security/users", AccountsEndpoints.list_users),
    ("POST", r"/v1/security/users", AccountsEndpoints.create_user),
    ("PUT", rf"/v1/security/users/{_ID}/change-password", AccountsEndpoints.change_password),
    ("PUT", rf"/v1/security/users/{_ID}", AccountsEndpoints.update_user),
    ("DELETE", rf"/v1/security/users/{_ID}", AccountsEndpoints.delete_user),
)
