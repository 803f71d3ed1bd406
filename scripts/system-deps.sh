#!/usr/bin/env bash
# Installs the Debian packages the real-gateway tests (and the busybox script tests) need, when missing.
# Without root (or apt-get) it only says what is missing: `make test` then runs every other layer and
# names the skipped one; CI (root, CI=true) installs them and fails on any skipped layer.
set -euo pipefail
need=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
command -v docker-registry >/dev/null 2>&1 || need+=(docker-registry)
command -v skopeo >/dev/null 2>&1 || need+=(skopeo)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v busybox >/dev/null 2>&1 || need+=(busybox)
command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1 \
  || need+=(prometheus)                                     # promtool and the server: the alert rules, for real
command -v mtail >/dev/null 2>&1 || need+=(mtail)           # the gateway's metrics exporter, run for real
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: missing ${need[*]}; the real gateway tests will be skipped" \
       "(install them with apt-get as root: sudo bash scripts/system-deps.sh)" >&2
  [ "${CI:-}" = "true" ] && exit 1
  exit 0
fi
echo "installing: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
