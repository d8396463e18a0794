"""The tiles of scripts/bench/tiles-vs-postgis.sh, chosen as people browse.

Each house counts once, in the tile holding the mean of its footprint's vertices. At
each zoom, tiles are drawn without replacement with probability proportional to the
number of houses they hold (weighted sampling of Efraimidis and Spirakis: key u^(1/w),
the largest keys win), so dense streets are picked more often and empty tiles never.
Deterministic: a fixed seed, tiles visited in sorted order.

Two sets, every tile distinct:
  headline  TILES tiles at z14–z16 (split evenly, lower zooms get the remainder first)
  mix       MIX tiles per zoom at z10–z16 not in the headline set (fewer where fewer
            tiles hold houses)

Usage: tile_sample.py HOUSES.geojson OUT.tsv [--tiles 400] [--mix 20] [--seed 20221122]
The GeoJSON must hold one feature per line (as `riskmap generate` and `analyze` write).
Writes TSV: set, z, x, y, houses; prints the counts per zoom.
"""

import argparse
import json
import math
import random
import sys


def tile_of(lon, lat, z):
    n = 1 << z
    x = int((lon + 180.0) / 360.0 * n)
    s = math.sin(math.radians(lat))
    y = int((0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)) * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def centres(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip().rstrip(",")
            if not line.startswith('{"type":"Feature"'):
                continue
            g = json.loads(line)["geometry"]
            if g["type"] == "Polygon":
                ring = g["coordinates"][0]
            elif g["type"] == "MultiPolygon":
                ring = g["coordinates"][0][0]
            else:
                ring = [g["coordinates"]]
            pts = ring[:-1] if len(ring) > 1 and ring[0] == ring[-1] else ring
            yield (sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts))


def weighted_draw(rng, counts, k, exclude=()):
    keyed = []
    for t in sorted(counts):
        u = rng.random()
        if t in exclude:
            continue
        keyed.append((u ** (1.0 / counts[t]), t))
    keyed.sort(reverse=True)
    return [t for _, t in keyed[:k]]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("houses")
    ap.add_argument("out")
    ap.add_argument("--tiles", type=int, default=400)
    ap.add_argument("--mix", type=int, default=20)
    ap.add_argument("--seed", type=int, default=20221122)
    a = ap.parse_args()

    zooms = range(10, 17)
    counts = {z: {} for z in zooms}
    n = 0
    for lon, lat in centres(a.houses):
        n += 1
        for z in zooms:
            t = tile_of(lon, lat, z)
            counts[z][t] = counts[z].get(t, 0) + 1
    if n == 0:
        sys.exit(f"no features in {a.houses}")

    rng = random.Random(a.seed)
    rows = []
    head_zooms = [14, 15, 16]
    per = [a.tiles // 3 + (1 if i < a.tiles % 3 else 0) for i in range(3)]
    chosen = {z: set() for z in zooms}
    for z, k in zip(head_zooms, per):
        for t in weighted_draw(rng, counts[z], k):
            chosen[z].add(t)
            rows.append(("headline", z, t[0], t[1], counts[z][t]))
    for z in zooms:
        for t in weighted_draw(rng, counts[z], a.mix, chosen[z]):
            rows.append(("mix", z, t[0], t[1], counts[z][t]))

    with open(a.out, "w") as f:
        for r in rows:
            f.write("\t".join(map(str, r)) + "\n")
    print(f"{n} houses; tiles holding houses per zoom: "
          + ", ".join(f"z{z} {len(counts[z])}" for z in zooms))
    for s in ("headline", "mix"):
        by = {}
        for r in rows:
            if r[0] == s:
                by[r[1]] = by.get(r[1], 0) + 1
        print(f"{s}: {sum(by.values())} tiles (" + ", ".join(f"z{z} {c}" for z, c in sorted(by.items())) + ")")


if __name__ == "__main__":
    main()
