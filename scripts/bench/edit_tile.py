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
Each PATCH answer's `Server-Timing` (the check, the wait for its group, the store's
transaction and beside it the batch's wait for its copy of the map and its work on the
copy, then serving the batch) is summarised too (`server_ms`: p50 / p99 / max).

With --hazard-sources FILE, as many hazard sources (every one of the file in turn, up to
--inventories) then have their inventory scaled by 0.5-3 (`PATCH` of `inventory`): each
is graded again, with its conflicts and its enterprise's level, and the z13 tile over it
(--inventory-zoom: 14 is the first zoom that draws the conflicts as lines) is
re-requested the same way. Its tile changes only when the grade does, so these are
timed but not required to be seen.

With --hidden N, N open hidden hazards (every STRIDE-th of the served layer's open ones)
are then sent on in their loop, one at a time: `PATCH` of `status` (待整改 → 整改中, 整改中 →
已整改待验收 with the day it was rectified), and the z16 tile of the layers the viewer's
date source draws (`enterprises,hidden_hazards`) over each is re-requested the same way;
the status is in the tile, so each must be seen.

With --accept-gzip the tiles are asked for with `Accept-Encoding: gzip`, as a browser
asks (the viewer): the server then sends the gzipped tile it keeps instead of
decompressing it. Without, a client that does not take gzip, as the runs recorded before
this option.

With --viewer-sources STYLE the house and inventory edits re-request, instead of one tile
of --layers, the tile of each vector source of that MapLibre style (styles/risk.json:
the risk layers in one source, areas, grid, enterprises and hidden hazards in another),
each on a connection of its own and all at once, as a browser showing the map does; the
clock stops when the last is in, and the edit is seen when any of them changed.

Usage: edit_tile.py BASE_URL TOKEN HOUSES.geojson [--edits 300] [--stride 997]
                    [--hazard-sources FILE --inventories 100 --inventory-zoom 13]
                    [--hidden N] [--out F]
                    [--seed 11] [--accept-gzip] [--viewer-sources STYLE]
Prints one line of JSON: edit->tile p50/p99/max, the PATCH alone, the tile alone, how
many edits were seen in the re-requested tile, and answers that were not 2xx; the same
for the inventory edits.
"""

import argparse
import concurrent.futures
import http.client
import json
import math
import random
import re
import time
import urllib.parse

# The houses of the city and their moves, as the load benchmark takes them.
from edit_load import emit, houses, moved


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


def style_sources(path):
    """The layer lists of a MapLibre style's vector sources ({origin}/tiles/LAYERS.json)."""
    with open(path, encoding="utf-8") as f:
        style = json.load(f)
    out = []
    for src in style.get("sources", {}).values():
        m = re.search(r"/tiles/([^/]+)\.json$", src.get("url", ""))
        if src.get("type") == "vector" and m:
            out.append(m.group(1))
    if not out:
        raise SystemExit(f"edit_tile: no vector source served by /tiles in {path}")
    return out


def server_timing(h):
    """{name: ms} of a Server-Timing header ("check;dur=0.81, store;dur=3.20"); a
    metric with a description instead ('cache;desc="hit"') gives {name: description}."""
    out = {}
    for part in (h or "").split(","):
        name, _, rest = part.strip().partition(";")
        if rest.startswith("dur="):
            out[name] = float(rest[4:])
        elif rest.startswith("desc="):
            out[name] = rest[5:].strip('"')
    return out


def phases(rows):
    """p50 / p99 / max of each phase the server named, over the edits (the phases timed:
    not a description such as a tile's cache;desc="hit")."""
    rows = [{k: v for k, v in r.items() if isinstance(v, float)} for r in rows]
    names = sorted({k for r in rows for k in r})
    return {n: {"p50": pct([r[n] for r in rows if n in r], 0.5),
                "p99": pct([r[n] for r in rows if n in r], 0.99),
                "max": pct([r[n] for r in rows if n in r], 1.0)} for n in names}


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
    ap.add_argument("--hazard-sources")
    ap.add_argument("--inventories", type=int, default=100)
    ap.add_argument("--inventory-zoom", type=int, default=13)
    ap.add_argument("--hidden", type=int, default=0)
    ap.add_argument("--out")
    ap.add_argument("--accept-gzip", action="store_true")
    ap.add_argument("--viewer-sources", metavar="STYLE",
                    help="re-request the tile of every vector source of this style at once")
    ap.add_argument("--seed", type=int, default=11,
                    help="of the moves and scale factors: rounds with other seeds make other edits")
    a = ap.parse_args()
    u = urllib.parse.urlparse(a.base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    viewed = style_sources(a.viewer_sources) if a.viewer_sources else None
    # One connection per source, as a browser fetches a map's sources side by side.
    tile_conns = [http.client.HTTPConnection(u.hostname, u.port, timeout=60)
                  for _ in (viewed or [])]
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=len(tile_conns)) \
        if tile_conns else None
    rng = random.Random(a.seed)
    todo = houses(a.houses, a.stride, a.edits)
    total, patch, tile, server, tile_server = [], [], [], [], []
    seen, bad = 0, {}

    def get(c, path, headers):
        c.request("GET", path, headers=headers)
        r = c.getresponse()
        r.read()
        return r.status, r.getheader("ETag"), server_timing(r.getheader("Server-Timing"))

    def send_patch(layer, fid, body):
        conn.request("PATCH", f"/api/layers/{layer}/features/{fid}", body=json.dumps(body),
                     headers={"Authorization": f"Bearer {a.token}",
                              "Content-Type": "application/geo+json"})
        r = conn.getresponse()
        r.read()
        return r

    def timed(layer, fid, body, lon, lat, z, layers=None):
        """PATCH, then the tile over (lon, lat) at z asked again: of `layers` (default
        --layers) on the edits' connection, or with --viewer-sources the tile of every
        source of the style, each on its own connection and all at once."""
        x, y = tile_of(lon, lat, z)
        gz = {"Accept-Encoding": "gzip"} if a.accept_gzip else {}
        if viewed and layers is None:
            paths, conns = [f"/tiles/{s}/{z}/{x}/{y}.mvt" for s in viewed], tile_conns
        else:
            paths, conns = [f"/tiles/{layers or a.layers}/{z}/{x}/{y}.mvt"], [conn]
        etags = [get(c, p, gz)[1] for c, p in zip(conns, paths)]
        t0 = time.perf_counter()
        r = send_patch(layer, fid, body)
        t1 = time.perf_counter()
        if r.status // 100 != 2:
            bad[str(r.status)] = bad.get(str(r.status), 0) + 1
            return None
        asks = [dict(gz, **({"If-None-Match": e} if e else {})) for e in etags]
        if len(conns) == 1:
            got = [get(conns[0], paths[0], asks[0])]
        else:
            got = list(pool.map(get, conns, paths, asks))
        t2 = time.perf_counter()
        for status, _, _ in got:
            if status // 100 not in (2, 3):
                bad[f"tile {status}"] = bad.get(f"tile {status}", 0) + 1
        changed = any(st == 200 and e != old for (st, e, _), old in zip(got, etags))
        return (t2 - t0) * 1000.0, (t1 - t0) * 1000.0, (t2 - t1) * 1000.0, changed, \
            server_timing(r.getheader("Server-Timing")), [g[2] for g in got]

    for hid, geom in todo:
        lon, lat = first_point(geom)
        d = 10.0 + rng.random() * 50.0
        ang = rng.random() * math.tau
        body = {
            "type": "Feature",
            "geometry": moved(geom, d * math.sin(ang) / 94_500.0, d * math.cos(ang) / 110_900.0),
            "properties": {},
        }
        t = timed("houses", hid, body, lon, lat, 16)
        if t is None:
            continue
        total.append(t[0])
        patch.append(t[1])
        tile.append(t[2])
        seen += t[3]
        server.append(t[4])
        tile_server.append(t[5][0])
    inv_total, inv_patch, inv_seen, inv_server, inv_each = [], [], 0, [], []
    inv_tile_server = []
    if a.hazard_sources:
        with open(a.hazard_sources, encoding="utf-8") as f:
            sources = json.load(f)["features"][: a.inventories]
        for feat in sources:
            lon, lat = first_point(feat["geometry"])
            k = 0.5 + rng.random() * 2.5
            inv = [dict(it, tonnes=round(it["tonnes"] * k, 3)) for it in feat["properties"]["inventory"]]
            t = timed("hazard_sources", feat["id"], {"type": "Feature", "properties": {"inventory": inv}},
                      lon, lat, a.inventory_zoom)
            if t is None:
                continue
            inv_total.append(t[0])
            inv_patch.append(t[1])
            inv_seen += t[3]
            inv_server.append(t[4])
            inv_tile_server.append(t[5][0])
            inv_each.append({"id": feat["id"], "scale": round(k, 3), "edit_to_tile_ms": round(t[0], 2),
                             "patch_ms": round(t[1], 2), "tile_ms": round(t[2], 2),
                             "tile_changed": bool(t[3]), "server_ms": t[4],
                             "tile_server_ms": t[5]})
    hid_total, hid_patch, hid_seen = [], [], 0
    if a.hidden:
        conn.request("GET", "/api/features/hidden_hazards.geojson")
        r = conn.getresponse()
        fc = json.loads(r.read())
        day = None
        opened = []
        for f in fc["features"]:
            p = f["properties"]
            day = day or p.get("as_of")
            if p.get("status_as_of") in ("pending", "in_progress") and p.get("status") == p.get("status_as_of"):
                opened.append(f)
        for f in opened[:: max(1, len(opened) // a.hidden)][: a.hidden]:
            lon, lat = f["geometry"]["coordinates"]
            p = f["properties"]
            if p["status"] == "pending":
                props = {"status": "in_progress"}
            else:
                props = {"status": "rectified", "rectified": day}
            t = timed("hidden_hazards", f["id"], {"type": "Feature", "properties": props},
                      lon, lat, 16, "enterprises,hidden_hazards")
            if t is None:
                continue
            hid_total.append(t[0])
            hid_patch.append(t[1])
            hid_seen += t[3]
    row = lambda v: {"p50": pct(v, 0.5), "p99": pct(v, 0.99), "max": pct(v, 1.0)}
    out = {
        "edits": len(total),
        "seen_in_tile": seen,
        "not_2xx": bad,
        "edit_to_tile_ms": row(total),
        "patch_ms": row(patch),
        "tile_ms": row(tile),
        "server_ms": phases(server),
        "tile_server_ms": phases(tile_server),
        "tiles": viewed or [a.layers],
    }
    if a.hazard_sources:
        out["inventories"] = {
            "edits": len(inv_total),
            "zoom": a.inventory_zoom,
            "tile_changed": inv_seen,
            "edit_to_tile_ms": row(inv_total),
            "patch_ms": row(inv_patch),
            "server_ms": phases(inv_server),
            "tile_server_ms": phases(inv_tile_server),
            # Each edit as it went, to see which ones make the tail.
            "each": inv_each,
        }
    if a.hidden:
        out["hidden"] = {
            "edits": len(hid_total),
            "seen_in_tile": hid_seen,
            "edit_to_tile_ms": row(hid_total),
            "patch_ms": row(hid_patch),
        }
    emit(out, a.out)


if __name__ == "__main__":
    main()
