"""Writes docs/configuration.md from Pulumi.yaml (`make docs`); `--check` exits 1 when the file is stale.

Pulumi.yaml is the one place a stack key is declared: its type, default, secretness and description. The
reference groups the keys under Pulumi.yaml's own `# --- Section ---` comments, in file order, and adds a link
to the guide that explains a key (SEE below).
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "configuration.md"
SECTION_RE = re.compile(r"^  # --- (?P<title>.+?) -+\s*$")
KEY_RE = re.compile(r"^  (?P<key>\w+):\s*$")

# key -> (guide title, relative link): where a key's behaviour is explained at length.
SEE = {
    "networkPolicies": ("Hardening", "tls-and-hardening.md#hardening-checked-by-checkov"),
    "adoptExisting": ("Taking over a hand-made registry", "adopting.md"),
    "retainData": ("Data safety", "what-gets-created.md#what-gets-created"),
    "pushPort": ("The push-only port", "gateway-routing.md#the-push-only-port-pushport"),
    "tlsProfile": ("TLS", "tls-and-hardening.md#tls-checked-by-sslyze"),
    "searchTarget": ("docker search", "gateway-routing.md#docker-search"),
    "dockerHubUsername": ("Docker Hub credentials", "housekeeping.md#docker-hub-credentials"),
    "dockerHubToken": ("Docker Hub credentials", "housekeeping.md#docker-hub-credentials"),
    "proxyNegativeCacheMinutes": ("Docker Hub credentials", "housekeeping.md#docker-hub-credentials"),
    "acceptEula": ("Troubleshooting", "troubleshooting.md#troubleshooting"),
    "nexusUrl": ("Troubleshooting", "troubleshooting.md#troubleshooting"),
    "proxyCleanupDays": ("Keeping the disk in check", "housekeeping.md#keeping-the-disk-in-check"),
    "hostedCleanupDays": ("Keeping the disk in check", "housekeeping.md#keeping-the-disk-in-check"),
    "housekeeping": ("Keeping the disk in check", "housekeeping.md#keeping-the-disk-in-check"),
    "housekeepingCron": ("Keeping the disk in check", "housekeeping.md#keeping-the-disk-in-check"),
    "blobStoreSoftQuota": ("Keeping the disk in check", "housekeeping.md#keeping-the-disk-in-check"),
    "blobStoreType": ("Blob stores on S3", "scaling.md#blob-stores-on-s3"),
    "s3Bucket": ("Blob stores on S3", "scaling.md#blob-stores-on-s3"),
    "s3Region": ("Blob stores on S3", "scaling.md#blob-stores-on-s3"),
    "s3Endpoint": ("Blob stores on S3", "scaling.md#blob-stores-on-s3"),
    "s3ForcePathStyle": ("Blob stores on S3", "scaling.md#blob-stores-on-s3"),
    "s3Prefix": ("Blob stores on S3", "scaling.md#blob-stores-on-s3"),
    "s3AccessKeyId": ("Blob stores on S3", "scaling.md#blob-stores-on-s3"),
    "s3SecretAccessKey": ("Blob stores on S3", "scaling.md#blob-stores-on-s3"),
    "databaseUrl": ("An external PostgreSQL", "scaling.md#an-external-postgresql"),
    "databaseUser": ("An external PostgreSQL", "scaling.md#an-external-postgresql"),
    "databasePassword": ("An external PostgreSQL", "scaling.md#an-external-postgresql"),
    "gatewayDrainSeconds": ("Rollouts that drop nothing", "rollouts.md#rollouts-that-drop-nothing"),
    "dockerHosts": ("Trusting the CA on docker hosts", "clients.md#trusting-the-ca-on-docker-hosts"),
    "sshPrivateKey": ("Trusting the CA on docker hosts", "clients.md#trusting-the-ca-on-docker-hosts"),
    "pullSecretNamespaces": ("Pull Secrets", "clients.md#pull-secrets-pullsecretnamespaces-pullsecretname"),
    "pullSecretName": ("Pull Secrets", "clients.md#pull-secrets-pullsecretnamespaces-pullsecretname"),
    "trustOnNodes": ("The CA on every node", "clients.md#the-ca-on-every-node-trustonnodes"),
    "smoke": ("Smoke check", "clients.md#smoke-check"),
    "pushUsers": ("Docker accounts", "accounts.md#docker-accounts-push-and-pull-users"),
    "pullUsers": ("Docker accounts", "accounts.md#docker-accounts-push-and-pull-users"),
    "credentialsRotation": ("Docker accounts", "accounts.md#docker-accounts-push-and-pull-users"),
    "tlsCertificate": ("Bring your own certificate", "own-certificate.md"),
    "tlsPrivateKey": ("Bring your own certificate", "own-certificate.md"),
    "tlsCaCertificate": ("Bring your own certificate", "own-certificate.md"),
    "mirrors": ("Mirrors for the cluster", "mirrors.md"),
    "mirrorOnNodes": ("Mirrors for the cluster", "mirrors.md"),
    "mirrorCredentials": ("Mirrored upstreams", "mirrors-upstreams.md"),
    "monitoring": ("Monitoring", "monitoring.md"),
    "prometheusOperator": ("Monitoring", "monitoring.md"),
    "componentLimit": ("Monitoring", "monitoring.md"),
    "requestLimit": ("Monitoring", "monitoring.md"),
    "gatewayExporterImage": ("Monitoring", "monitoring.md"),
    "monitoringLabels": ("Monitoring", "monitoring.md"),
}

HEADER = """# Configuration reference

