#!/usr/bin/env bash
# Builds nabla and runs every test (ctest: gradcheck, reference, golden, unit, e2e). CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
# CI builds with -Werror: a warning in nabla's own code fails the build there.
if [[ -n "${CI:-}" ]]; then
  ./scripts/build.sh -DNABLA_WERROR=ON
else
  ./scripts/build.sh
fi
cd build
ctest --output-on-failure --parallel "$(nproc)" --timeout 600
