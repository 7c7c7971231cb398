#!/usr/bin/env bash
# Makes the ConfigMaps that deploy/k8s mounts from the repository's own files, so every file has one copy:
#   gridsweep-sweep               the sweep the coordinator runs (key sweep.yaml)
#   grafana-datasources           dashboards/provisioning/datasources/*.yaml
#   grafana-dashboard-providers   dashboards/provisioning/dashboards/*.yaml
#   grafana-dashboards            dashboards/json/*.json
# usage: deploy/k8s/configmaps.sh [SWEEP_FILE]   (default sweeps/imdb-overfitting.yaml)
# Run it again after changing any of those files (then restart the pods that mount them).
set -euo pipefail
cd "$(dirname "$0")/../.."
namespace="${NAMESPACE:-gridsweep}"
sweep="${1:-sweeps/imdb-overfitting.yaml}"

apply_configmap() {
    local name="$1"; shift
    kubectl -n "$namespace" create configmap "$name" "$@" --dry-run=client -o yaml | kubectl apply -f -
}

apply_configmap gridsweep-sweep --from-file=sweep.yaml="$sweep"
apply_configmap grafana-datasources --from-file=dashboards/provisioning/datasources/
apply_configmap grafana-dashboard-providers --from-file=dashboards/provisioning/dashboards/
apply_configmap grafana-dashboards --from-file=dashboards/json/