<!-- Generated from Pulumi.yaml by `make docs` (scripts/config_docs.py); tests/docs/test_docs.py fails when it is
stale. Edit Pulumi.yaml, then run `make docs`. -->

Every key of `Pulumi.yaml`, in its order. Set one with `pulumi config set <key> <value>`, an array entry with
`pulumi config set --path 'publicIps[0]' <value>`, a secret with `pulumi config set --secret <key>`.

Every value is checked before anything is created; a bad one stops the program with the key and the value, e.g.
`nexus-registry:registryPort = 8443: must be inside nodePortRange 30000-32767 with serviceType NodePort`.
Secrets (the admin password, tokens, keys) are never written into the stack files by hand.
"""


def _type(decl: dict) -> str:
    return decl["type"] + (f"<{decl['items']['type']}>" if decl["type"] == "array" else "")


def _default(decl: dict) -> str:
    if "default" in decl:
        return f"`{json.dumps(decl['default'])}`"
    return "*(required, secret)*" if decl.get("secret") else "*(required)*"


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def sections(project_text: str) -> list[tuple[str, list[str]]]:
    """[(section title, [keys])] in Pulumi.yaml's order, from its `# --- Title ---` comments."""
    out: list[tuple[str, list[str]]] = []
    in_config = False
    for line in project_text.splitlines():
        if line.startswith("config:"):
            in_config = True
            continue
        if in_config and line and not line.startswith(" "):
            break
        if not in_config:
            continue
        if m := SECTION_RE.match(line):
            out.append((m.group("title"), []))
        elif m := KEY_RE.match(line):
            if not out:
                out.append(("General", []))
            out[-1][1].append(m.group("key"))
    return out


def render(project_text: str) -> str:
    decls = yaml.safe_load(project_text)["config"]
    parts = [HEADER]
    for title, keys in sections(project_text):
        parts.append(f"## {title}\n\n| key | type | default | description |\n|---|---|---|---|")
        for key in keys:
            decl = decls[key]
            desc = _cell(decl.get("description", ""))
            if key in SEE:
                name, link = SEE[key]
                desc += f" See [{name}]({link})."
            parts.append(f"| `{key}` | {_type(decl)} | {_default(decl)} | {desc} |")
    return "\n".join(parts) + "\n"


def main(argv: list[str]) -> int:
    text = render((ROOT / "Pulumi.yaml").read_text())
    if "--check" in argv:
        if not OUT.exists() or OUT.read_text() != text:
            print(f"{OUT.relative_to(ROOT)} is stale: run `make docs`", file=sys.stderr)
            return 1
        return 0
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
