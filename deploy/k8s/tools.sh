#!/usr/bin/env bash
# The tools the manifest tests need, fetched once into the cache outside the clone (like the local
# stack's servers) through the Go module proxy:
#   - the Kubernetes OpenAPI v3 schemas of the API groups we use (from the k8s.io/kubernetes module),
#   - KEDA's CRDs (from the github.com/kedacore/keda/v2 module),
#   - kustomize (go install sigs.k8s.io/kustomize/kustomize/v5).
# Idempotent; prints `name=path` lines for what it provides. Usage: deploy/k8s/tools.sh
set -euo pipefail
CACHE_DIR=${TRIBUTARY_CACHE:-$HOME/.cache/tributary}
K8S_VERSION=v1.34.2
KEDA_VERSION=v2.18.3
KUSTOMIZE_VERSION=v5.8.1
OPENAPI_DIR=$CACHE_DIR/k8s/openapi-$K8S_VERSION
KEDA_DIR=$CACHE_DIR/k8s/keda-$KEDA_VERSION
KUSTOMIZE=$CACHE_DIR/tools/kustomize-$KUSTOMIZE_VERSION/kustomize
# API groups the manifests use: core, apps, policy, networking, autoscaling (the HPA KEDA creates).
GROUPS_USED=(api__v1 apis__apps__v1 apis__policy__v1 apis__networking.k8s.io__v1 apis__autoscaling__v2)

module_dir() { # module@version → its extracted folder in Go's module cache
  GOFLAGS=-mod=mod GOTOOLCHAIN=local go mod download -json "$1" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p'
}

if [[ ! -f $OPENAPI_DIR/.complete ]]; then
  src=$(module_dir "k8s.io/kubernetes@$K8S_VERSION")
  mkdir -p "$OPENAPI_DIR"
  for group in "${GROUPS_USED[@]}"; do
    cp "$src/api/openapi-spec/v3/${group}_openapi.json" "$OPENAPI_DIR/"
  done
  touch "$OPENAPI_DIR/.complete"
fi
if [[ ! -f $KEDA_DIR/.complete ]]; then
  src=$(module_dir "github.com/kedacore/keda/v2@$KEDA_VERSION")
  mkdir -p "$KEDA_DIR"
  cp "$src"/config/crd/bases/keda.sh_*.yaml "$KEDA_DIR/"
  touch "$KEDA_DIR/.complete"
fi
if [[ ! -x $KUSTOMIZE ]]; then
  GOBIN=$(dirname "$KUSTOMIZE") GOTOOLCHAIN=local go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
fi
echo "openapi=$OPENAPI_DIR"
echo "keda=$KEDA_DIR"
echo "kustomize=$KUSTOMIZE"
