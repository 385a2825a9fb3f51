#!/usr/bin/env bash
# Installs dependencies, builds (Release, warnings as errors) and runs every
# test with one thread. The reference cases in ../shared/ref are used when present.
set -euo pipefail
cd "$(dirname "$0")/.."
./tools/install_deps.sh
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DLITEVIT_WERROR=ON
cmake --build build
export OMP_NUM_THREADS=1
ctest --test-dir build --output-on-failure -j2
