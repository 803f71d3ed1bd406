"""Roles and local users: repository-view privilege ids, Field tables, request builders (our inputs -> the
RoleXORequest / ApiCreateUser / ApiUser bodies of Nexus 3.94) and read normalisers (Nexus GET bodies -> our
outs), and the generated passwords. Pure: no I/O, no Pulumi wiring.

Facts (shared/docs/nexus-ops.md "Accounts"; nexus-public RoleApiResource, UserApiResource, ApiCreateUser):
- Nexus creates `nx-repository-view-<format>-<repo>-{*,browse,read,edit,add,delete}` for every repository, from
  the stored name verbatim; privilege ids are case-sensitive.
- Role and user reads return their lists as sets (no order): outs and inputs keep them sorted.
"""
from __future__ import annotations

import re
import secrets
from typing import Any, Callable, Mapping, Sequence

from components.config_values import check_privilege_repository, check_user_id
from components.nexus_config.fields import (
    NAME_FIELD,
    URL_FIELD,
    Field,
    InvalidValue,
    choice,
    non_empty_string,
    object_name,
    unique_list,
)

DOCKER = "docker"
PRIVILEGE_PREFIX = "nx-repository-view-"
VIEW_ACTIONS = ("browse", "read", "edit", "add", "delete")
# Pushing needs add (uploads) plus edit and read (tags, manifests; Sonatype KB 360054967054); no delete.
# Community Edition cannot push to a group, so the push privileges name the hosted repository only.
PUSH_ACTIONS = ("browse", "read", "add", "edit")
# A group's privileges cover its members (Sonatype KB 221279107).
PULL_ACTIONS = ("browse", "read")
USER_STATUSES = ("active", "locked", "disabled", "changepassword")
DEFAULT_SOURCE = "default"
EMAIL_DOMAIN = "nexus-registry.invalid"           # RFC 2606: never a real mailbox
PASSWORD_BYTES = 32                               # secrets.token_urlsafe(32): 43 URL-safe characters
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PRIVILEGE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.*,\-]*$")


def new_password() -> str:
    """A fresh password: 256 random bits as 43 URL-safe characters (no quoting issues in docker login)."""
    return secrets.token_urlsafe(PASSWORD_BYTES)


# ---- privileges -----------------------------------------------------------------------------------------------

def repository_view_privilege(repository: str, action: str, fmt: str = DOCKER) -> str:
    """`nx-repository-view-docker-<repository>-<action>`, refusing a name that would make another privilege id
    than the one Nexus creates for that repository (outside Nexus' name pattern, or not lowercase)."""
    try:
        check_privilege_repository(object_name(repository))
    except ValueError as exc:                      # InvalidValue is one too
        raise InvalidValue(f"repository {repository!r}: {exc}") from None
    if action not in VIEW_ACTIONS:
        raise InvalidValue(f"action {action!r}: must be one of {', '.join(VIEW_ACTIONS)}")
    return f"{PRIVILEGE_PREFIX}{fmt}-{repository}-{action}"


def repository_view_privileges(repository: str, actions: Sequence[str], fmt: str = DOCKER) -> list[str]:
    return sorted(repository_view_privilege(repository, action, fmt) for action in actions)


# ---- validators -----------------------------------------------------------------------------------------------

def name_set(item: Callable[[Any], Any], what: str) -> Callable[[Any], list]:
    """`unique_list`, sorted: Nexus keeps roles' privileges and users' roles as sets."""
    ordered = unique_list(item, what)
    return lambda value: sorted(ordered(value))


def privilege_id(value: Any) -> str:
    if not isinstance(value, str) or not _PRIVILEGE_ID.match(value):
        raise InvalidValue("must be a Nexus privilege id, e.g. nx-repository-view-docker-docker-hosted-read")
    return value


