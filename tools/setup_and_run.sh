#!/usr/bin/env bash
# Installs dependencies, builds litevit, and runs the main job: a model on a
# reference case, checked against PyTorch's outputs.
#   tools/setup_and_run.sh [CASE_DIR]     (default: tests/data/mobilevit_micro)
set -euo pipefail
cd "$(dirname "$0")/.."
./tools/install_deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build
case_dir="${1:-tests/data/mobilevit_micro}"
./build/cli/litevit run "$case_dir/case.json" --weights "$case_dir/weights.safetensors" \
  --input "$case_dir/io.safetensors" --output build/out.safetensors --check "$case_dir/io.safetensors"
echo "wrote build/out.safetensors (features, logits) for $case_dir"
