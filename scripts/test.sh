#!/usr/bin/env bash
# Builds nabla and runs every test (ctest: gradcheck, reference, golden, unit, e2e). CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
cd build
ctest --output-on-failure --parallel "$(nproc)" --timeout 600
