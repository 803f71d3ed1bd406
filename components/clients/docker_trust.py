"""DockerClientTrust: installs the registry CA on docker hosts over SSH, where docker looks for it:
/etc/docker/certs.d/<registry ip:port>/ca.crt (docker reads it on every connection; no restart).

The shell scripts are plain functions (tested by running them); the component wires one
pulumi-command remote.Command per host and address (the registry's, and the push-only one when pushPort is set),
re-run when the CA or the address changes.
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Optional

import pulumi
from pulumi_command import remote

from components.config_values import DockerHost

CERTS_D = "/etc/docker/certs.d"
# Root on the host runs it as is; any other user goes through sudo (non-interactive).
_AS_ROOT = 'if [ "$(id -u)" -eq 0 ]; then SUDO=; else SUDO="sudo -n"; fi; '


def ca_dir(registry_address: str, base: str = CERTS_D) -> str:
    return f"{base}/{registry_address}"


def ca_path(registry_address: str, base: str = CERTS_D) -> str:
    """Where docker looks for the registry's CA."""
    return f"{ca_dir(registry_address, base)}/ca.crt"


def install_script(registry_address: str, base: str = CERTS_D) -> str:
    """Reads the CA PEM on stdin and writes it to <base>/<address>/ca.crt (0644), atomically."""
    directory = shlex.quote(ca_dir(registry_address, base))
    return (_AS_ROOT + f"$SUDO mkdir -p {directory} && "
            f"$SUDO sh -c 'cat > {directory}/ca.crt.tmp && chmod 0644 {directory}/ca.crt.tmp && "
            f"mv {directory}/ca.crt.tmp {directory}/ca.crt'")


def remove_script(registry_address: str, base: str = CERTS_D) -> str:
    """Removes the CA and its directory (left alone if someone put other files there)."""
    directory = shlex.quote(ca_dir(registry_address, base))
    return _AS_ROOT + f"$SUDO rm -f {directory}/ca.crt && $SUDO rmdir {directory} 2>/dev/null || true"


@dataclass(frozen=True)
class DockerClientTrustArgs:
    hosts: tuple[DockerHost, ...]
    registry_address: pulumi.Input[str]
    ca_cert_pem: pulumi.Input[str]
    ssh_private_key: pulumi.Input[str]      # secret
    push_address: Optional[pulumi.Input[str]] = None   # the push-only address (pushPort), trusted the same way


class DockerClientTrust(pulumi.ComponentResource):
    commands: list[remote.Command]

    def __init__(self, name: str, args: DockerClientTrustArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("nexus-registry:index:DockerClientTrust", name, None, opts)
        key = pulumi.Output.secret(args.ssh_private_key)
        # docker looks the CA up per address: the push-only port needs its own certs.d directory.
        addresses = {"": pulumi.Output.from_input(args.registry_address)}
        if args.push_address is not None:
            addresses["-push"] = pulumi.Output.from_input(args.push_address)
        self.commands = []
        for host in args.hosts:
            for suffix, address in addresses.items():
                self.commands.append(remote.Command(
                    f"{name}-{host.host}-{host.port}{suffix}",
                    connection=remote.ConnectionArgs(host=host.host, port=host.port, user=host.user,
                                                     private_key=key),
                    create=address.apply(install_script),
                    delete=address.apply(remove_script),
                    stdin=args.ca_cert_pem,
                    triggers=[args.ca_cert_pem, address],
                    logging=remote.Logging.NONE,
                    opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["stdout", "stderr"])))
        self.register_outputs({"hosts": [h.label for h in args.hosts],
                               "ca_path": addresses[""].apply(ca_path)})
