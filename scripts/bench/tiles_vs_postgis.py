"""Load client and report of scripts/bench/tiles-vs-postgis.sh.

  tiles_vs_postgis.py run TILES.tsv RESULTS.json --riskmap URL --pg CONNINFO [--clients 1,8]
  tiles_vs_postgis.py report RESULTS.json

`run` requests every tile of TILES.tsv (from tile_sample.py) once per side and client
count, the sides interleaved so that a slow spell of the machine falls on all of them:

  rm_houses     RiskMap  GET /tiles/houses/z/x/y.mvt (gzip accepted, as browsers do)
  rm_min        RiskMap  the same from a second server denying every houses property but
                         level: feature id and level, as ST_AsMVT (--riskmap-min; optional)
  rm_composite  RiskMap  GET /tiles/<the viewer's layers>/z/x/y.mvt
  pg_houses     PostGIS  the ST_AsMVT query martin runs for a table: id, level, footprint
  pg_full       PostGIS  the same query with every property RiskMap's houses tiles carried
                         until they kept the level only (--pg-full; optional)
  rm_<layer>    RiskMap  GET /tiles/<layer>/z/x/y.mvt for every other tile layer alone
                         (--each-layer; no PostGIS counterpart)

With one client each tile is requested on every side in turn (the order rotating); with
N clients the tiles go in chunks, each chunk on every side in turn, N requests in flight.
A side's total is the sum of its own wall times. Latency is from sending the request to
having the whole body (RiskMap: the HTTP response; PostGIS: the query's bytea, fetched in
binary). RiskMap's time includes its gzip (at the server's tile_gzip_level, 1 by
default); PostGIS serves raw MVT, so the client gzips
it at zlib's default level 6 (timed apart, not in PostGIS's latency: `gzip_ms`) for the
bytes martin sends (martin compresses with flate2's default level, 6).
After the timed runs every tile of the one-client run is decoded (mapbox-vector-tile)
and its houses counted; for z ≥ 14 the house ids on both sides are compared.
"""

import argparse
import gzip
import http.client
import json
import statistics
import sys
import threading
import time
import urllib.parse
import zlib

COMPOSITE = ("areas,risk_grid,gas_pipelines,houses,protection_targets,enterprises,"
             "hazard_sources,protection_conflicts,pipeline_conflicts")

PG_HOUSES = """
SELECT ST_AsMVT(q, 'houses', 4096, 'geom', 'id') FROM (
  SELECT id, level, ST_AsMVTGeom(geom, ST_TileEnvelope(%(z)s, %(x)s, %(y)s), 4096, 64, true) AS geom
  FROM houses
  WHERE geom && ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => 64.0 / 4096)
) q"""

PG_FULL = """
SELECT ST_AsMVT(q, 'houses', 4096, 'geom', 'fid') FROM (
  SELECT fid, id, address, floors, house_use, occupants, appraisal, rectification, reasons,
         level, level_n,
         ST_AsMVTGeom(geom, ST_TileEnvelope(%(z)s, %(x)s, %(y)s), 4096, 64, true) AS geom
  FROM houses_full
  WHERE geom && ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => 64.0 / 4096)
) q"""

# A z16 tile in the Pacific, far from any house.
EMPTY_TILE = (16, 1000, 30000)

ALL_SIDES = ("rm_houses", "pg_houses", "rm_min", "rm_composite", "pg_full")

# The tile layers besides `houses`, each a side of its own with --each-layer.
EACH_LAYER = ("areas", "risk_grid", "gas_pipelines", "protection_targets", "enterprises",
              "hazard_sources", "protection_conflicts", "pipeline_conflicts")


