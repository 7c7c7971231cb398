#!/usr/bin/env bash
# The test command: installs what the tests need, builds, runs every test project and prints one
# closing line "N passed, N failed". Tests that need the real IMDB archive find it in ../shared/data/imdb
# (or $GRIDSWEEP_IMDB_ARCHIVE); they fail with a message saying so when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v dotnet >/dev/null; then
    echo "dotnet (the .NET 10 SDK) is needed: https://dot.net" >&2
    exit 2
fi
# readelf checks the TorchSharp native-library fix (binutils).
if ! command -v readelf >/dev/null; then
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq binutils >/dev/null
    else sudo apt-get update -qq && sudo apt-get install -y -qq binutils >/dev/null; fi
fi
# influxd (Debian's InfluxDB 1.x, package influxdb) is the real server the metrics tests run themselves on
# free loopback ports. The package's own service must not run: a policy-rc.d that refuses every start is in
# place during the install (unless one already is), and a service that started anyway is stopped.
if ! command -v influxd >/dev/null; then
    as_root=""; [ "$(id -u)" = 0 ] || as_root=sudo
    policy=/usr/sbin/policy-rc.d; own_policy=""
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' | $as_root tee "$policy" >/dev/null && $as_root chmod 755 "$policy" && own_policy=1
    fi
    $as_root apt-get update -qq
    $as_root env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq influxdb >/dev/null || install_status=$?
    if [ -n "$own_policy" ]; then $as_root rm -f "$policy"; fi
    if [ -n "${install_status:-}" ]; then echo "apt-get install influxdb failed ($install_status)" >&2; exit "$install_status"; fi
    if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
        $as_root systemctl disable --now influxdb >/dev/null 2>&1 || true
    fi
    if [ -s /var/run/influxdb/influxd.pid ]; then
        $as_root kill "$(cat /var/run/influxdb/influxd.pid)" 2>/dev/null || true
    fi
fi
# PostgreSQL (Debian's postgresql package) is the real server the ledger tests run themselves, as an unprivileged
# user (postgres) when the tests run as root, on free loopback ports (tests/TestKit/PostgresServer.cs finds the newest
# /usr/lib/postgresql/<version>/bin, or $GRIDSWEEP_POSTGRES_BIN). The packaged cluster must not run: a policy-rc.d
# that refuses every start is in place during the install (unless one already is); afterwards any cluster that
# started anyway is stopped and set to start manually, so none holds port 5432 or memory.
if [ -z "${GRIDSWEEP_POSTGRES_BIN:-}" ] && ! compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; then
    as_root=""; [ "$(id -u)" = 0 ] || as_root=sudo
    policy=/usr/sbin/policy-rc.d; own_policy=""
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' | $as_root tee "$policy" >/dev/null && $as_root chmod 755 "$policy" && own_policy=1
    fi
    $as_root apt-get update -qq
    $as_root env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq postgresql >/dev/null || install_status=$?
    if [ -n "$own_policy" ]; then $as_root rm -f "$policy"; fi
    if [ -n "${install_status:-}" ]; then echo "apt-get install postgresql failed ($install_status)" >&2; exit "$install_status"; fi
    if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
        $as_root systemctl disable --now postgresql >/dev/null 2>&1 || true
    fi
    if command -v pg_lsclusters >/dev/null; then
        pg_lsclusters -h 2>/dev/null | while read -r version cluster _; do
            $as_root pg_ctlcluster "$version" "$cluster" stop >/dev/null 2>&1 || true
            if [ -f "/etc/postgresql/$version/$cluster/start.conf" ]; then
                echo manual | $as_root tee "/etc/postgresql/$version/$cluster/start.conf" >/dev/null
            fi
        done
    fi
fi
# Headless Chromium opens the sweep report (index.html and its figures) as a reader would.
if ! command -v chromium >/dev/null; then
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; fi
fi
# PyTorch (Debian's python3-torch, for the system interpreter) loads a kept IMDB model as a Python user would
# (tests/python/imdb_kept_model.py). Debian has no python3-safetensors; the script reads the format by hand then.
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch >/dev/null
    else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch >/dev/null; fi
fi
# Node.js checks the dashboards' JSON Schema against Grafana's published @grafana/schema package, pinned in
# dashboards/schema/package-lock.json (npm ci installs exactly that).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
    else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; fi
fi
if [ ! -d dashboards/schema/node_modules/@grafana/schema ] || [ ! -d dashboards/schema/node_modules/ts-json-schema-generator ]; then
    (cd dashboards/schema && npm ci --no-audit --no-fund --loglevel=error)
fi
# deploy/validate's pinned kubernetes-models checks deploy/k8s against the Kubernetes schema offline;
# installed again whenever its package-lock.json is newer than what npm installed.
if [ ! -f deploy/validate/node_modules/.package-lock.json ] || [ deploy/validate/package-lock.json -nt deploy/validate/node_modules/.package-lock.json ]; then
    (cd deploy/validate && npm ci --no-audit --no-fund --loglevel=error)
fi
# Docker Compose checks deploy/docker-compose.yml (docker-compose config needs no Docker engine).
if ! command -v docker-compose >/dev/null && ! docker compose version >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null
    else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null; fi
fi

results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT
status=0
dotnet test GridSweep.slnx -c Release --logger "trx" --results-directory "$results" \
    --logger "console;verbosity=normal" "$@" || status=$?

passed=0; failed=0
for trx in "$results"/*.trx; do
    [ -e "$trx" ] || continue
    counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
    p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); passed=$((passed + ${p:-0}))
    f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters"); failed=$((failed + ${f:-0}))
done
# The failures again, last, with their messages: a log's tail is what a reader (and CI) shows first.
if [ "$failed" != 0 ]; then
    echo "Failed tests:"
    for trx in "$results"/*.trx; do
        [ -e "$trx" ] || continue
        python3 - "$trx" <<'PY' || grep -o 'testName="[^"]*" [^>]*outcome="Failed"' "$trx" || true
import sys, xml.etree.ElementTree as tree
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
for result in tree.parse(sys.argv[1]).getroot().iterfind(".//t:UnitTestResult", ns):
    if result.get("outcome") != "Failed":
        continue
    message = result.find(".//t:ErrorInfo/t:Message", ns)
    stack = result.find(".//t:ErrorInfo/t:StackTrace", ns)
    print("  " + result.get("testName"))
    for text in (message, stack):
        if text is not None and text.text:
            print("\n".join("    " + line for line in text.text.strip().splitlines()[:25]))
PY
    done
fi
echo "$passed passed, $failed failed"
if [ "$passed" = 0 ] && [ "$status" = 0 ]; then
    echo "no test ran" >&2
    exit 1
fi
exit "$status"
