#!/usr/bin/env bash
# IPC benchmark: builds in release, then runs, in one go and on the same machine,
#  - ipc-bench: our echo/callback/pipelined calls beside a raw socketpair ping-pong;
#  - capnp-rpc-echo: the same Echo schema over the plain capnp-rpc crate (no thread mapping);
# first with both processes pinned to one vCPU (taskset -c 0), then unpinned.
# The last line is the unpinned summary: echo_empty_us=<median> raw_roundtrip_us=<median> ratio=<echo/raw>
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${RUNS:-5}"
cargo build --release -q -p ipc-testing -p node --bins
(cd bench/capnp-rpc-echo && cargo build --release -q)
baseline=bench/capnp-rpc-echo/target/release/capnp-rpc-echo
if command -v taskset >/dev/null 2>&1; then
  echo "== one vCPU (taskset -c 0)"
  taskset -c 0 "$baseline" --runs "$runs"
  taskset -c 0 target/release/ipc-bench --runs "$runs"
fi
echo "== unpinned"
"$baseline" --runs "$runs"
target/release/ipc-bench --runs "$runs"
