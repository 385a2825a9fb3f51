#!/usr/bin/env bash
# Installs the Debian 12 packages litevit builds with (run as root, or with sudo available).
set -euo pipefail
packages=(build-essential cmake ninja-build ccache pkg-config
          libfmt-dev nlohmann-json3-dev libcli11-dev libgtest-dev libbenchmark-dev
          libdnnl-dev ocl-icd-opencl-dev libhwy-dev)   # dnnl-config.cmake looks for OpenCL
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
