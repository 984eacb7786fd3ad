#!/usr/bin/env bash
# The newcomer's first command: installs the Debian packages, builds nabla, and runs the main job.
# (Until `nabla train` lands, the main job is the two-spirals demo.) Extra arguments go to `nabla demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
./build/nabla demo "$@"
