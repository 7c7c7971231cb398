#!/usr/bin/env bash
# Runs a benchmark: scripts/bench.sh training | fashion | coordinator | ingest [options].
# `fashion` compares GridSweep with PyTorch, so Debian's python3-torch is installed first when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v dotnet >/dev/null; then
    echo "dotnet (the .NET 10 SDK) is needed: https://dot.net" >&2
    exit 2
fi
if [ "${1:-}" = fashion ] && ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
    as_root=""; [ "$(id -u)" = 0 ] || as_root=sudo
    $as_root apt-get update -qq
    $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch >/dev/null
fi
exec dotnet run --project bench/GridSweep.Bench -c Release -- "$@"
