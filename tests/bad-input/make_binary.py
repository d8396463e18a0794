#!/usr/bin/env python3
"""Writes the inputs of the bad-input cases that are not plain UTF-8 text (GBK ledgers,
a shapefile cut short). Their expect.toml files are written by hand; run from anywhere:
`python3 tests/bad-input/make_binary.py`. Standard library only."""

import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def put(case, name, data):
    d = os.path.join(HERE, case, "data")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


ENTERPRISES = ("编号,企业名称,行业类别,经度,纬度\n"
               "企-1,海门某化工有限公司,危险化学品生产,121.17,31.89\n"
               "企-2,海门某机械有限公司,其他,121.18,31.90\n")
HOUSES = ("编号,地址,经度,纬度\n"
          "房-1,海门区三厂街道工业路8号,121.17,31.89\n"
          "房-2,海门区三星镇,121.18,31.90\n")

put("encoding-gbk", "enterprises.csv", ENTERPRISES.encode("gbk"))
put("encoding-gbk-with-utf8-bom", "houses.csv", b"\xef\xbb\xbf" + HOUSES.encode("gbk"))
put("encoding-utf8-bom", "houses.csv", b"\xef\xbb\xbf" + HOUSES.encode("utf-8"))

# Two square houses in Gauss-Krueger metres (CGCS2000 zone CM 120E, .prj below); the .shp
# is cut 20 bytes short, inside the last point of the second record.
PRJ = ('PROJCS["CGCS2000_3_Degree_GK_CM_120E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",'
       'DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],'
       'UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],'
       'PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",120.0],PARAMETER["Scale_Factor",1.0],'
       'PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]')


def square(e, n, s):
    return [(e, n), (e, n + s), (e + s, n + s), (e + s, n), (e, n)]


def polygon_record(i, pts):
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    c = struct.pack("<i4d", 5, min(xs), min(ys), max(xs), max(ys))
    c += struct.pack("<iii", 1, len(pts), 0) + b"".join(struct.pack("<2d", *p) for p in pts)
    return struct.pack(">ii", i + 1, len(c) // 2) + c


def header(words, bbox):
    return (struct.pack(">i", 9994) + b"\0" * 20 + struct.pack(">i", words)
            + struct.pack("<ii4d", 1000, 5, *bbox) + b"\0" * 32)


recs = [polygon_record(0, square(610690.0, 3530250.0, 10.0)),
        polygon_record(1, square(611000.0, 3531000.0, 5.0))]
bbox = (610690.0, 3530250.0, 611005.0, 3531005.0)
shp = header(50 + sum(len(r) for r in recs) // 2, bbox) + b"".join(recs)
shx = header(50 + 8, bbox) + struct.pack(">ii", 50, len(recs[0]) // 2 - 4) + struct.pack(
    ">ii", 50 + len(recs[0]) // 2, len(recs[1]) // 2 - 4)
fields = [("房屋编号", "C", 10), ("地址", "C", 40)]
rows = [["F-001", "海门区三厂街道工业路8号"], ["F-002", "海门区三星镇"]]
dbf = struct.pack("<BBBBIHH", 3, 124, 1, 1, len(rows), 32 + 32 * len(fields) + 1,
                  1 + sum(f[2] for f in fields)) + b"\0" * 17 + bytes([0x4D]) + b"\0\0"
for name, typ, length in fields:
    raw = name.encode("gbk")
    dbf += raw + b"\0" * (11 - len(raw)) + typ.encode() + b"\0" * 4 + bytes([length, 0]) + b"\0" * 14
dbf += b"\r"
for row in rows:
    dbf += b" " + b"".join(v.encode("gbk").ljust(f[2], b" ") for f, v in zip(fields, row))
dbf += b"\x1a"
put("shapefile-cut-short", "houses.shp", shp[:-20])
put("shapefile-cut-short", "houses.shx", shx)
put("shapefile-cut-short", "houses.dbf", dbf)
put("shapefile-cut-short", "houses.prj", PRJ.encode())

# The same two houses in lon/lat with an empty .prj (some tools write one): as without a
# .prj, longitude/latitude is assumed.
recs = [polygon_record(0, square(121.17, 31.89, 0.0001)),
        polygon_record(1, square(121.18, 31.89, 0.0001))]
bbox = (121.17, 31.89, 121.1801, 31.8901)
shp = header(50 + sum(len(r) for r in recs) // 2, bbox) + b"".join(recs)
shx = header(50 + 8, bbox) + struct.pack(">ii", 50, len(recs[0]) // 2 - 4) + struct.pack(
    ">ii", 50 + len(recs[0]) // 2, len(recs[1]) // 2 - 4)
put("shapefile-empty-prj", "houses.shp", shp)
put("shapefile-empty-prj", "houses.shx", shx)
put("shapefile-empty-prj", "houses.dbf", dbf)
put("shapefile-empty-prj", "houses.prj", b"")

# Regression (found by the fuzzer): a .prj whose central meridian is 1e400 (infinite)
# turned every coordinate into NaN, which reached the polygon repair and panicked there.
recs = [polygon_record(0, square(610690.0, 3530250.0, 10.0)),
        polygon_record(1, square(611000.0, 3531000.0, 5.0))]
bbox = (610690.0, 3530250.0, 611005.0, 3531005.0)
shp = header(50 + sum(len(r) for r in recs) // 2, bbox) + b"".join(recs)
shx = header(50 + 8, bbox) + struct.pack(">ii", 50, len(recs[0]) // 2 - 4) + struct.pack(
    ">ii", 50 + len(recs[0]) // 2, len(recs[1]) // 2 - 4)
put("shapefile-prj-infinite-meridian", "houses.shp", shp)
put("shapefile-prj-infinite-meridian", "houses.shx", shx)
put("shapefile-prj-infinite-meridian", "houses.dbf", dbf)
put("shapefile-prj-infinite-meridian", "houses.prj",
    PRJ.replace('"Central_Meridian",120.0', '"Central_Meridian",1e400').encode())
