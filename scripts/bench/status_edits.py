"""Hidden hazards' status changes through the API, side by side on two servers: how long
an edit takes by the layer of the feature its hazard belongs to.

Each server serves its own copy of the same GeoPackage store. Open hazards (status
pending) of houses, enterprises and gas pipes are read from STORE, ordered by id; in
ROUNDS rounds, taking the servers in turn, each gets the round's next PER hazards of each
layer moved on (`PATCH /api/layers/hidden_hazards/features/{id}` of status 待整改 → 整改中)
with the editor token, on one keep-alive connection, each edit answered before the next.
Prints p50 / p90 / max per server and layer.

Usage: status_edits.py STORE TOKEN BASE_URL [BASE_URL ...] [--rounds 4] [--per 30]
"""

import argparse
import http.client
import json
import sqlite3
import statistics
import time
import urllib.parse


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("store")
    ap.add_argument("token")
    ap.add_argument("bases", nargs="+")
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--per", type=int, default=30)
    a = ap.parse_args()
    c = sqlite3.connect(a.store)
    layers = ["houses", "enterprises", "gas_pipelines"]
    ids = {
        l: [r[0] for r in c.execute(
            "SELECT id FROM hidden_hazards WHERE feature_layer = ? AND status = 'pending' ORDER BY id",
            (l,))]
        for l in layers
    }
    res = {}
    for r in range(a.rounds):
        for base in a.bases:
            u = urllib.parse.urlparse(base)
            h = http.client.HTTPConnection(u.hostname, u.port)
            for layer in layers:
                for i in ids[layer][r * a.per:(r + 1) * a.per]:
                    body = json.dumps({"type": "Feature", "properties": {"status": "in_progress"}})
                    t = time.perf_counter()
                    h.request("PATCH", f"/api/layers/hidden_hazards/features/{i}", body=body,
                              headers={"Authorization": "Bearer " + a.token,
                                       "Content-Type": "application/json"})
                    resp = h.getresponse()
                    resp.read()
                    if resp.status != 200:
                        raise SystemExit(f"{base}: {i}: HTTP {resp.status}")
                    res.setdefault((base, layer), []).append((time.perf_counter() - t) * 1000)
    for (base, layer), ts in sorted(res.items()):
        ts.sort()
        print(f"{base} {layer}: {len(ts)} edits, p50 {statistics.median(ts):.2f} ms, "
              f"p90 {ts[int(0.9 * len(ts))]:.2f} ms, max {ts[-1]:.2f} ms")


if __name__ == "__main__":
    main()