def user_id(value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidValue("must be a string")
    try:
        return check_user_id(value)
    except ValueError as exc:
        raise InvalidValue(str(exc)) from None


def email_address(value: Any) -> str:
    if not isinstance(value, str) or not _EMAIL.match(value):
        raise InvalidValue("must be an e-mail address (Nexus requires one per user)")
    return value


# ---- field tables ---------------------------------------------------------------------------------------------

ROLE_FIELDS = (
    URL_FIELD,
    NAME_FIELD,                                               # the role id (and its name)
    Field("description", non_empty_string),
    Field("privileges", name_set(privilege_id, "privilege ids")),
)
USER_FIELDS = (
    URL_FIELD,
    Field("name", user_id, replaces=True),                    # the userId: "This value cannot be changed"
    Field("roles", name_set(object_name, "role ids")),        # ApiCreateUser.roles is @NotEmpty
    Field("status", choice(USER_STATUSES, to_case=str.lower), "active", fold_case=True),
    Field("first_name", non_empty_string, lambda inputs: inputs.get("name")),
    Field("last_name", non_empty_string, "managed by Pulumi"),
    Field("email", email_address, lambda inputs: f"{inputs.get('name')}@{EMAIL_DOMAIN}"),
    # Not a Nexus field: a new value makes the update generate a new password (change-password).
    Field("rotation", non_empty_string, "1"),
)


# ---- requests and reads ---------------------------------------------------------------------------------------

def role_request(inputs: Mapping[str, Any]) -> dict:
    """RoleXORequest: id and name are the role id; no nested roles."""
    return {"id": inputs["name"], "name": inputs["name"], "description": inputs["description"],
            "privileges": list(inputs["privileges"]), "roles": []}


def role_outs(body: Mapping[str, Any]) -> dict:
    return {"name": body.get("id"), "description": body.get("description"),
            "privileges": sorted(body.get("privileges") or []), "source": body.get("source")}


def missing_privileges(requested: Sequence[str], stored: Sequence[str]) -> list[str]:
    """Requested privileges Nexus did not keep (3.91+ drops unknown ids from a role update and answers 204)."""
    return sorted(set(requested) - set(stored))


def _user_fields(inputs: Mapping[str, Any]) -> dict:
    return {"userId": inputs["name"], "firstName": inputs["first_name"], "lastName": inputs["last_name"],
            "emailAddress": inputs["email"], "status": inputs["status"], "roles": list(inputs["roles"])}


def user_create_request(inputs: Mapping[str, Any], password: str) -> dict:
    """ApiCreateUser (a local user of the default source)."""
    return {**_user_fields(inputs), "password": password}


def user_update_request(inputs: Mapping[str, Any]) -> dict:
    """ApiUser for PUT /v1/security/users/{id}: the whole user (no password; that is change-password's)."""
    return {**_user_fields(inputs), "source": DEFAULT_SOURCE}


def user_outs(body: Mapping[str, Any]) -> dict:
    return {"name": body.get("userId"), "roles": sorted(body.get("roles") or []),
            "status": (body.get("status") or "").lower() or None, "first_name": body.get("firstName"),
            "last_name": body.get("lastName"), "email": body.get("emailAddress"), "source": body.get("source")}


def find_user(users: Sequence[Mapping[str, Any]], name: str) -> Mapping[str, Any] | None:
    """The user `name` from a `GET /v1/security/users?userId=` answer (a case-insensitive prefix search)."""
    return next((u for u in users if u.get("userId") == name), None)


# ---- the stack's accounts -------------------------------------------------------------------------------------

PUSH, PULL = "push", "pull"
ROLE_IDS = {PUSH: "nexus-registry-docker-push", PULL: "nexus-registry-docker-pull"}
# Push users get the pull role too: a pusher pulls its base images, and containerd's pre-push HEAD of the
# manifest goes to the group (the gateway sends every manifest HEAD there), where 403 would fail the push.
ACCESS_ROLES = {PUSH: (PUSH, PULL), PULL: (PULL,)}


def role_privileges(access: str, hosted: str, group: str) -> list[str]:
    """push: the hosted repository's browse/read/add/edit; pull: the group's browse/read."""
    return repository_view_privileges(hosted, PUSH_ACTIONS) if access == PUSH else \
        repository_view_privileges(group, PULL_ACTIONS)


def plan_users(push_users: Sequence[str], pull_users: Sequence[str]) -> list[tuple[str, str]]:
    """(user id, access) for every user, push users first, in the order the stack lists them."""
    return [(u, PUSH) for u in push_users] + [(u, PULL) for u in pull_users]


def docker_credential(registry: str, user: str, access: str, password: str, push_registry: str | None = None) -> dict:
    """One entry of the `docker_credentials` stack output."""
    entry = {"access": access, "login": f"docker login {registry} -u {user} --password-stdin", "password": password}
    if push_registry and access == PUSH:
        entry["push_login"] = f"docker login {push_registry} -u {user} --password-stdin"
    return entry


# ---- roles of a user the stack does not own (Nexus' anonymous user) -------------------------------------------

MIRROR_READ_ROLE = "nexus-registry-mirror-read"
ANONYMOUS_ROLE = "nx-anonymous"     # Nexus' built-in role of its anonymous user: browse/read on EVERY repository


def mirror_read_privileges(repositories: Sequence[str]) -> list[str]:
    """browse/read on each mirror proxy, and nothing else (no group, no hosted)."""
    return sorted(p for repo in repositories for p in repository_view_privileges(repo, PULL_ACTIONS))


def user_roles_request(user: Mapping[str, Any], roles: Sequence[str]) -> dict:
    """ApiUser for PUT /v1/security/users/{id}: the user as Nexus holds it, with `roles` instead of its own."""
    return {"userId": user["userId"], "firstName": user.get("firstName"), "lastName": user.get("lastName"),
            "emailAddress": user.get("emailAddress"), "status": user.get("status"),
            "source": user.get("source") or DEFAULT_SOURCE, "roles": list(roles)}


def plan_user_roles(current: Sequence[str], grant: Sequence[str], revoke: Sequence[str],
                    added: Sequence[str] = (), removed: Sequence[str] = ()) -> tuple[list[str], list[str], list[str]]:
    """(the user's new roles, the roles we hold added, the roles we hold removed).

    A granted role counts as ours (`added`) when we gave it, now or earlier; one the user already held stays the
    user's. A revoked role counts as ours (`removed`) when we took it away, now or earlier. Roles we added that are no
    longer granted are taken away again; roles we removed that are no longer revoked are given back; any other role
    of the user is never touched.
    """
    roles = [r for r in current if not (r in added and r not in grant)]
    roles += [r for r in removed if r not in revoke and r not in roles]
    now_added = sorted(r for r in grant if r in added or r not in current)
    now_removed = sorted(r for r in revoke if r in removed or r in current)
    roles = [r for r in roles if r not in revoke]
    roles += [r for r in grant if r not in roles]
    return sorted(roles), now_added, now_removed


def release_user_roles(current: Sequence[str], added: Sequence[str], removed: Sequence[str]) -> list[str]:
    """The user's roles once we give everything back: without what we added, with what we removed."""
    return plan_user_roles(current, (), (), added, removed)[0]
