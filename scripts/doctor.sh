#!/usr/bin/env bash
# `make doctor`, and the first step of `make up`: what `pulumi up` needs, checked before anything is created.
# One line per check ("ok" or "FAIL", the failing ones say what to do; docs/troubleshooting.md#make-doctor
# explains each);
# exit 1 when one fails. Reads only: `pulumi version`, `kubectl config`/`get`, TCP connects to 127.0.0.1.
set -uo pipefail
cd "$(dirname "$0")/.."
STACK=${STACK:-dev}
MIN_PULUMI_MAJOR=3
MIN_PULUMI_MINOR=139
STACK_FILE="Pulumi.$STACK.yaml"
GATEWAY_SERVICE=registry-gateway            # __main__.py: GatewaySpec(name="registry-gateway")
PORTS_ANCHOR="README.md#a-local-clusters-ports"   # where the README shows the k3d/kind port mappings

failed=0
ok()   { echo "ok    $*"; }
fail() { echo "FAIL  $*"; failed=1; }

# A key of the stack file, else its default in Pulumi.yaml (the flat `key: value` forms these files use).
config_value() {
  local value
  value=$(sed -n "s/^  nexus-registry:$1: *//p" "$STACK_FILE" 2>/dev/null | head -n 1)
  [ -n "$value" ] || value=$(awk -v key="  $1:" '$0 == key {inside = 1; next}
                                                inside && /^    default:/ {sub(/^    default: */, ""); print; exit}
                                                /^  [^ ]/ {inside = 0}' Pulumi.yaml)
  printf '%s' "$value" | tr -d "\"'"
}

# The stack file's publicIps, one a line, in its block (`- ip` lines) or flow (`[ip, ...]`) form.
public_ips() {
  awk '/^  nexus-registry:publicIps:/ {inside = 1; sub(/^[^:]*:[^:]*:/, ""); print; next}
       inside && /^    / {print; next}
       {inside = 0}' "$STACK_FILE" 2>/dev/null | tr -d "[]\"'," | tr ' ' '\n' | sed -n 's/^-*//; /./p'
}

check_pulumi() {
  local minimum="$MIN_PULUMI_MAJOR.$MIN_PULUMI_MINOR" install="https://www.pulumi.com/docs/install/"
  if ! command -v pulumi >/dev/null 2>&1; then
    fail "Pulumi CLI: not found on PATH; install $minimum or newer: $install"
    return
  fi
  local version
  version=$(pulumi version 2>/dev/null | head -n 1)
  if ! [[ $version =~ ^v?([0-9]+)\.([0-9]+)\. ]]; then
    fail "Pulumi CLI: \`pulumi version\` printed '${version}', not a version; install $minimum or newer: $install"
  elif (( BASH_REMATCH[1] < MIN_PULUMI_MAJOR ||
          (BASH_REMATCH[1] == MIN_PULUMI_MAJOR && BASH_REMATCH[2] < MIN_PULUMI_MINOR) )); then
    fail "Pulumi CLI: $version is too old, $minimum or newer is needed: $install"
  else
    ok "Pulumi CLI: $version"
  fi
}

context=""
check_kube() {
  if ! command -v kubectl >/dev/null 2>&1; then
    fail "kube context: kubectl not found on PATH (it reads the kube context); install it: https://kubernetes.io/docs/tasks/tools/"
    return
  fi
  context=$(kubectl config current-context 2>/dev/null)
  if [ -z "$context" ]; then
    fail "kube context: none is set; create a cluster (kind create cluster, k3d cluster create) or pick one: kubectl config use-context <name>"
    return
  fi
  local server error
  server=$(kubectl config view --minify -o 'jsonpath={.clusters[0].cluster.server}' 2>/dev/null)
  if error=$(kubectl --request-timeout=5s get --raw /version 2>&1 >/dev/null); then
    ok "kube context: $context (API server ${server:-?} answers)"
  else
    fail "kube context: $context, its API server ${server:-?} cannot be reached ($(printf '%s' "$error" | head -n 1)); start the cluster or pick another context: kubectl config use-context <name>"
  fi
}

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

check_node_ports() {
  if ! public_ips | grep -qx '127\.0\.0\.1'; then
    ok "NodePorts: stack $STACK does not serve on 127.0.0.1 (publicIps), not checked"
    return
  fi
  if [ "$(config_value serviceType)" = LoadBalancer ]; then
    ok "NodePorts: stack $STACK uses serviceType LoadBalancer, not checked"
    return
  fi
  local registry web nexus_url closed=()
  registry=$(config_value registryPort)
  web=$(config_value webPort)
  nexus_url=$(config_value nexusUrl)
  if [ -n "$nexus_url" ]; then    # e.g. a port-forward, which can only run once the stack has created Nexus
    ok "NodePorts: not checked, nexusUrl is set ($nexus_url): pulumi up reaches Nexus there; docker clients still need 127.0.0.1:$registry"
    return
  fi
  listening "$registry" || closed+=("127.0.0.1:$registry (registryPort)")
  listening "$web" || closed+=("127.0.0.1:$web (webPort)")
  if [ ${#closed[@]} -eq 0 ]; then
    ok "NodePorts: 127.0.0.1:$registry and 127.0.0.1:$web answer"
    return
  fi
  # Docker Desktop publishes a NodePort on 127.0.0.1 only once its Service exists: before the first `pulumi up`,
  # a closed port there is expected.
  if [ "$context" = docker-desktop ] && ! kubectl --request-timeout=5s -n "$(config_value namespace)" \
      get service "$GATEWAY_SERVICE" -o name >/dev/null 2>&1; then
    ok "NodePorts: Docker Desktop publishes $registry and $web on 127.0.0.1 once the gateway Service exists"
    return
  fi
  local where
  where=$(printf '%s and ' "${closed[@]}")
  fail "NodePorts: stack $STACK serves on ${where% and }, and nothing answers there; publish the NodePorts on 127.0.0.1 (k3d \`--port $registry:$registry@server:0 --port $web:$web@server:0\`, kind \`extraPortMappings\` containerPort = hostPort $registry and $web, see $PORTS_ANCHOR) or port-forward and set nexusUrl (docs/troubleshooting.md#make-doctor)"
}

check_pulumi
check_kube
check_node_ports
exit "$failed"
