"""SmokeCheck: the post-deploy registry check (`smoke: true`) as a pulumi-command `local.Command` that
runs `python -m components.clients.smoke` against the registry address once everything else is up.

The CA goes through a temporary file and the password through the environment, never the command line.
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Sequence

import pulumi
from pulumi_command import local

PROXY_IMAGE = "library/busybox:latest"


def smoke_script(registry_address: str, user: str = "admin", proxy_image: str | None = PROXY_IMAGE) -> str:
    args = ["--registry", registry_address, "--ca", '"$ca"', "--user", user]
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
    password: pulumi.Input[str]                 # secret
    triggers: Sequence[pulumi.Input] = ()       # what re-runs it (address, CA, repositories)
    depends_on: Sequence[pulumi.Resource] = ()


class SmokeCheck(pulumi.ComponentResource):
    def __init__(self, name: str, args: SmokeCheckArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nexus-registry:index:SmokeCheck", name, None, opts)
        self.command = local.Command(
            f"{name}-run",
            create=pulumi.Output.from_input(args.registry_address).apply(smoke_script),
            environment={"REGISTRY_CA_PEM": args.ca_cert_pem,
                         "NEXUS_REGISTRY_PASSWORD": pulumi.Output.secret(args.password)},
            triggers=list(args.triggers),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on)))
        self.register_outputs({"stdout": self.command.stdout})
