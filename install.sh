#!/usr/bin/env bash
# Installs the clickhouse-clip UDFs (encode_text, encode_image) on a ClickHouse server.
# Non-interactive and idempotent: running it again with other options replaces the install.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
name=$(basename "$0")

usage() {
  cat <<EOF
usage: $name [options]

Installs encode_text(String) and encode_image(String) -> Array(Float32) as ClickHouse
executable UDFs: copies the built scripts (dist/, from 'npm run build') and their native
run-time packages into SCRIPTS_DIR/clickhouse-clip, writes a prepared copy of each tower
(weights in a data file beside it, MODEL_DIR/onnx/prepared/: it loads about twice as fast), and
writes the function definitions CONFIG_DIR/clickhouse_clip_function.xml (encode_text,
encode_image, encode_image_bytes, encode_image_check).

  --scripts-dir DIR     the server's user_scripts_path (default /var/lib/clickhouse/user_scripts)
  --config-dir DIR      where the server reads *_function.xml (default /etc/clickhouse-server)
  --model-dir DIR       an existing CLIP model folder in transformers.js layout
                        (config.json, tokenizer.json, onnx/text_model.onnx, onnx/vision_model.onnx);
                        nothing is downloaded
  --model NAME          hub model to download when no --model-dir is given
                        (default Xenova/clip-vit-base-patch32, the model of the LAION-400M vectors),
                        into SCRIPTS_DIR/clickhouse-clip/models/NAME
  --hub-url URL         where to download from (default \$HF_ENDPOINT or https://huggingface.co)
  --type TYPE           executable_pool (default: long-lived processes, one model load each)
                        or executable (a new process and model load for every block)
  --pool-size N         processes per function in the pool (default: from the core count)
  --threads N           onnxruntime threads per process (default: cores / pool size)
  --dtype T             fp32 (default), fp16, q8, int8, uint8, q4, q4f16, bnb4
  --device D            cpu, webgpu, cuda or auto (default: detected; auto falls back to the
                        CPU at run time, saying why once on stderr)
  --batch-size N        rows per model run (default 32 for text, 8 for images; 256 and 64 on a GPU)
  --user-files-dir DIR  the server's user_files_path: encode_image may read files below it
                        (default /var/lib/clickhouse/user_files; relative paths resolve there)
  --allow-dir DIR       another directory encode_image may read (repeatable)
  --allow-url PREFIX    let encode_image fetch URLs starting with PREFIX, e.g.
                        https://images.example.com/ (repeatable; without it, no URL is fetched)
  --max-bytes N         largest image file or download encode_image reads (default 64 MiB)
  --max-pixels N        largest width x height it decodes (default 178956970, Pillow's limit)
  --image-timeout-ms N  per image: fetch, decode and preprocess (default 30000)
  --node PATH           the Node.js (>= 20) binary the server runs (default: node on PATH)
  --owner USER          make the installed files owned by USER (default: clickhouse, if that
                        user exists and this runs as root)
  --uninstall           remove what an earlier run installed (definitions, scripts, downloaded
                        models; the onnx/prepared/ folder of a --model-dir stays)
  -h, --help            this text

Each function starts through a launcher, SCRIPTS_DIR/clickhouse-clip/encode_text and
encode_image, that sets UV_THREADPOOL_SIZE and glibc's malloc variables (MALLOC_MMAP_THRESHOLD_,
and for encode_image MALLOC_TRIM_THRESHOLD_ and MALLOC_ARENA_MAX) unless the server's environment
sets them already; README.md, Performance, says why.

After installing, run SYSTEM RELOAD FUNCTIONS (or restart the server).
EOF
}

die() { echo "$name: $*" >&2; exit 1; }

scripts_dir=/var/lib/clickhouse/user_scripts
config_dir=/etc/clickhouse-server
model_dir=
model=Xenova/clip-vit-base-patch32
hub_url=${HF_ENDPOINT:-https://huggingface.co}
type=executable_pool
pool_size=
threads=
dtype=fp32
device=
batch_size=
user_files_dir=/var/lib/clickhouse/user_files
allow_dirs=()
allow_urls=()
max_bytes=
max_pixels=
image_timeout=
node_bin=
owner=
uninstall=0

takes_value=" --scripts-dir --config-dir --model-dir --model --hub-url --type --pool-size --threads --dtype --device --batch-size --user-files-dir --allow-dir --allow-url --max-bytes --max-pixels --image-timeout-ms --node --owner "
while [ $# -gt 0 ]; do
  opt=${1%%=*}
  case $opt in
    -h|--help) usage; exit 0 ;;
    --uninstall) [ "$1" = "$opt" ] || die "$opt takes no value"; uninstall=1; shift; continue ;;
  esac
  [[ $takes_value == *" $opt "* ]] || die "unknown option '$opt' (see --help)"
  if [ "$1" != "$opt" ]; then val=${1#*=}; shift
  else [ $# -ge 2 ] || die "expected a value after $opt"; val=$2; shift 2
  fi
  case $opt in
    --scripts-dir) scripts_dir=$val ;;
    --config-dir) config_dir=$val ;;
    --model-dir) model_dir=$val ;;
    --model) model=$val ;;
    --hub-url) hub_url=$val ;;
    --type) type=$val ;;
    --pool-size) pool_size=$val ;;
    --threads) threads=$val ;;
    --dtype) dtype=$val ;;
    --device) device=$val ;;
    --batch-size) batch_size=$val ;;
    --user-files-dir) user_files_dir=$val ;;
    --allow-dir) allow_dirs+=("$val") ;;
    --allow-url) allow_urls+=("$val") ;;
    --max-bytes) max_bytes=$val ;;
    --max-pixels) max_pixels=$val ;;
    --image-timeout-ms) image_timeout=$val ;;
    --node) node_bin=$val ;;
    --owner) owner=$val ;;
  esac
