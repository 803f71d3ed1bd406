"""DockerAccounts: least-privilege docker users instead of Nexus' admin, as resources over the Nexus REST API
(dynamic providers in accounts.py): a push role (the hosted repository's browse/read/add/edit), a pull role
(the group's browse/read), and one local user per name in `pushUsers` (push and pull roles) and `pullUsers`
(pull role), each with a generated password that only ever travels as a secret."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import pulumi

from components.nexus_config import accounts_payloads as ap
from components.nexus_config.accounts import LocalUser, Role


@dataclass(frozen=True)
class DockerAccountsArgs:
    nexus_url: pulumi.Input[str]
    hosted_repo: str                            # the repository names from the config (checked by the settings)
    group_repo: str
    push_users: Sequence[str]
    pull_users: Sequence[str]
    registry_address: pulumi.Input[str]         # for the login lines
    push_address: Optional[pulumi.Input[str]] = None
    rotation: str = "1"                         # a new value gives every user a new password
    # The repositories: their privileges exist only once they do.
    depends_on: Sequence[pulumi.Resource] = ()


class DockerAccounts(pulumi.ComponentResource):
    credentials: pulumi.Output[dict]            # secret: user -> {access, login, password}
    first_push_user: Optional[pulumi.Output[str]]
    first_push_password: Optional[pulumi.Output[str]]      # secret
    first_pull_user: Optional[pulumi.Output[str]]
    first_pull_password: Optional[pulumi.Output[str]]      # secret

    def __init__(self, name: str, args: DockerAccountsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nexus-registry:index:DockerAccounts", name, None, opts)
        managed_by = f"managed by Pulumi stack {pulumi.get_project()}/{pulumi.get_stack()}"
        child = pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on))
        repository = {ap.PUSH: args.hosted_repo, ap.PULL: args.group_repo}
        roles = {access: Role(f"{name}-role-{access}", nexus_url=args.nexus_url, name=role_id,
                              description=f"docker {access} on {repository[access]} ({managed_by})",
                              privileges=ap.role_privileges(access, args.hosted_repo, args.group_repo),
                              opts=child)
                 for access, role_id in ap.ROLE_IDS.items()}
        plan = ap.plan_users(args.push_users, args.pull_users)
        users = {user: LocalUser(f"{name}-user-{user}", nexus_url=args.nexus_url, name=user,
                                 roles=[roles[r].name for r in ap.ACCESS_ROLES[access]], last_name=managed_by,
                                 rotation=args.rotation, opts=child)
                 for user, access in plan}

        self.resources: Sequence[pulumi.Resource] = [*roles.values(), *users.values()]
        self.credentials = pulumi.Output.secret(pulumi.Output.all(
            args.registry_address, args.push_address, *[users[u].password for u, _ in plan]).apply(
            lambda values: {user: ap.docker_credential(values[0], user, access, password, values[1])
                            for (user, access), password in zip(plan, values[2:])}))
        self.first_push_user, self.first_push_password = self._first(users, args.push_users)
        self.first_pull_user, self.first_pull_password = self._first(users, args.pull_users)
        self.register_outputs({"credentials": self.credentials})

    @staticmethod
    def _first(users: dict[str, LocalUser], names: Sequence[str]
               ) -> tuple[Optional[pulumi.Output[str]], Optional[pulumi.Output[str]]]:
        """The first user of a kind (its id as Nexus holds it, its password as a secret), or (None, None)."""
        if not names:
            return None, None
        user = users[names[0]]
        return user.name, pulumi.Output.secret(user.password)
