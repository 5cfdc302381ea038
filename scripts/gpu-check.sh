#!/usr/bin/env bash
# scripts/gpu-check.sh [OUT_DIR]: the GPU backends on this machine's real GPU,
# in at most about 8 minutes. It
#   1. says what the machine has (GPU, Vulkan loader and driver files, EGL);
#   2. finds Chromium, or installs it (apt-get; or the .deb files of a folder
#      named by GPU_CHECK_DEBS, unpacked under /opt/gpu-check-root, for a
#      machine that reaches no package registry);
#   3. finds Node.js and the npm packages (npm ci if node_modules is missing)
#      and the built site (EXPLAIN_DIST or dist/; built if missing and the
#      data is there);
#   4. probes headless Chromium with several sets of GPU flags
#      (scripts/gpu-probe.ts: WebGPU adapter and WebGL renderer on the page
#      and in a worker, chrome://gpu, the compute service's choice) and keeps
#      the first set that reaches a hardware adapter for each backend;
#   5. runs the browser benchmark at 224 x 224 (scripts/bench-browser.ts) on
#      each backend that reached the GPU, and on wasm; a backend that found
#      only a software adapter gets a short smoke run at 64 x 64 instead
#      (GradCAM), so the whole chain is still exercised.
# Every step prints what it tried and what it got, and the end prints a
# summary; a step that fails does not stop the others. Files (the probe's and
# the benchmarks' JSON, the logs) go to OUT_DIR (default: $OUT if set, else
# gpu-check-out/). On a machine without Chromium, Node.js or node_modules, it
# says which is missing and stops before the probe (see docs/gpu.md).
set -uo pipefail
cd "$(dirname "$0")/.."

START=$(date +%s)
BUDGET=${GPU_CHECK_BUDGET:-470}   # seconds for the whole check (8 minutes, less a margin)
OUT_DIR=${1:-${OUT:-gpu-check-out}}
mkdir -p "$OUT_DIR"
LOG="$OUT_DIR/gpu-check.log"
exec > >(tee "$LOG") 2>&1

SUMMARY=()
note() { SUMMARY+=("$*"); echo ">>> $*"; }
left() { echo $(( BUDGET - ($(date +%s) - START) )); }
# Runs a command with at most min(cap, time left - reserve) seconds.
bounded() {
  local cap=$1 reserve=$2; shift 2
  local t; t=$(left); t=$(( t - reserve )); (( t > cap )) && t=$cap
  if (( t < 10 )); then echo "(skipped: $t s left)"; return 124; fi
  timeout --kill-after=10 "$t" "$@"
}
section() { echo; echo "=== $* ($(( $(date +%s) - START )) s)"; }

section "machine"
uname -a
grep -m1 "model name" /proc/cpuinfo || true
echo "cores: $(nproc)"
if command -v nvidia-smi >/dev/null; then
  nvidia-smi -L || true
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
else
  echo "nvidia-smi: not found"
fi
echo "Vulkan loader: $(ldconfig -p 2>/dev/null | grep -m1 -o 'libvulkan.so.1 .*' || echo 'not found (ldconfig)')"
echo "EGL: $(ldconfig -p 2>/dev/null | grep -m1 -o 'libEGL.so.1 .*' || echo 'not found (ldconfig)')"
for d in /usr/share/vulkan/icd.d /etc/vulkan/icd.d /usr/local/nvidia/share/vulkan/icd.d; do
  [ -d "$d" ] && echo "Vulkan ICDs in $d: $(ls "$d" | tr '\n' ' ')"
done
# Where some NVIDIA driver installations keep the driver's Vulkan and EGL files.
if [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] && [ -z "${VK_DRIVER_FILES:-}" ]; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  echo "VK_DRIVER_FILES=$VK_DRIVER_FILES"
fi
if [ -f /usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json ] && [ -z "${__EGL_VENDOR_LIBRARY_FILENAMES:-}" ]; then
  export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
  echo "__EGL_VENDOR_LIBRARY_FILENAMES=$__EGL_VENDOR_LIBRARY_FILENAMES"