done

positive() { [[ $2 =~ ^[1-9][0-9]{0,3}$ ]] || die "expected a positive integer for $1 but received '$2'"; }
# ClickHouse splits <command> on single spaces with no quoting: a path with a space cannot work.
plain_path() { [[ $2 != *[[:space:]]* ]] || die "expected $1 without spaces (ClickHouse splits the command on spaces) but received '$2'"; }
absolute() { case $1 in /*) printf '%s' "$1" ;; *) printf '%s/%s' "$PWD" "$1" ;; esac; }

scripts_dir=$(absolute "$scripts_dir")
config_dir=$(absolute "$config_dir")
dest=$scripts_dir/clickhouse-clip

xml_file=$config_dir/clickhouse_clip_function.xml

if [ "$uninstall" = 1 ]; then
  rm -f "$xml_file"
  rm -rf "$dest"
  echo "Removed clickhouse-clip from $dest and its definitions from $config_dir."
  echo "Next: SYSTEM RELOAD FUNCTIONS"
  exit 0
fi

case $type in executable|executable_pool) ;; *) die "expected executable or executable_pool for --type but received '$type'" ;; esac
case $dtype in fp32|fp16|q8|int8|uint8|q4|q4f16|bnb4) ;; *) die "expected one of fp32, fp16, q8, int8, uint8, q4, q4f16, bnb4 for --dtype but received '$dtype'" ;; esac
case $device in ''|cpu|webgpu|cuda|auto) ;; *) die "expected one of cpu, webgpu, cuda, auto for --device but received '$device'" ;; esac
[ -z "$pool_size" ] || positive --pool-size "$pool_size"
[ -z "$threads" ] || positive --threads "$threads"
[ -z "$batch_size" ] || positive --batch-size "$batch_size"
for v in "--max-bytes:$max_bytes" "--max-pixels:$max_pixels" "--image-timeout-ms:$image_timeout"; do
  [ -z "${v#*:}" ] || [[ ${v#*:} =~ ^[1-9][0-9]{0,12}$ ]] || die "expected a positive integer for ${v%%:*} but received '${v#*:}'"
done
plain_path --scripts-dir "$scripts_dir"

if [ -z "$node_bin" ]; then node_bin=$(command -v node || true); fi
[ -n "$node_bin" ] || die "Node.js >= 20 is required but 'node' is not on PATH; install it or pass --node PATH"
node_bin=$(absolute "$node_bin")
plain_path --node "$node_bin"
node_version=$("$node_bin" -p 'process.versions.node' 2>/dev/null) || die "cannot run '$node_bin' (--node)"
[ "${node_version%%.*}" -ge 20 ] || die "Node.js >= 20 is required but $node_bin is v$node_version; pass --node PATH"

dist=$here/dist
for f in encode_text.mjs encode_image.mjs preprocess_worker.mjs format_worker.mjs model_worker.mjs download_model.mjs prepare_model.mjs verify.mjs node_modules; do
  [ -e "$dist/$f" ] || die "expected the built scripts in $dist but $f is missing; run 'ONNXRUNTIME_NODE_INSTALL_CUDA=skip npm ci && npm run build' first"
done

# The GPU paths onnxruntime-node can take: WebGPU (bundled, runs on Vulkan) and
# CUDA (only where its provider libraries were installed next to it).
ort_bin=$dist/node_modules/onnxruntime-node/bin/napi-v6/linux/x64
if [ -z "$device" ]; then
  gpu=
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then gpu=$(nvidia-smi -L | head -n 1); fi
  if [ -z "$gpu" ]; then
    device=cpu; device_why="no NVIDIA GPU found (nvidia-smi)"
  elif [ -e "$ort_bin/libonnxruntime_providers_cuda.so" ]; then
    device=auto; device_why="$gpu, onnxruntime's CUDA provider is installed"
  elif ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1'; then
    device=auto; device_why="$gpu with a Vulkan loader: WebGPU"
  else
    device=cpu; device_why="$gpu, but no Vulkan loader (apt-get install libvulkan1) and no CUDA provider"
  fi
else
  device_why="--device"
fi

cores=$(nproc 2>/dev/null || echo 1)
# One pool slot per 4 cores keeps several concurrent queries moving while each
# process still has enough threads; slots x threads never exceeds the cores.
# On a GPU one process per function keeps it busy; more only split its memory.
if [ -z "$pool_size" ] && [ "$device" != cpu ]; then pool_size=1; fi
[ -n "$pool_size" ] || pool_size=$(( cores / 4 > 0 ? cores / 4 : 1 ))
[ -n "$threads" ] || threads=$(( cores / pool_size > 0 ? cores / pool_size : 1 ))

mkdir -p "$dest" "$config_dir"
# Replace the code but keep downloaded models.
rm -rf "$dest/node_modules" "$dest"/*.mjs "$dest/encode_text" "$dest/encode_image"
cp -R "$dist/node_modules" "$dest/node_modules"
cp "$dist/encode_text.mjs" "$dist/encode_image.mjs" "$dist/preprocess_worker.mjs" "$dist/format_worker.mjs" "$dist/model_worker.mjs" "$dist/download_model.mjs" "$dist/prepare_model.mjs" "$dist/verify.mjs" "$dest/"

if [ -z "$model_dir" ]; then
  model_dir=$dest/models/$model
  echo "Downloading $model from $hub_url into $model_dir ..."
  "$node_bin" "$dest/download_model.mjs" --model "$model" --out "$model_dir" --hub-url "$hub_url" --dtype "$dtype" \
    || die "download of $model failed; on a machine without access to the hub, prepare the folder elsewhere and pass --model-dir"
fi
model_dir=$(absolute "$model_dir")
plain_path --model-dir "$model_dir"
suffix=
case $dtype in fp16) suffix=_fp16 ;; q8) suffix=_quantized ;; int8) suffix=_int8 ;; uint8) suffix=_uint8 ;; q4) suffix=_q4 ;; q4f16) suffix=_q4f16 ;; bnb4) suffix=_bnb4 ;; esac
for f in config.json tokenizer.json "onnx/text_model$suffix.onnx" "onnx/vision_model$suffix.onnx"; do
  [ -f "$model_dir/$f" ] || die "expected $model_dir/$f (--model-dir, --dtype $dtype) but it does not exist"
done

# A copy of each tower with the weights in a data file of their own starts about twice as
# fast (onnxruntime maps the file instead of parsing it) and runs its last layer on the one
# token the embedding is made of (src/model/prepared.ts). Without one (a read-only model
# folder, say) the scripts load the .onnx files as they are.
if prepare_log=$("$node_bin" "$dest/prepare_model.mjs" --model-dir "$model_dir" --dtype "$dtype" 2>&1); then
  prepared="$model_dir/onnx/prepared"
else
  prepared="none, the scripts load the .onnx files (more slowly)"
  echo "$name: warning: could not prepare the towers: $(printf '%s' "$prepare_log" | tail -n 1)" >&2
fi

# sharp decodes on libuv's thread pool, which Node sizes once at start (4 threads
# unless UV_THREADPOOL_SIZE says otherwise): give it a thread per core.
uv_threads=$(( cores > 4 ? cores : 4 ))
# On the CPU, a small young generation instead of V8's up to 16 MB: encode_text's main heap
# otherwise grows to ~50 MB for 20 MB of live objects (bench: peak RSS -20 MB, 1.5x of the
# weights -> 1.44x; same speed with 4 MB). encode_image's main thread keeps little alive
# between photos: 1 MB there (bench: peak -13 MB against 4 MB, same speed). A GPU process
# allocates far faster; it keeps the default.
text_flags=
image_flags=
[ "$device" != cpu ] || { text_flags=" --max-semi-space-size=4"; image_flags=" --max-semi-space-size=1"; }
# encode_image frees each decoded photo as soon as it is resized (src/image/release.ts) with
# ES2024's ArrayBuffer.prototype.transfer; Node 20 has it behind a V8 flag (bench: peak RSS
# lower by ~23 MB). Later versions have it built in, and may not know the flag.
has_transfer='process.exit(typeof ArrayBuffer.prototype.transfer === "function" ? 0 : 1)'
if ! "$node_bin" -e "$has_transfer" 2>/dev/null && "$node_bin" --harmony-rab-gsab-transfer -e "$has_transfer" 2>/dev/null; then
  image_flags="$image_flags --harmony-rab-gsab-transfer"
fi
# glibc's malloc, fixed: left to itself it raises its mmap threshold as onnxruntime frees
# its load buffers, the weights built after that land in a heap that never shrinks, and a
# process peaks 80-250 MB higher, varying from start to start. encode_text: 128 KiB.
# encode_image: 4 MiB, one arena, and the heap's top kept up to 4 MiB, so that most photos'
# decoded pixels (1280x960 is 3.7 MB) reuse the same heap memory instead of a fresh mapping
# each, whose page faults and unmapping also interrupt onnxruntime's threads (2-core EPYC,
# 288 photos: page faults of the decoding alone 1090 -> ~500 a photo, system time 1.4 ->
# 1.1-1.2 s, peak 2-4 MiB lower; photos/s +0-3%, within the machine's noise). Other
# allocators ignore these variables.
text_malloc='MALLOC_MMAP_THRESHOLD_:-131072'
image_malloc='MALLOC_MMAP_THRESHOLD_:-4194304 MALLOC_TRIM_THRESHOLD_:-4194304 MALLOC_ARENA_MAX:-1'
for fn in encode_text encode_image; do
  flags=$text_flags
  malloc=$text_malloc
  [ "$fn" != encode_image ] || { flags=$image_flags; malloc=$image_malloc; }
  {
    printf '#!/bin/sh\nexport UV_THREADPOOL_SIZE="${UV_THREADPOOL_SIZE:-%s}"\n' "$uv_threads"
    for setting in $malloc; do printf 'export %s="${%s}"\n' "${setting%%:-*}" "$setting"; done
    # The server may run under a PATH without this node: name it absolutely.
    printf 'exec %s%s %s "$@"\n' "$node_bin" "$flags" "$dest/$fn.mjs"
  } > "$dest/$fn"
  chmod 755 "$dest/$fn"
done

args="--model-dir $model_dir --dtype $dtype --device $device --threads $threads"
[ -z "$batch_size" ] || args="$args --batch-size $batch_size"
image_args=$args
[ -z "$max_bytes" ] || image_args="$image_args --max-bytes $max_bytes"
[ -z "$max_pixels" ] || image_args="$image_args --max-pixels $max_pixels"
[ -z "$image_timeout" ] || image_args="$image_args --timeout-ms $image_timeout"
for dir in "$(absolute "$user_files_dir")" "${allow_dirs[@]}"; do
  dir=$(absolute "$dir")
  plain_path --allow-dir "$dir"
  image_args="$image_args --allow-dir $dir"
done
for prefix in "${allow_urls[@]}"; do
  [[ $prefix =~ ^https?://[^/?#[:space:]]+ ]] || die "expected an http:// or https:// URL prefix for --allow-url but received '$prefix'"
  plain_path --allow-url "$prefix"
  image_args="$image_args --allow-url $prefix"
done

# XML-escape the values, then escape them again as sed replacements (& and | are special there).
sed_value() { printf '%s' "$1" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' | sed -e 's/[\\&|]/\\&/g'; }
tmp=$(mktemp "$config_dir/.clickhouse_clip.XXXXXX")
sed -e "s|@COMMAND_DIR@|clickhouse-clip|" -e "s|@TEXT_ARGS@|$(sed_value "$args")|" \
  -e "s|@IMAGE_ARGS@|$(sed_value "$image_args")|" -e "s|@POOL_SIZE@|$pool_size|" \
  "$here/config/$type/clickhouse_clip_function.xml" > "$tmp"
chmod 644 "$tmp"
mv "$tmp" "$xml_file"

# The server runs as its own user: it must be able to read and execute all of it.
chmod -R a+rX "$dest"
if [ -z "$owner" ] && [ "$(id -u)" = 0 ] && id clickhouse >/dev/null 2>&1; then owner=clickhouse; fi
[ -z "$owner" ] || chown -R "$owner" "$dest"
case $model_dir in "$dest"/*) ;; *)
  if [ -n "$owner" ] && command -v runuser >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    runuser -u "$owner" -- test -r "$model_dir/config.json" || echo "$name: warning: user $owner cannot read $model_dir" >&2
  fi ;;
esac

cat <<EOF
Installed clickhouse-clip into $dest
  functions:  encode_text, encode_image, encode_image_bytes, encode_image_check
              ($type$([ "$type" = executable_pool ] && echo ", pool_size $pool_size"))
  model:      $model_dir ($dtype)
  prepared:   $prepared
  device:     $device ($device_why)
  threads:    $threads per process ($cores cores on this machine)
  images:     files below $(absolute "$user_files_dir")${allow_dirs[*]:+ ${allow_dirs[*]}}; URLs: ${allow_urls[*]:-none}
  definitions: $xml_file
Next:
  clickhouse-client -q 'SYSTEM RELOAD FUNCTIONS'
  clickhouse-client -q "SELECT length(encode_text('a photo of a cat'))"    -- 512
EOF
