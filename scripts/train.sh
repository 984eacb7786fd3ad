#!/usr/bin/env bash
# The newcomer's first command: installs the Debian packages (compiler, CMake, libraries and the
# Fashion-MNIST data set), builds nabla, and trains LeNet-5 on Fashion-MNIST with the default recipe,
# showing progress. Results land in runs/train/lenet/. Extra arguments go to `nabla train`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh
if [ -e runs/train/lenet/checkpoint.json ] && [ ! -e runs/train/lenet/metrics.json ]; then
  exec ./build/nabla train --model lenet --resume "$@"  # an earlier run was interrupted: continue it
fi
rm -rf runs/train/lenet
exec ./build/nabla train --model lenet "$@"