class RiskMap:
    def __init__(self, base, layers):
        u = urllib.parse.urlsplit(base)
        self.host, self.port, self.layers = u.hostname, u.port or 80, layers
        self.local = threading.local()

    def conn(self):
        c = getattr(self.local, "c", None)
        if c is None:
            c = self.local.c = http.client.HTTPConnection(self.host, self.port, timeout=120)
        return c

    def fetch(self, z, x, y):
        path = f"/tiles/{self.layers}/{z}/{x}/{y}.mvt"
        for attempt in (0, 1):
            c = self.conn()
            try:
                t0 = time.perf_counter()
                c.request("GET", path, headers={"Accept-Encoding": "gzip"})
                r = c.getresponse()
                body = r.read()
                ms = (time.perf_counter() - t0) * 1000
                break
            except (http.client.HTTPException, OSError):
                c.close()
                self.local.c = None
                if attempt:
                    raise
        if r.status not in (200, 204):
            raise RuntimeError(f"GET {path}: HTTP {r.status}: {body[:200]!r}")
        gz = r.getheader("Content-Encoding") == "gzip"
        return {"ms": ms, "status": r.status, "gz": len(body) if gz else None, "body": body,
                "gzipped": gz}


class PostGIS:
    def __init__(self, conninfo, sql):
        import psycopg  # installed by the shell script

        self.psycopg, self.conninfo, self.sql = psycopg, conninfo, sql
        self.local = threading.local()

    def conn(self):
        c = getattr(self.local, "c", None)
        if c is None:
            c = self.local.c = self.psycopg.connect(self.conninfo, autocommit=True)
        return c

    def fetch(self, z, x, y):
        cur = self.conn().cursor(binary=True)
        t0 = time.perf_counter()
        cur.execute(self.sql, {"z": z, "x": x, "y": y}, prepare=True)
        body = bytes(cur.fetchone()[0] or b"")
        ms = (time.perf_counter() - t0) * 1000
        t1 = time.perf_counter()
        gz = len(gzip.compress(body, 6)) if body else 0
        gzip_ms = (time.perf_counter() - t1) * 1000
        return {"ms": ms, "status": 200 if body else 204, "gz": gz, "body": body,
                "gzipped": False, "gzip_ms": gzip_ms}


def run_chunk(side, tiles, clients):
    """Requests `tiles` with `clients` in flight; returns (wall seconds, results)."""
    out = [None] * len(tiles)
    nxt = [0]
    lock = threading.Lock()
    errors = []

    def worker():
        while True:
            with lock:
                i = nxt[0]
                nxt[0] += 1
            if i >= len(tiles):
                return
            try:
                out[i] = side.fetch(*tiles[i])
            except Exception as e:  # reported after the chunk
                errors.append(f"{tiles[i]}: {e}")
                return

    t0 = time.perf_counter()
    if clients == 1:
        worker()
    else:
        th = [threading.Thread(target=worker) for _ in range(clients)]
        for t in th:
            t.start()
        for t in th:
            t.join()
    wall = time.perf_counter() - t0
    if errors:
        raise RuntimeError("; ".join(errors[:5]))
    return wall, out


def warm(sides, tile):
    # One request per side and client thread is not timed: connections, prepared plans.
    for s in sides.values():
        s.fetch(*tile)


