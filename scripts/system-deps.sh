#!/usr/bin/env bash
# Installs the Debian packages the real-gateway tests (and the busybox script and PostgreSQL tests) need, when missing.
# Without root (or apt-get) it only says what is missing: `make test` then runs every other layer and
# names the skipped one; CI (root, CI=true) installs them and fails on any skipped layer.
set -euo pipefail
need=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx)
command -v docker-registry >/dev/null 2>&1 || need+=(docker-registry)
command -v skopeo >/dev/null 2>&1 || need+=(skopeo)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v busybox >/dev/null 2>&1 || need+=(busybox)
# Java: the data check's lock probe (tests/nexus_server: java runs it, javac rebuilds it from its source) and
# PostgreSQL's JDBC driver (`java File.java` needs the compiler).
command -v javac >/dev/null 2>&1 || need+=(default-jdk-headless)
# The external-PostgreSQL check (issue 18): a throwaway cluster, and PostgreSQL's JDBC driver.
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v setpriv >/dev/null 2>&1 || need+=(util-linux)
[ -f /usr/share/java/postgresql.jar ] || need+=(libpostgresql-jdbc-java)
command -v containerd >/dev/null 2>&1 || need+=(containerd)   # containerd and ctr: the mirror tests' client
command -v unshare >/dev/null 2>&1 || need+=(util-linux)   # unshare: ctr in a private mount namespace
command -v dash >/dev/null 2>&1 || need+=(dash)
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
