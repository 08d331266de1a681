#!/usr/bin/env bash
# Builds in release and runs the IPC benchmark, unpinned and with both processes on one CPU.
# The last line is the unpinned summary: echo_empty_us=<median> raw_roundtrip_us=<median> ratio=<echo/raw>
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p ipc-testing -p node --bins
runs="${RUNS:-5}"
if command -v taskset >/dev/null 2>&1; then
  echo "== one vCPU (taskset -c 0)"
  taskset -c 0 target/release/ipc-bench --runs "$runs"
fi
echo "== unpinned"
target/release/ipc-bench --runs "$runs"