def do_run(a):
    rows = [l.split("\t") for l in open(a.tiles) if l.strip()]
    sets = {}
    for r in rows:
        sets.setdefault(r[0], []).append((int(r[1]), int(r[2]), int(r[3])))
    sides = {
        "rm_houses": RiskMap(a.riskmap, "houses"),
        "rm_min": RiskMap(a.riskmap_min, "houses") if a.riskmap_min else None,
        "rm_composite": RiskMap(a.riskmap, COMPOSITE),
        "pg_houses": PostGIS(a.pg, PG_HOUSES),
        "pg_full": PostGIS(a.pg, PG_FULL) if a.pg_full else None,
    }
    if a.each_layer:
        for layer in EACH_LAYER:
            sides[f"rm_{layer}"] = RiskMap(a.riskmap, layer)
    SIDES = tuple(k for k in ALL_SIDES if sides.get(k) is not None) + tuple(
        k for k in sides if k not in ALL_SIDES)
    sides = {k: sides[k] for k in SIDES}
    res = {"sides": SIDES}
    res["sets"] = {}
    res["started"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    bodies = {}
    for set_name, tiles in sets.items():
        res["sets"][set_name] = {"tiles": [list(t) for t in tiles], "runs": {}}
        for clients in a.clients:
            # Open every connection and prepare every statement on an empty tile outside
            # the sample (untimed).
            for s in sides.values():
                run_chunk(s, [EMPTY_TILE] * clients, clients)
            per = {k: [None] * len(tiles) for k in SIDES}
            wall = {k: 0.0 for k in SIDES}
            step = 1 if clients == 1 else max(clients * 4, len(tiles) // a.chunks)
            for n, start in enumerate(range(0, len(tiles), step)):
                chunk = tiles[start:start + step]
                order = SIDES[n % len(SIDES):] + SIDES[:n % len(SIDES)]
                for k in order:
                    w, out = run_chunk(sides[k], chunk, clients)
                    wall[k] += w
                    per[k][start:start + len(chunk)] = out
            run = {}
            for k in SIDES:
                run[k] = {
                    "wall_s": wall[k],
                    "ms": [r["ms"] for r in per[k]],
                    "status": [r["status"] for r in per[k]],
                    "gz": [r["gz"] for r in per[k]],
                    "gzip_ms": [r.get("gzip_ms") for r in per[k]],
                    "raw": [None] * len(tiles),
                    "gzipped": [r["gzipped"] for r in per[k]],
                }
                if clients == a.clients[0]:
                    bodies[(set_name, k)] = [r["body"] for r in per[k]]
                else:
                    # The same tiles must come back the same size in every run.
                    first = res["sets"][set_name]["runs"][str(a.clients[0])][k]["gz"]
                    if k.startswith("rm") and first != run[k]["gz"]:
                        run[k]["differs_from_first_run"] = True
            res["sets"][set_name]["runs"][str(clients)] = run
            print(f"  {set_name}, {clients} client(s): " + ", ".join(
                f"{k} {wall[k]:.2f} s" for k in SIDES), file=sys.stderr, flush=True)
    decode_all(res, bodies, a.clients[0], SIDES)
    json.dump(res, open(a.results, "w"))


def varint(b, i):
    v = s = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << s
        s += 7
        if c < 0x80:
            return v, i


def fields(b):
    """(field number, value) of a protobuf message; value: int or bytes."""
    i, n = 0, len(b)
    while i < n:
        key, i = varint(b, i)
        f, w = key >> 3, key & 7
        if w == 0:
            v, i = varint(b, i)
        elif w == 2:
            ln, i = varint(b, i)
            v, i = b[i:i + ln], i + ln
        elif w == 1:
            v, i = b[i:i + 8], i + 8
        elif w == 5:
            v, i = b[i:i + 4], i + 4
        else:
            raise ValueError(f"wire type {w}")
        yield f, v


def scan_houses(raw):
    """Feature ids of layer `houses` of an MVT, read without decoding geometry (for the
    PostGIS tiles, which hold up to hundreds of thousands of houses at low zooms)."""
    counts, ids = {}, []
    for f, layer in fields(raw):
        if f != 3:
            continue
        name, feats = None, []
        for lf, v in fields(layer):
            if lf == 1:
                name = v.decode()
            elif lf == 2:
                feats.append(v)
        counts[name] = len(feats)
        if name == "houses":
            for ft in feats:
                ids.extend(v for ff, v in fields(ft) if ff == 1)
    return counts, ids


def decode_all(res, bodies, first, SIDES):
    import mapbox_vector_tile as mvt

    for (set_name, k), bs in bodies.items():
        run = res["sets"][set_name]["runs"][str(first)][k]
        counts, layer_counts, ids, bad = [], [], [], []
        for i, b in enumerate(bs):
            raw = b
            if run["gzipped"][i]:
                raw = zlib.decompress(b, 31)
            run["raw"][i] = len(raw)
            if not raw:
                counts.append(0)
                layer_counts.append({})
                ids.append([])
                continue
            if k == "pg_houses" or k == "pg_full":
                lc, fid = scan_houses(raw)
                counts.append(lc.get("houses", 0))
                layer_counts.append(lc)
                ids.append([f"house-{v:07d}" for v in fid] if k == "pg_houses" else [])
                continue
            # Every RiskMap tile is decoded in full: geometry, keys, values.
            try:
                d = mvt.decode(raw, default_options={"y_coord_down": True})
            except Exception as e:
                bad.append(f"{res['sets'][set_name]['tiles'][i]}: {e}")
                counts.append(None)
                layer_counts.append({})
                ids.append([])
                continue
            h = d.get("houses", {}).get("features", [])
            counts.append(len(h))
            layer_counts.append({n: len(l["features"]) for n, l in d.items()})
            # The `id` property where the tiles carry it; else the feature id, which is
            # the house's position in its layer: the benchmark city numbers its houses
            # in order from house-0000001 (a wrong guess shows as ids on one side only).
            ids.append([f["properties"]["id"] if "id" in f["properties"]
                        else f"house-{f['id'] + 1:07d}" for f in h])
        run["houses"] = counts
        run["layers"] = layer_counts
        run["decode_errors"] = bad
        run["_ids"] = ids
        for c, r in res["sets"][set_name]["runs"].items():
            if c != str(first):
                r[k]["raw"] = run["raw"]
    # House ids compared at z >= 14 (below, RiskMap sends clusters of houses).
    for set_name, s in res["sets"].items():
        r = s["runs"][str(first)]
        only_rm = only_pg = both = 0
        for i, t in enumerate(s["tiles"]):
            if t[0] < 14:
                continue
            a, b = set(r["rm_houses"]["_ids"][i]), set(r["pg_houses"]["_ids"][i])
            only_rm += len(a - b)
            only_pg += len(b - a)
            both += len(a & b)
        s["id_check"] = {"both": both, "only_riskmap": only_rm, "only_postgis": only_pg}
        for k in SIDES:
            r[k].pop("_ids", None)


def pct(v, p):
    v = sorted(v)
    if not v:
        return float("nan")
    i = (len(v) - 1) * p / 100
    lo = int(i)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (i - lo)


NAMES = {
    "rm_houses": "RiskMap `houses`",
    "pg_houses": "PostGIS ST_AsMVT (id, level)",
    "rm_composite": "RiskMap composite (9 layers)",
    "rm_min": "RiskMap `houses`, feature id + level only",
    "pg_full": "PostGIS ST_AsMVT (RiskMap's former fields)",
}


def name_of(side):
    return NAMES.get(side) or f"RiskMap `{side[3:]}`"


def do_report(a):
    res = json.load(open(a.results))
    SIDES = res.get("sides", ["rm_houses", "pg_houses", "rm_composite", "pg_full"])
    for set_name, s in res["sets"].items():
        tiles = s["tiles"]
        zs = {}
        for t in tiles:
            zs[t[0]] = zs.get(t[0], 0) + 1
        print(f"\n#### {set_name}: {len(tiles)} tiles (" + ", ".join(
            f"z{z} {c}" for z, c in sorted(zs.items())) + ")\n")
        print("| side | clients | median ms | p90 ms | p99 ms | total s | tiles/s "
              "| raw KiB/tile | gzip KiB/tile | raw MiB total | gzip MiB total |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for c, run in s["runs"].items():
            for k in SIDES:
                r = run[k]
                n = len(r["ms"])
                raw = sum(x or 0 for x in r["raw"])
                gz = sum(x or 0 for x in r["gz"])
                print(f"| {name_of(k)} | {c} | {statistics.median(r['ms']):.1f} | "
                      f"{pct(r['ms'], 90):.1f} | {pct(r['ms'], 99):.1f} | {r['wall_s']:.2f} | "
                      f"{n / r['wall_s']:.1f} | {raw / n / 1024:.1f} | {gz / n / 1024:.1f} | "
                      f"{raw / 2**20:.1f} | {gz / 2**20:.1f} |")
        print()
        for c, run in s["runs"].items():
            rm, pg = run["rm_houses"], run["pg_houses"]
            ratio_tot = rm["wall_s"] / pg["wall_s"]
            ratio_med = statistics.median(rm["ms"]) / statistics.median(pg["ms"])
            comp = run["rm_composite"]["wall_s"] / rm["wall_s"]
            full = (f"; against ST_AsMVT with RiskMap's former fields: total "
                    f"{rm['wall_s'] / run['pg_full']['wall_s']:.2f}") if "pg_full" in run else ""
            gzms = [x for x in pg["gzip_ms"] if x is not None]
            print(f"- {c} client(s), time of RiskMap `houses` ÷ time of ST_AsMVT (below 1: "
                  f"RiskMap faster): total {ratio_tot:.2f}, median {ratio_med:.2f}{full}. "
                  f"RiskMap composite ÷ "
                  f"RiskMap `houses`: total {comp:.2f}. Gzip of the PostGIS tiles (client, "
                  f"level 6, not in their latency): median {statistics.median(gzms):.2f} ms, "
                  f"total {sum(gzms) / 1000:.2f} s. Gzipped bytes, RiskMap `houses` (at the "
                  f"server's tile_gzip_level, 1 by default) ÷ ST_AsMVT at level 6: {sum(x or 0 for x in rm['gz']) / max(1, sum(x or 0 for x in pg['gz'])):.4f}")
            if "rm_min" in run:
                mn = run["rm_min"]
                print(f"- {c} client(s), RiskMap `houses` with feature id + level only ÷ ST_AsMVT "
                      f"(id, level): total {mn['wall_s'] / pg['wall_s']:.2f}, median "
                      f"{statistics.median(mn['ms']) / statistics.median(pg['ms']):.2f}")
        first = next(iter(s["runs"].values()))
        byz = {}
        for i, t in enumerate(tiles):
            e = byz.setdefault(t[0], [0, 0, 0, 0, 0])
            e[0] += first["rm_houses"]["houses"][i] or 0
            e[1] += first["pg_houses"]["houses"][i] or 0
            e[3] += first["rm_composite"]["houses"][i] or 0
            e[4] += 1
        print("\n| zoom | tiles | RiskMap houses features | ST_AsMVT features | "
              "RiskMap / ST_AsMVT | composite `houses` features |")
        print("|---:|---:|---:|---:|---:|---:|")
        for z, e in sorted(byz.items()):
            kind = " (clusters)" if z < 14 else ""
            ratio = e[0] / e[1] if e[1] else float("nan")
            print(f"| {z} | {e[4]} | {e[0]}{kind} | {e[1]} | {ratio:.3f} | {e[3]} |")
        ic = s["id_check"]
        errs = sum(len(first[k]["decode_errors"]) for k in SIDES)
        empty = {k: sum(1 for x in first[k]["status"] if x == 204) for k in SIDES}
        print(f"\n- z ≥ 14 house ids: {ic['both']} on both sides, {ic['only_riskmap']} only in "
              f"RiskMap, {ic['only_postgis']} only in ST_AsMVT; decode errors: {errs}; "
              f"empty tiles: " + ", ".join(f"{k} {v}" for k, v in empty.items()))
        if "rm_min" in first:
            same = first["rm_min"]["houses"] == first["rm_houses"]["houses"]
            print(f"- RiskMap `houses` with feature id + level only: the same houses in every tile: "
                  f"{'yes' if same else 'NO'}")
        diff = [k for c, r in s["runs"].items() for k in SIDES if r[k].get("differs_from_first_run")]
        if diff:
            print(f"- WARNING: tiles differ between runs on {sorted(set(diff))}")
        if errs:
            for k in SIDES:
                for e in first[k]["decode_errors"][:5]:
                    print(f"  - {k}: {e}")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("tiles")
    r.add_argument("results")
    r.add_argument("--riskmap", required=True)
    r.add_argument("--riskmap-min", default=None,
                   help="a RiskMap server whose houses tiles carry only id and level")
    r.add_argument("--pg", required=True)
    r.add_argument("--pg-full", action="store_true",
                   help="also ST_AsMVT with every property of the houses_full table")
    r.add_argument("--clients", default="1,8",
                   type=lambda s: [int(x) for x in s.split(",")])
    r.add_argument("--each-layer", action="store_true",
                   help="also every other tile layer alone, RiskMap only")
    r.add_argument("--chunks", type=int, default=8,
                   help="chunks of the tile list with several clients (default 8)")
    p = sub.add_parser("report")
    p.add_argument("results")
    a = ap.parse_args()
    if a.cmd == "run":
        do_run(a)
    else:
        do_report(a)


if __name__ == "__main__":
    main()
