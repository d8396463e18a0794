"""The server's part of a switch of the viewer's date, without a browser: asks a running
`riskmap serve` for a past day's hidden hazards per town (which makes the day's map) and
then for twelve z12 composite tiles of that day around a place, and prints the time of
each part. Nothing is asserted.

    python3 scripts/bench/day_tiles.py BASE DAY [LON LAT]
"""
import math
import sys
import time
import urllib.request

LAYERS = ("areas,risk_grid,gas_pipelines,houses,protection_targets,enterprises,"
          "hazard_sources,protection_conflicts,pipeline_conflicts,hidden_hazards")


def tile_of(lon, lat, z):
    n = 2 ** z
    x = int((lon + 180.0) / 360.0 * n)
    r = math.radians(lat)
    y = int((1.0 - math.log(math.tan(r) + 1.0 / math.cos(r)) / math.pi) / 2.0 * n)
    return x, y


def main():
    if len(sys.argv) not in (3, 5):
        sys.exit(__doc__)
    base, day = sys.argv[1], sys.argv[2]
    lon, lat = (float(sys.argv[3]), float(sys.argv[4])) if len(sys.argv) == 5 else (121.29, 31.95)
    t0 = time.perf_counter()
    urllib.request.urlopen(f"{base}/api/hidden/areas?as_of={day}").read()
    t1 = time.perf_counter()
    x0, y0 = tile_of(lon, lat, 12)
    for dx in (-2, -1, 0, 1):
        for dy in (-1, 0, 1):
            urllib.request.urlopen(f"{base}/tiles/{LAYERS}/12/{x0 + dx}/{y0 + dy}.mvt?as_of={day}").read()
    t2 = time.perf_counter()
    print(f"{day}: the day {1000 * (t1 - t0):.0f} ms, 12 tiles {1000 * (t2 - t1):.0f} ms")


if __name__ == "__main__":
    main()
