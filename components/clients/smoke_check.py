"""SmokeCheck: the post-deploy registry check (`smoke: true`) as a pulumi-command `local.Command` that
runs `python -m components.clients.smoke` against the registry address once everything else is up.

It pushes as `user` (the first push user, else admin) and, with a `pull_user`, pulls as that user and checks
that its push is refused. The CA goes through a temporary file and the passwords through the environment,
never the command line.
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Optional, Sequence

import pulumi
from pulumi_command import local

PROXY_IMAGE = "library/busybox:latest"


def smoke_script(registry_address: str, user: str = "admin", proxy_image: str | None = PROXY_IMAGE,
                 pull_user: str | None = None) -> str:
    args = ["--registry", registry_address, "--ca", '"$ca"', "--user", user]
    if pull_user:
        args += ["--pull-user", pull_user]
    if proxy_image:
        args += ["--proxy-image", proxy_image]
    quoted = " ".join(a if a == '"$ca"' else shlex.quote(a) for a in args)
    return ('py=venv/bin/python; [ -x "$py" ] || py=python3; '
            'ca=$(mktemp) && printf "%s" "$REGISTRY_CA_PEM" > "$ca" && '
            f'"$py" -m components.clients.smoke {quoted}; rc=$?; rm -f "$ca"; exit $rc')


@dataclass(frozen=True)
class SmokeCheckArgs:
    registry_address: pulumi.Input[str]
    ca_cert_pem: pulumi.Input[str]
    password: pulumi.Input[str]                 # secret: the pushing user's
    user: pulumi.Input[str] = "admin"           # who pushes: the first push user, else admin
    pull_user: Optional[pulumi.Input[str]] = None       # who pulls, and must be refused a push
    pull_password: Optional[pulumi.Input[str]] = None   # secret
    triggers: Sequence[pulumi.Input] = ()       # what re-runs it (address, CA, repositories)
    depends_on: Sequence[pulumi.Resource] = ()


class SmokeCheck(pulumi.ComponentResource):
    def __init__(self, name: str, args: SmokeCheckArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nexus-registry:index:SmokeCheck", name, None, opts)
        environment = {"REGISTRY_CA_PEM": args.ca_cert_pem,
                       "NEXUS_REGISTRY_PASSWORD": pulumi.Output.secret(args.password)}
        if args.pull_user is not None:
            environment["NEXUS_PULL_PASSWORD"] = pulumi.Output.secret(args.pull_password)
        self.command = local.Command(
            f"{name}-run",
            create=pulumi.Output.all(args.registry_address, args.user, args.pull_user).apply(
                lambda v: smoke_script(v[0], v[1], pull_user=v[2])),
            environment=environment,
            triggers=list(args.triggers),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on)))
        self.register_outputs({"stdout": self.command.stdout})
