#!/usr/bin/env bash
# RPC benchmark: builds the release bitcoind, then runs bench/rpc.py (start-to-ready,
# getblockcount throughput from 4 clients, getblock verbosity 2 of a ~1,000-transaction
# block from ../shared/bench-chains/regtest-mixed-1), each beside a same-run baseline.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p node --bin bitcoind
exec python3 bench/rpc.py
