"""Tile latency before, during and after a change storm in the database a server follows.

CLIENTS threads fetch a fixed list of tile paths (one a line) in a cycle, each from its
own place in the list, with `Accept-Encoding: gzip` and PAUSE_MS between requests, from
start to end. After BEFORE seconds the storm's SQL is run with psql (one transaction);
the script then waits until /api/changes/stream has announced batches (`edit` events) of
FEATURES features in all since the storm began, goes on for AFTER seconds, and stops. The server's RSS is read from
/proc/PID/status every half second.

Phases: before = up to the storm's start; during = from the storm's start until its last
batch is served; after = the AFTER seconds that follow. For each: requests, non-2xx, latency
p50/p99/max. Also: how long the transaction took, the time from its commit to the batch
being served, the batch's own apply time (apply_ms of the event), the events seen, RSS.

Usage: storm_load.py BASE_URL TILES.txt SERVER_PID --db URL --sql STORM.sql
                     [--clients 32] [--pause-ms 50] [--before 20] [--after 30]
                     [--features 100000] [--out storm.json]
"""

import argparse
import http.client
import json
import subprocess
import sys
import threading
import time
import urllib.parse

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
sys.path.insert(0, __import__("os").path.dirname(__file__))
from edit_load import percentile as pct  # noqa: E402
from sse_watch import follow  # noqa: E402


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("base")
    ap.add_argument("tiles")
    ap.add_argument("pid", type=int)
    ap.add_argument("--db", required=True)
    ap.add_argument("--sql", required=True)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--pause-ms", type=float, default=50.0)
    ap.add_argument("--before", type=float, default=20.0)
    ap.add_argument("--after", type=float, default=30.0)
    ap.add_argument("--features", type=int, default=100000)
    ap.add_argument("--timeout", type=float, default=900.0)
    ap.add_argument("--out")
    a = ap.parse_args()

    paths = [p.strip() for p in open(a.tiles) if p.strip()]
    u = urllib.parse.urlsplit(a.base)
    stop = threading.Event()
    served = threading.Event()
    events = []
    storm_event = {}
    since = [None]  # when the storm began: batches after it count towards it
    seen = [0]

    def on_event(t, name, data):
        events.append({"t": t, "event": name, "data": data})
        if name == "edit" and since[0] is not None and t >= since[0]:
            seen[0] += data.get("features", 0)
            if seen[0] >= a.features and not served.is_set():
                storm_event.update({"t": t, **data})
                served.set()
        return stop.is_set()

    threading.Thread(target=lambda: follow(a.base, on_event), daemon=True).start()

    rss = []

    def sample():
        while not stop.is_set():
            try:
                rss.append((time.time(), rss_kb(a.pid)))
            except OSError:
                pass
            time.sleep(0.5)

    threading.Thread(target=sample, daemon=True).start()

    results = []
    lock = threading.Lock()

    def client(k):
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
        i = (k * 7919) % len(paths)
        mine = []
        while not stop.is_set():
            t0 = time.time()
            try:
                conn.request("GET", paths[i], headers={"Accept-Encoding": "gzip"})
                r = conn.getresponse()
                r.read()
                status = r.status
            except (OSError, http.client.HTTPException):
                status = 0
                conn.close()
                conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
            mine.append((t0, time.time() - t0, status, i))
            i = (i + 1) % len(paths)
            time.sleep(a.pause_ms / 1000.0)
        with lock:
            results.extend(mine)

    clients = [threading.Thread(target=client, args=(k,)) for k in range(a.clients)]
    t_start = time.time()
    for c in clients:
        c.start()
    time.sleep(a.before)

    t_update = time.time()
    since[0] = t_update
    run = subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", a.db, "-f", a.sql],
        capture_output=True,
        text=True,
    )
    t_commit = time.time()
    if run.returncode != 0:
        stop.set()
        sys.exit(f"the storm failed: {run.stderr}")
    if not served.wait(a.timeout):
        stop.set()
        sys.exit(f"no batch of {a.features} features within {a.timeout} s")
    t_served = storm_event["t"]
    time.sleep(max(0.0, t_served + a.after - time.time()))
    stop.set()
    for c in clients:
        c.join()
    t_end = time.time()

    def phase(lo, hi):
        lat = sorted(r[1] for r in results if lo <= r[0] < hi)
        bad = sum(1 for r in results if lo <= r[0] < hi and not (200 <= r[2] < 300))
        return {
            "seconds": hi - lo,
            "requests": len(lat),
            "non_2xx": bad,
            "p50_ms": (pct(lat, 50) or 0) * 1e3,
            "p99_ms": (pct(lat, 99) or 0) * 1e3,
            "max_ms": (lat[-1] if lat else 0) * 1e3,
        }

    # Requests that began before a phase's end but ended in the next are counted where
    # they began; the slowest request of all is reported with when it began.
    slowest = max(results, key=lambda r: r[1]) if results else (0, 0, 0, 0)
    top = sorted(results, key=lambda r: -r[1])[:10]
    timeline = []
    for sec in range(int(t_start - t_update) - 1, int(t_end - t_update) + 1):
        lat = sorted(r[1] for r in results if sec <= r[0] - t_update < sec + 1)
        if lat:
            timeline.append([sec, len(lat), round(pct(lat, 99) * 1e3, 1), round(lat[-1] * 1e3, 1)])
    rss_before = [k for t, k in rss if t < t_update and k]
    out = {
        "clients": a.clients,
        "pause_ms": a.pause_ms,
        "tiles": len(paths),
        "before": phase(t_start, t_update),
        "during": phase(t_update, t_served),
        "after": phase(t_served, t_end),
        "slowest_ms": slowest[1] * 1e3,
        "slowest_began_s_after_update": slowest[0] - t_update,
        "slowest_ten": [
            {"began_s_after_update": round(r[0] - t_update, 2), "ms": round(r[1] * 1e3, 1), "path": paths[r[3]]}
            for r in top
        ],
        "update_to_commit_s": t_commit - t_update,
        "commit_to_served_s": t_served - t_commit,
        "batch": {k: storm_event.get(k) for k in ("generation", "features", "apply_ms", "layers")},
        "edit_events": [
            {"t_after_update_s": round(e["t"] - t_update, 3), "features": e["data"].get("features"),
             "apply_ms": e["data"].get("apply_ms")}
            for e in events if e["event"] == "edit"
        ],
        "rss_mib": {
            "before": (rss_before[-1] / 1024) if rss_before else None,
            "max": max(k for _, k in rss if k) / 1024 if rss else None,
            "end": rss[-1][1] / 1024 if rss else None,
        },
        "rss_series_mib": [[round(t - t_update, 1), round(k / 1024)] for t, k in rss[::4] if k],
        "timeline_s_p99_max_ms": timeline,
    }
    line = json.dumps(out)
    if a.out:
        with open(a.out, "w") as f:
            f.write(line + "\n")
    print(line)


if __name__ == "__main__":
    main()
