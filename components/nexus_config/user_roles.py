"""A dynamic resource for the roles of a Nexus user the stack does not own, above all Nexus' own `anonymous` user:
`UserRoles` makes sure the user holds the roles `grant` and not the roles `revoke`, and touches no other role.

Like `ActiveRealms`, it records what it changed: `added` (granted roles the user did not hold before) and `removed`
(revoked roles the user held). An update gives back what is no longer asked for; a destroy gives back everything:
the roles it added are taken away, the roles it removed are given back. The user itself is never created or deleted
(a missing user fails the create with a message), and a role somebody gave the user by hand is never taken away
unless it is in `revoke`. Bodies and the plan are in accounts_payloads.py.
"""
from __future__ import annotations

from typing import Optional

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult

from components.nexus_config import accounts_payloads as ap
from components.nexus_config import fields as f
from components.nexus_config.accounts import USERS_PATH, LocalUserProvider
from components.nexus_config.client import NexusClient, NexusError
from components.nexus_config.provider_base import NexusProvider, NexusResource


_some_role_ids = ap.name_set(f.object_name, "role ids")


def _role_ids(value: object) -> list:
    """Role ids, sorted; none is fine (nothing to grant, or nothing to revoke)."""
    return [] if value in (None, []) else _some_role_ids(value)


def _no_overlap(inputs: dict) -> list[tuple[str, str]]:
    grant, revoke = inputs.get("grant"), inputs.get("revoke")
    if f.is_unknown(grant) or f.is_unknown(revoke) or not isinstance(grant, list) or not isinstance(revoke, list):
        return []
    both = sorted(set(grant) & set(revoke))
    return [("revoke", f"roles {both} are both granted and revoked")] if both else []


class UserRolesProvider(NexusProvider):
    fields = (
        f.URL_FIELD,
        f.Field("user", f.object_name, replaces=True),     # built-in users too (anonymous)
        f.Field("grant", _role_ids, []),
        f.Field("revoke", _role_ids, []),
    )
    cross_check = staticmethod(_no_overlap)

    def create(self, props: dict) -> CreateResult:
        inputs = self._inputs(props)
        return CreateResult(inputs["user"], self._apply(inputs, added=[], removed=[]))

    def update(self, _id: str, olds: dict, news: dict) -> UpdateResult:
        return UpdateResult(self._apply(self._inputs(news), added=olds.get("added") or [],
                                        removed=olds.get("removed") or []))

    def read(self, id_: str, props: dict) -> ReadResult:
        client = self._client(props)
        user = self._user(client, id_)
        if user is None:                               # deleted outside Pulumi: refresh drops it from state
            return ReadResult("", {})
        roles = sorted(user.get("roles") or [])
        # A granted role taken away, or a revoked one given back, by hand: drift the next update restores.
        outs = {"nexus_url": client.base_url, "user": id_, "roles": roles,
                "grant": [r for r in props.get("grant") or [] if r in roles],
                "revoke": [r for r in props.get("revoke") or [] if r not in roles],
                "added": [r for r in props.get("added") or [] if r in roles],
                "removed": [r for r in props.get("removed") or [] if r not in roles]}
        return ReadResult(id_, outs, f.inputs_from_outs(self.fields, outs))

    def delete(self, id_: str, props: dict) -> None:
        client = self._client(props)
        user = self._user(client, id_)
        if user is None:
            return
        current = list(user.get("roles") or [])
        roles = ap.release_user_roles(current, props.get("added") or [], props.get("removed") or [])
        if sorted(roles) != sorted(current):
            client.put(f"{USERS_PATH}/{id_}", ap.user_roles_request(user, roles))

    def _apply(self, inputs: dict, added: list, removed: list) -> dict:
        client = self._client(inputs)
        client.wait_until_ready()
        name = inputs["user"]
        user = self._user(client, name)
        if user is None:
            raise NexusError(f"Nexus at {client.base_url} has no local user {name!r} to give roles {inputs['grant']} "
                             f"(Nexus creates `anonymous` at its first start; it was deleted or renamed). Create it "
                             f"in the Nexus UI (Security > Users) and run `pulumi up` again")
        current = sorted(user.get("roles") or [])
        roles, now_added, now_removed = ap.plan_user_roles(current, inputs["grant"], inputs["revoke"], added, removed)
        if roles != current:                           # an unknown role: Nexus' 400 names it
            client.put(f"{USERS_PATH}/{name}", ap.user_roles_request(user, roles))
        return {"nexus_url": client.base_url, "user": name, "grant": inputs["grant"], "revoke": inputs["revoke"],
                "roles": roles, "added": now_added, "removed": now_removed}

    @staticmethod
    def _user(client: NexusClient, name: str) -> Optional[dict]:
        found = ap.find_user(client.get(LocalUserProvider._search(name)) or [], name)
        return dict(found) if found is not None else None


class UserRoles(NexusResource, module="nexus", name="UserRoles"):
    """Roles of a Nexus user the stack does not own (e.g. `anonymous`). Inputs: nexus_url, user, grant (role ids the
    user must hold), revoke (role ids it must not hold). Outs add `roles` (the user's roles), `added` and `removed`
    (what this resource changed, given back on destroy)."""
    _provider = UserRolesProvider
    _outputs = ("roles", "added", "removed")
    user: pulumi.Output[str]
    grant: pulumi.Output[list]
    revoke: pulumi.Output[list]
    roles: pulumi.Output[list]
    added: pulumi.Output[list]
    removed: pulumi.Output[list]
