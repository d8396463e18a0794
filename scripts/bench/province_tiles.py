"""Uncached tiles of a served province, as people browse it: at each zoom, tiles drawn
with probability proportional to the houses they hold (tile_sample.py's weighted draw, a
fixed seed), each requested once from a `riskmap serve` whose tile cache is off, the
viewer's composite of every layer, gzip accepted. Prints, per zoom, the tiles, the median,
p99 and largest time to the last byte, and the largest tile.

Reads the houses' ledgers of a province folder (`riskmap generate --province`): CSV with a
WKT footprint (GBK or UTF-8) or GeoJSON, a house counted once at its footprint's first
vertex.

With --around-densest KM, the sample of the million-house city's target instead (BENCHMARKS
"Uncached tile generation"): every tile of the zooms meeting the box of KM km either side
of the densest place, here the centre of the z15 tile holding the most houses (the city's
bench takes the H3 cell with the most occupants, which the ledgers alone do not give).

Usage: province_tiles.py HOUSES_DIR URL [--per-zoom 40] [--zooms 6-16] [--seed 20221122]
                         [--around-densest KM]
"""

import argparse
import gzip
import http.client
import math
import os
import random
import re
import statistics
import sys
import time
import urllib.parse

from tile_sample import tile_of, weighted_draw

FIRST = re.compile(rb'(?:POLYGON \(\(|"coordinates":\[\[\[)(-?\d+\.\d+)[ ,](-?\d+\.\d+)')
LAYERS = ("areas,risk_grid,gas_pipelines,houses,protection_targets,enterprises,"
          "hazard_sources,protection_conflicts,pipeline_conflicts,hidden_hazards")


def first_vertices(folder):
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name), "rb") as f:
            for line in f:
                m = FIRST.search(line)
                if m:
                    yield float(m.group(1)), float(m.group(2))


def tile_lonlat(x, y, z):
    """The lon/lat of a point of tile space (x, y may be fractional)."""
    n = 2 ** z
    lon = x / n * 360 - 180
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n))))
    return lon, lat


def tiles_within(lon, lat, km, z):
    """Every tile of zoom z that meets the box of km either side of the point (east and
    north in a local plane), as the city's bench takes them."""
    ky = 111_320.0
    kx = ky * math.cos(math.radians(lat))
    dlon, dlat = km * 1000 / kx, km * 1000 / ky
    x0, y0 = tile_of(lon - dlon, lat + dlat, z)
    x1, y1 = tile_of(lon + dlon, lat - dlat, z)
    return [(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("houses")
    ap.add_argument("url")
    ap.add_argument("--per-zoom", type=int, default=40)
    ap.add_argument("--zooms", default="6-16")
    ap.add_argument("--seed", type=int, default=20221122)
    ap.add_argument("--around-densest", type=float, metavar="KM")
    a = ap.parse_args()
    lo, hi = (int(v) for v in a.zooms.split("-"))
    zooms = range(lo, hi + 1)
    if a.around_densest is not None:
        zooms = sorted(set(zooms) | {15})
    counts = {z: {} for z in zooms}
    n = 0
    for lon, lat in first_vertices(a.houses):
        n += 1
        for z in zooms:
            t = tile_of(lon, lat, z)
            counts[z][t] = counts[z].get(t, 0) + 1
    if n == 0:
        sys.exit(f"no houses found in {a.houses}")
    rng = random.Random(a.seed)
    picks = {z: sorted(weighted_draw(rng, counts[z], a.per_zoom)) for z in zooms}
    if a.around_densest is not None:
        (x, y), most = max(counts[15].items(), key=lambda kv: (kv[1], kv[0]))
        lon, lat = tile_lonlat(x + 0.5, y + 0.5, 15)
        print(f"densest: z15 tile {x}/{y}, {most} houses, centre {lon:.4f} E {lat:.4f} N")
        zooms = range(lo, hi + 1)
        picks = {z: tiles_within(lon, lat, a.around_densest, z) for z in zooms}
    u = urllib.parse.urlsplit(a.url)
    conn = http.client.HTTPConnection(u.hostname, u.port)
    print(f"{n} houses; tiles holding houses: " + ", ".join(f"z{z} {len(counts[z])}" for z in zooms))
    print()
    print("| z | tiles | median ms | p99 ms | max ms | largest gzipped |")
    print("|---|---:|---:|---:|---:|---:|")
    every = []
    for z in zooms:
        times, largest = [], 0
        for (x, y) in picks[z]:
            t0 = time.perf_counter()
            conn.request("GET", f"/tiles/{LAYERS}/{z}/{x}/{y}.mvt", headers={"Accept-Encoding": "gzip"})
            r = conn.getresponse()
            body = r.read()
            times.append((time.perf_counter() - t0) * 1000)
            if r.status not in (200, 204):
                sys.exit(f"tile {z}/{x}/{y}: HTTP {r.status}")
            if body and r.getheader("Content-Encoding") == "gzip":
                gzip.decompress(body)  # a whole gzip stream
            largest = max(largest, len(body))
        every += times
        q = statistics.quantiles(times, n=100, method="inclusive") if len(times) > 1 else times * 99
        print(f"| {z} | {len(times)} | {statistics.median(times):.2f} | {q[98]:.2f} | "
              f"{max(times):.2f} | {largest / 1000:.1f} kB |")
    q = statistics.quantiles(every, n=100, method="inclusive")
    print(f"| **all** | **{len(every)}** | **{statistics.median(every):.2f}** | "
          f"**{q[98]:.2f}** | {max(every):.2f} | |")


if __name__ == "__main__":
    main()
