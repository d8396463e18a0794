"""Reads one collection's vector tiles from an OGC API - Tiles server through GDAL's own
OGCAPI driver, in the GDAL that the PyPI package `pyogrio` bundles (3.12; Debian 12's
GDAL 3.6 was built without the driver's vector-tile code), and prints, per zoom level, as
JSON: the number of features GDAL read, the distinct `id` values, the sum of the clusters'
`count` fields, and the longitude/latitude of each point feature by id. The OGC API tests
compare this with `riskmap export`; nothing of RiskMap is used here.

    python ogcapi_tiles.py http://127.0.0.1:8080/ogc/collections/enterprises \
        MINLON MINLAT MAXLON MAXLAT Z [Z ...]

The box is given because GDAL's driver takes the collection's extent (CRS84 degrees) as
if it were in the tile matrix set's metres, and keeps only the zoom levels whose tiles
meet it; the open options MINX..MAXY (in EPSG:3857 metres) give it the right one.
"""
import json
import math
import struct
import sys

from pyogrio import raw

R = 6378137.0


def merc(lon, lat):
    return R * math.radians(lon), R * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def lonlat(x, y):
    return math.degrees(x / R), math.degrees(2 * math.atan(math.exp(y / R)) - math.pi / 2)


def point(wkb):
    """(x, y) of a WKB Point (ISO or extended), else None."""
    order = "<" if wkb[0] == 1 else ">"
    (kind,) = struct.unpack(order + "I", wkb[1:5])
    if (kind & 0xFFFF) % 1000 != 1:
        return None
    return struct.unpack(order + "dd", wkb[5:21])


def main(url, box, zooms):
    (x0, y0), (x1, y1) = merc(box[0], box[1]), merc(box[2], box[3])
    out = {}
    for z in zooms:
        meta, _fids, geoms, fields = raw.read(
            "OGCAPI:" + url, layer=f"Zoom level {z}", minx=x0, miny=y0, maxx=x1, maxy=y1
        )
        names = list(meta["fields"])
        ids = fields[names.index("id")] if "id" in names else []
        counts = fields[names.index("count")] if "count" in names else []
        points = {}
        for i, g in enumerate(geoms):
            p = point(bytes(g)) if g is not None else None
            if p is not None and len(ids):
                points[str(ids[i])] = lonlat(*p)
        out[str(z)] = {
            "crs": meta["crs"],
            "features": len(geoms),
            "fields": names,
            "ids": sorted({str(i) for i in ids}),
            "count_sum": int(sum(int(c) for c in counts)),
            "points": points,
        }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1], [float(v) for v in sys.argv[2:6]], [int(v) for v in sys.argv[6:]])