fi
# Loader packages (libvulkan1, libegl1, ...) put in .gl/ for a machine without them.
if ! ldconfig -p 2>/dev/null | grep -q libvulkan.so.1 && ls .gl/*.deb >/dev/null 2>&1; then
  echo "unpacking the loaders of .gl/: $(ls .gl/*.deb | xargs -n1 basename | tr '\n' ' ')"
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi

section "chromium"
CHROMIUM=${CHROMIUM:-}
if [ -z "$CHROMIUM" ]; then
  for c in /usr/bin/chromium /usr/bin/chromium-browser /opt/gpu-check-root/usr/lib/chromium/chromium; do
    [ -x "$c" ] && CHROMIUM=$c && break
  done
fi
if [ -z "$CHROMIUM" ] && [ -n "${GPU_CHECK_DEBS:-}" ] && ls "$GPU_CHECK_DEBS"/*.deb >/dev/null 2>&1; then
  echo "unpacking $(ls "$GPU_CHECK_DEBS"/*.deb | wc -l) .deb files of $GPU_CHECK_DEBS under /opt/gpu-check-root"
  mkdir -p /opt/gpu-check-root
  for f in "$GPU_CHECK_DEBS"/*.deb; do dpkg -x "$f" /opt/gpu-check-root; done
  export LD_LIBRARY_PATH="/opt/gpu-check-root/usr/lib/x86_64-linux-gnu:/opt/gpu-check-root/usr/lib/chromium${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  [ -x /opt/gpu-check-root/usr/lib/chromium/chromium ] && CHROMIUM=/opt/gpu-check-root/usr/lib/chromium/chromium
fi
if [ -z "$CHROMIUM" ] && command -v apt-get >/dev/null; then
  echo "installing chromium with apt-get (at most 180 s)"
  export DEBIAN_FRONTEND=noninteractive
  if bounded 180 300 bash -c 'apt-get update -qq && apt-get install -y -qq chromium >/dev/null'; then
    [ -x /usr/bin/chromium ] && CHROMIUM=/usr/bin/chromium
  else
    echo "apt-get could not install chromium (no package registry reachable?)"
  fi
fi
if [ -z "$CHROMIUM" ]; then
  note "Chromium: not found and not installed (tried: \$CHROMIUM, /usr/bin/chromium, \$GPU_CHECK_DEBS, apt-get)"
else
  export CHROMIUM
  note "Chromium: $CHROMIUM ($("$CHROMIUM" --version 2>/dev/null | head -1))"
fi

section "node, npm packages, the built site"
NODE_OK=0
if command -v node >/dev/null && node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)'; then
  echo "node $(node --version), npm $(npm --version 2>/dev/null || echo '?')"
  if [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/tsx ]; then
    echo "node_modules is missing: npm ci (at most 180 s)"
    bounded 180 240 npm ci --no-audit --no-fund || echo "npm ci failed (no registry reachable?)"
  fi
  if [ -d node_modules/playwright-core ] && [ -d node_modules/tsx ]; then NODE_OK=1; fi
else
  echo "node >= 20: not found"
fi
[ $NODE_OK = 1 ] && note "Node.js and node_modules: ready" || note "Node.js or node_modules: missing (nothing below can run)"
DIST_DIR=${EXPLAIN_DIST:-dist}
if [ $NODE_OK = 1 ] && [ ! -f "$DIST_DIR/index.html" ]; then
  if [ -d "${EXPLAIN_SHARED:-../shared}/models" ]; then
    echo "no built site in $DIST_DIR: building it (10 images for the statistics page)"
    EXPLAIN_STATS_IMAGES=10 bounded 240 200 npm run build >"$OUT_DIR/build.log" 2>&1 || echo "the build failed or ran out of time: see $OUT_DIR/build.log"
  else
    echo "no built site in $DIST_DIR and no data to build it (copy a built dist/ here)"
  fi
fi
[ -f "$DIST_DIR/index.html" ] && note "site: $DIST_DIR" || note "site: no built site in $DIST_DIR"

READY=0
[ -n "$CHROMIUM" ] && [ $NODE_OK = 1 ] && [ -f "$DIST_DIR/index.html" ] && READY=1

WEBGPU_ARGS=""
WEBGL_ARGS=""
if [ $READY = 1 ]; then
  section "probe: headless Chromium with GPU flags"
  bounded 150 200 node_modules/.bin/tsx scripts/gpu-probe.ts --dist "$DIST_DIR" --json "$OUT_DIR/gpu-probe.json" --timeout 40
  echo "(probe exit status $?)"
  if [ -f "$OUT_DIR/gpu-probe.json" ]; then
    WEBGPU_ARGS=$(node -e 'const c = require(process.argv[1]).chosen; process.stdout.write((c.webgpu || []).join(" "))' "$(realpath "$OUT_DIR/gpu-probe.json")")
    WEBGL_ARGS=$(node -e 'const c = require(process.argv[1]).chosen; process.stdout.write((c.webgl || []).join(" "))' "$(realpath "$OUT_DIR/gpu-probe.json")")
  fi
  [ -n "$WEBGPU_ARGS" ] && note "WebGPU reached a hardware adapter with: $WEBGPU_ARGS" || note "WebGPU: no hardware adapter in headless Chromium (see the probe above)"
  [ -n "$WEBGL_ARGS" ] && note "WebGL reached a hardware renderer with: $WEBGL_ARGS" || note "WebGL: no hardware renderer in headless Chromium (see the probe above)"

  # One benchmark: what it is, backend, size, time cap, extra arguments.
  bench() {
    local what=$1 backend=$2 size=$3 cap=$4; shift 4
    section "benchmark: $backend at $size x $size ($what)"
    bounded "$cap" 15 node_modules/.bin/tsx scripts/bench-browser.ts --backend "$backend" --size "$size" --dist "$DIST_DIR" --json "$OUT_DIR/bench-$backend-$size.json" "$@" 2>&1 | tee "$OUT_DIR/bench-$backend-$size.txt"
    local status=${PIPESTATUS[0]}
    if [ "$status" = 0 ]; then note "benchmark $backend at $size ($what): done ($OUT_DIR/bench-$backend-$size.txt)"; else note "benchmark $backend at $size ($what): stopped (exit status $status; see above)"; fi
  }
  if [ -n "$WEBGPU_ARGS" ]; then bench "the GPU" webgpu 224 170 --runs 3 --gpu-args "$WEBGPU_ARGS"; else bench "software adapter, GradCAM only: a smoke run, not the GPU" webgpu 64 120 --runs 0 --figures grad_cam --no-warm-up; fi
  if [ -n "$WEBGL_ARGS" ]; then bench "the GPU" webgl 224 150 --runs 3 --gpu-args "$WEBGL_ARGS"; else bench "software renderer, GradCAM only: a smoke run, not the GPU" webgl 64 90 --runs 0 --figures grad_cam --no-warm-up; fi
  bench "CPU, the reference" wasm 224 150 --runs 1
fi

section "summary"
for line in "${SUMMARY[@]}"; do echo "- $line"; done
for f in "$OUT_DIR"/bench-*.txt; do
  [ -f "$f" ] || continue
  echo
  echo "$(basename "$f"):"
  grep -E '^(machine|\|)' "$f" || echo "(no table: the benchmark did not finish)"
done
echo
echo "total: $(( $(date +%s) - START )) s; files in $OUT_DIR"
