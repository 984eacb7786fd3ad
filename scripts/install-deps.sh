#!/usr/bin/env bash
# Installs every Debian package that nabla's build, tests and main job need: the compiler and CMake
# included, since a new machine may have nothing but git. Idempotent and quick when all are present.
set -euo pipefail

packages=(
  g++ cmake ninja-build make pkg-config ccache    # toolchain
  libgtest-dev libgmock-dev libbenchmark-dev      # tests and benchmarks
  libfmt-dev nlohmann-json3-dev libcli11-dev      # formatting, JSON, command line
  libdnnl-dev liblapack-dev liblapacke-dev        # GEMM/convolution, linear algebra
  zlib1g-dev libpng-dev libjpeg-dev               # data files and images
  gnuplot-nox                                     # PNG plots
  libopenmpi-dev openmpi-bin                      # distributed training (mpirun starts the ranks)
  libsentencepiece-dev                            # BPE and unigram tokenizers
  dataset-fashion-mnist                           # the data set the main job trains on
  fortunes                                        # the English text corpus language models train on
)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
