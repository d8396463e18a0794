"""One edit at a time through the API, each followed by the tile over it: how long until an
edit can be seen on the map.

Houses are taken from the city's houses.geojson (one feature per line, as `riskmap
generate` writes it), every STRIDE-th, so that they lie all over the city. For each:

  1. the z16 tile of the viewer's layers over the house is fetched (its ETag noted);
  2. the clock starts; `PATCH /api/layers/houses/features/{id}` moves the footprint by
     10-60 m (a corrected survey position) with the editor token; the answer comes once
     the store holds the change and the served map shows it;
  3. the same tile is requested again (with `If-None-Match` of the old ETag, as a browser
     revalidates); the clock stops when its bytes are in. The edit counts as seen when the
     answer is a 200 with another ETag (a 304 would mean the old tile).

The ETag is a hash of the tile's bytes, so a new ETag is a tile with other bytes.

Usage: edit_tile.py BASE_URL TOKEN HOUSES.geojson [--edits 300] [--stride 997] [--out F]
Prints one line of JSON: edit->tile p50/p99/max, the PATCH alone, the tile alone, how
many edits were seen in the re-requested tile, and answers that were not 2xx.
"""

import argparse
import http.client
import json
import math
import random
import sys
import time
import urllib.parse


def houses(path, stride, limit):
    out = []
    with open(path, encoding="utf-8") as f:
        n = 0
        for line in f:
            line = line.strip().rstrip(",")
            if not line.startswith('{"type":"Feature"'):
                continue
            n += 1
            if n % stride:
                continue
            feat = json.loads(line)
            out.append((feat["id"], feat["geometry"]))
            if len(out) >= limit:
                break
    if not out:
        sys.exit(f"no houses in {path}")
    return out


def moved(geom, dx, dy):
    def shift(c):
        if isinstance(c[0], (int, float)):
            return [round(c[0] + dx, 7), round(c[1] + dy, 7)]
        return [shift(x) for x in c]

    return {"type": geom["type"], "coordinates": shift(geom["coordinates"])}


def first_point(geom):
    c = geom["coordinates"]
    while not isinstance(c[0], (int, float)):
        c = c[0]
    return c[0], c[1]


def tile_of(lon, lat, z):
    n = 2**z
    x = int((lon + 180.0) / 360.0 * n)
    r = math.radians(lat)
    y = int((1.0 - math.asinh(math.tan(r)) / math.pi) / 2.0 * n)
    return x, y


def pct(v, p):
    if not v:
        return None
    v = sorted(v)
    return round(v[min(len(v) - 1, round((len(v) - 1) * p))], 2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("base")
    ap.add_argument("token")
    ap.add_argument("houses")
    ap.add_argument("--edits", type=int, default=300)
    ap.add_argument("--stride", type=int, default=997)
    ap.add_argument("--layers", default="areas,risk_grid,gas_pipelines,houses,"
                    "protection_targets,enterprises,hazard_sources,protection_conflicts,"
                    "pipeline_conflicts")
    ap.add_argument("--out")
    a = ap.parse_args()
    u = urllib.parse.urlparse(a.base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    rng = random.Random(11)
    todo = houses(a.houses, a.stride, a.edits)
    total, patch, tile = [], [], []
    seen, bad = 0, {}
    for hid, geom in todo:
        lon, lat = first_point(geom)
        x, y = tile_of(lon, lat, 16)
        path = f"/tiles/{a.layers}/16/{x}/{y}.mvt"
        conn.request("GET", path)
        r = conn.getresponse()
        r.read()
        etag = r.getheader("ETag")
        d = 10.0 + rng.random() * 50.0
        ang = rng.random() * math.tau
        body = json.dumps({
            "type": "Feature",
            "geometry": moved(geom, d * math.sin(ang) / 94_500.0, d * math.cos(ang) / 110_900.0),
            "properties": {},
        })
        t0 = time.perf_counter()
        conn.request("PATCH", f"/api/layers/houses/features/{hid}", body=body, headers={
            "Authorization": f"Bearer {a.token}",
            "Content-Type": "application/geo+json",
        })
        r = conn.getresponse()
        r.read()
        t1 = time.perf_counter()
        if r.status // 100 != 2:
            bad[str(r.status)] = bad.get(str(r.status), 0) + 1
            continue
        headers = {"If-None-Match": etag} if etag else {}
        conn.request("GET", path, headers=headers)
        r2 = conn.getresponse()
        r2.read()
        t2 = time.perf_counter()
        if r2.status // 100 not in (2, 3):
            bad[f"tile {r2.status}"] = bad.get(f"tile {r2.status}", 0) + 1
        if r2.status == 200 and r2.getheader("ETag") != etag:
            seen += 1
        total.append((t2 - t0) * 1000.0)
        patch.append((t1 - t0) * 1000.0)
        tile.append((t2 - t1) * 1000.0)
    row = lambda v: {"p50": pct(v, 0.5), "p99": pct(v, 0.99), "max": pct(v, 1.0)}
    out = {
        "edits": len(total),
        "seen_in_tile": seen,
        "not_2xx": bad,
        "edit_to_tile_ms": row(total),
        "patch_ms": row(patch),
        "tile_ms": row(tile),
    }
    line = json.dumps(out)
    print(line)
    if a.out:
        with open(a.out, "w") as f:
            f.write(line + "\n")


if __name__ == "__main__":
    main()
