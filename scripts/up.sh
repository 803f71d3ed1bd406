#!/usr/bin/env bash
# `make up`: local file backend (unless already logged in), the $STACK stack (dev by default),
# the admin password secret set once, then `pulumi up` on the current kube context.
set -euo pipefail
cd "$(dirname "$0")/.."
STACK=${STACK:-dev}
export PATH="$PWD/venv/bin:$PATH"

# Nothing is created unless `make doctor`'s checks pass: Pulumi CLI, kube context, the stack's NodePorts.
STACK=$STACK bash scripts/doctor.sh

if ! pulumi whoami >/dev/null 2>&1; then
  mkdir -p .state
  pulumi login "file://$PWD/.state"
fi
# The local backend encrypts secrets with a passphrase; ask once per shell unless one is set.
if pulumi whoami --json 2>/dev/null | grep -q '"url": "file://' && [ -z "${PULUMI_CONFIG_PASSPHRASE:-}${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  read -r -s -p "Passphrase for the stack's secrets: " PULUMI_CONFIG_PASSPHRASE; echo
  export PULUMI_CONFIG_PASSPHRASE
fi

pulumi stack select "$STACK" 2>/dev/null || pulumi stack init "$STACK"

if ! pulumi config get adminPassword >/dev/null 2>&1; then
  if [ -t 0 ]; then
    # Nexus takes this password only when it creates its admin user on empty data: taking over an existing
    # Nexus (adoptExisting), it must be the admin password that Nexus has now.
    read -r -s -p "Current admin password of your existing Nexus, or empty to generate one for a new installation: " password; echo
  fi
  if [ -z "${password:-}" ]; then
    password=$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')
    echo "generated an admin password; read it with: pulumi config get adminPassword"
  fi
  printf '%s' "$password" | pulumi config set --secret adminPassword
  unset password
fi

# Nexus CE 3.77+ serves nothing until its EULA is accepted: ask once per stack, never accept silently.
if ! grep -q '^ *nexus-registry:acceptEula:' "Pulumi.$STACK.yaml" 2>/dev/null; then
  echo "Nexus Community Edition (3.77 and later) serves no repositories until its End User License"
  echo "Agreement is accepted. Read it in the Nexus UI, or in the error 'pulumi up' shows while it is not accepted."
  answer=n
  if [ -t 0 ]; then read -r -p "Accept the Nexus Community Edition EULA for stack $STACK? [y/N] " answer; fi
  case "$answer" in [yY]*) pulumi config set acceptEula true ;; *) pulumi config set acceptEula false ;; esac
fi

pulumi up --stack "$STACK"
