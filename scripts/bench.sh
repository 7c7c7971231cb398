#!/usr/bin/env bash
# Runs a benchmark: scripts/bench.sh training | fashion | coordinator | ingest | checkpoints | ledger [options].
# `fashion` compares GridSweep with PyTorch, so Debian's python3-torch is installed first when missing, with
# OpenBLAS: Debian's torch calls the system BLAS, and the reference BLAS it gets alone made PyTorch 3 to 16
# times slower than with OpenBLAS here, which is no comparison a Python user would make.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v dotnet >/dev/null; then
    echo "dotnet (the .NET 10 SDK) is needed: https://dot.net" >&2
    exit 2
fi
if { [ "${1:-}" = fashion ] || [ "${1:-}" = training ]; } && { ! /usr/bin/python3 -c 'import torch' 2>/dev/null || ! dpkg -s libopenblas0-pthread >/dev/null 2>&1; }; then
    as_root=""; [ "$(id -u)" = 0 ] || as_root=sudo
    $as_root apt-get update -qq
    $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch libopenblas0-pthread >/dev/null
fi
exec dotnet run --project bench/GridSweep.Bench -c Release -- "$@"
