#!/usr/bin/env bash
# Runs `npm run bench -- --device webgpu` on a GPU machine without Node, from what
# bench/gpu/pack.sh packed (run from the repository root there).
# Usage: bench/gpu/run.sh [CARRY_DIR] -- [bench options]   (chDB's parts, if any, in CARRY_DIR-chdb-*/)
# A machine that has Node and npm needs none of this: `npm run bench -- --device webgpu`.
set -euo pipefail
# It replaces dist/ and node_modules/: never in a development checkout, whose node_modules
# is a real folder.
if [ -d node_modules ] && [ ! -L node_modules ]; then
  echo "run.sh: ./node_modules is a real folder: this replaces it; run it in a copy of the repository on the GPU machine" >&2
  exit 2
fi
carry=${1:-.gpu}
shift || true
[ "${1:-}" = -- ] && shift
work=/tmp/clip-gpu
mkdir -p "$work"
xz -dc "$carry/carry.tar.xz" | tar -C "$work" -xf -
c=$work/carry
# Vulkan: the loader from Debian, with glvnd's libGLdispatch that the NVIDIA driver's ICD
# (libGLX_nvidia, from the machine) needs.
for deb in "$c"/*.deb "$carry"/*.deb; do [ -f "$deb" ] && dpkg -x "$deb" "$work/vulkan"; done
export LD_LIBRARY_PATH="$work/vulkan/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$icd" ]; then export VK_DRIVER_FILES=$icd; fi
export PATH="$c:$PATH"
# The repository's layout, as `npm run bench` sees it.
rm -rf dist node_modules .cache/bench
cp -R "$c/dist" dist
ln -s "$c/node_modules" node_modules
ln -s "$c/node_modules" dist/node_modules
mkdir -p .cache/bench && cp "$c"/bench/*.mjs .cache/bench/ && cp -R dist .cache/bench/dist
for extra in "$carry"/extra-*.tar.xz; do
  [ -f "$extra" ] && xz -dc "$extra" | tar -C "$c/node_modules" -xf -
done
# chDB, when pack.sh --chdb's parts were carried (earlier calls may have left them here).
parts=("$carry"-chdb-*/chdb.tar.xz.part-*)
if [ -f "${parts[0]}" ]; then
  if [ "${#parts[@]}" -ge 2 ]; then cat "${parts[@]}" | xz -dc | tar -C "$c/node_modules" -xf -; else echo "run: only ${parts[*]} of chDB is here; (c) will fail" >&2; fi
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
exec node .cache/bench/main.mjs --device webgpu "$@"
