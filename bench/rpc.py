#!/usr/bin/env python3
"""RPC benchmark of the release `bitcoind` (run bench/rpc.sh, which builds it first).

Measures, each beside a baseline taken in the same run:
  - start-to-RPC-ready: from spawning bitcoind on a fresh regtest datadir to the first
    getblockcount answer; baseline: `bitcoind -version` (process start and exit only).
  - throughput: 4 clients, each on its own kept-alive HTTP connection, calling
    getblockcount for 10 s; baseline: the same with `uptime` (no chainstate lock).
  - getblock verbosity 2 of a block with about 1,000 transactions (from
    ../shared/bench-chains/regtest-mixed-1, reindexed first); baselines: verbosity 0 and 1
    of the same block.
Medians of RUNS runs (default 3); the machine is noisy.
"""

import base64
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BITCOIND = os.path.join(ROOT, "target", "release", "bitcoind")
RUNS = int(os.environ.get("RUNS", "3"))
CHAIN_DIR = os.environ.get(
    "BENCH_CHAIN_DIR", os.path.join(ROOT, "..", "shared", "bench-chains", "regtest-mixed-1")
)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Node:
    def __init__(self, datadir, extra=()):
        self.datadir = datadir
        self.port = free_port()
        self.proc = subprocess.Popen(
            [BITCOIND, "-regtest", f"-datadir={datadir}", f"-rpcport={self.port}",
             "-printtoconsole=0", *extra],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def auth(self):
        path = os.path.join(self.datadir, "regtest", ".cookie")
        with open(path, "rb") as f:
            return "Basic " + base64.b64encode(f.read()).decode()

    def connect(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)

    def call(self, conn, auth, method, params=()):
        body = json.dumps({"method": method, "params": list(params), "id": 1})
        conn.request("POST", "/", body, {"Authorization": auth})
        reply = json.loads(conn.getresponse().read())
        if reply.get("error"):
            raise RuntimeError(reply["error"])
        return reply["result"]

    def wait_ready(self, timeout=900):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                conn = self.connect()
                self.call(conn, self.auth(), "getblockcount")
                conn.close()
                return
            except (OSError, RuntimeError, http.client.HTTPException):
                time.sleep(0.002)
        raise RuntimeError("node not ready")

    def stop(self):
        try:
            conn = self.connect()
            self.call(conn, self.auth(), "stop")
        except Exception:
            self.proc.kill()
        self.proc.wait()


def bench_startup():
    ready, version = [], []
    for _ in range(RUNS):
        t = time.monotonic()
        subprocess.run([BITCOIND, "-version"], stdout=subprocess.DEVNULL, check=True)
        version.append(time.monotonic() - t)
        d = tempfile.mkdtemp(prefix="rpcbench-")
        t = time.monotonic()
        node = Node(d)
        node.wait_ready()
        ready.append(time.monotonic() - t)
        node.stop()
        shutil.rmtree(d)
    r, v = statistics.median(ready), statistics.median(version)
    print(f"start_to_ready_ms={r * 1000:.1f} version_only_ms={v * 1000:.1f} ratio={r / v:.1f}")


def throughput(node, method, seconds=10.0, clients=4):
    counts = [0] * clients
    auth = node.auth()
    stop_at = time.monotonic() + seconds

    def worker(i):
        conn = node.connect()
        while time.monotonic() < stop_at:
            node.call(conn, auth, method)
            counts[i] += 1
        conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / seconds


def bench_throughput():
    d = tempfile.mkdtemp(prefix="rpcbench-")
    node = Node(d)
    node.wait_ready()
    conn = node.connect()
    node.call(conn, node.auth(), "generatetoaddress",
              [101, "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"])
    gbc, upt = [], []
    for _ in range(RUNS):
        gbc.append(throughput(node, "getblockcount"))
        upt.append(throughput(node, "uptime"))
    node.stop()
    shutil.rmtree(d)
    g, u = statistics.median(gbc), statistics.median(upt)
    print(f"getblockcount_per_s={g:.0f} uptime_per_s={u:.0f} ratio={g / u:.2f} (4 clients, 10 s)")


def bench_getblock():
    parts = sorted(p for p in os.listdir(CHAIN_DIR) if p.startswith("blk00000.dat"))
    d = tempfile.mkdtemp(prefix="rpcbench-")
    os.makedirs(os.path.join(d, "regtest", "blocks"))
    with open(os.path.join(d, "regtest", "blocks", "blk00000.dat"), "wb") as out:
        for p in parts:
            with open(os.path.join(CHAIN_DIR, p), "rb") as f:
                shutil.copyfileobj(f, out)
    node = Node(d, ["-reindex"])
    node.wait_ready()
    conn, auth = node.connect(), node.auth()
    # The block whose transaction count is nearest 1,000.
    best = None
    for h in range(112, 412):
        bh = node.call(conn, auth, "getblockhash", [h])
        n = node.call(conn, auth, "getblockheader", [bh])["nTx"]
        if best is None or abs(n - 1000) < abs(best[1] - 1000):
            best = (bh, n, h)
    bh, ntx, height = best
    times = {0: [], 1: [], 2: []}
    for _ in range(max(RUNS, 5) * 4):
        for v in (0, 1, 2):
            t = time.monotonic()
            node.call(conn, auth, "getblock", [bh, v])
            times[v].append(time.monotonic() - t)
    node.stop()
    shutil.rmtree(d)
    m = {v: statistics.median(ts) * 1000 for v, ts in times.items()}
    print(f"getblock_v2_ms={m[2]:.1f} v1_ms={m[1]:.2f} v0_ms={m[0]:.2f} "
          f"ratio_v2_v0={m[2] / m[0]:.1f} (height {height}, {ntx} transactions)")


def main():
    if not os.path.exists(BITCOIND):
        sys.exit(f"{BITCOIND} is missing: run bench/rpc.sh")
    bench_startup()
    bench_throughput()
    if os.path.isdir(CHAIN_DIR):
        bench_getblock()
    else:
        print(f"getblock: skipped, {CHAIN_DIR} not found")


if __name__ == "__main__":
    main()
