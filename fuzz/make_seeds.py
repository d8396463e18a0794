#!/usr/bin/env python3
"""Writes the seed inputs of the fuzz targets into fuzz/seeds/<target>/.

Seeds are small valid inputs (plus a few typical broken ones); the fuzzers mutate them.
Run from anywhere: `python3 fuzz/make_seeds.py`. Standard library only; the shapefiles
are written byte by byte from the ESRI Shapefile Technical Description (1998) and the
dBASE III header layout.
"""

import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
SEEDS = os.path.join(HERE, "seeds")
PART = b"<<PART>>"

PRJ_4549 = (
    'PROJCS["CGCS2000_3_Degree_GK_CM_120E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",'
    'DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],'
    'UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],'
    'PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",120.0],PARAMETER["Scale_Factor",1.0],'
    'PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]'
)


def put(target, name, data):
    d = os.path.join(SEEDS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def fc(features, **extra):
    out = {"type": "FeatureCollection"}
    out.update(extra)
    out["features"] = features
    return json.dumps(out, ensure_ascii=False, indent=1)


def feat(fid, geom, props):
    return {"type": "Feature", "id": fid, "geometry": geom, "properties": props}


def square(x, y, s):
    return [[x, y], [x + s, y], [x + s, y + s], [x, y + s], [x, y]]


# --- GeoJSON -------------------------------------------------------------------------
put("geojson", "points.geojson", fc([
    feat("H1", {"type": "Point", "coordinates": [121.17, 31.89]},
         {"地址": "海门区三厂街道工业路8号", "层数": 3, "鉴定等级": "D级", "name": "甲"}),
    feat(2, {"type": "Point", "coordinates": [121.171, 31.891]},
         {"address": "乙", "floors": "3层", "use": "自住兼经营", "occupants": 4}),
    feat("H3", None, {"经度": "121.172", "纬度": "31.892", "名称": "丙"}),
]))
put("geojson", "polygons.geojson", fc([
    feat("A1", {"type": "Polygon", "coordinates": [square(121.1, 31.8, 0.2),
                                                    square(121.15, 31.85, 0.05)]},
         {"名称": "三厂街道", "行政区划代码": "320684100"}),
    feat("A2", {"type": "MultiPolygon", "coordinates": [[square(121.4, 31.8, 0.1)],
                                                         [square(121.6, 31.8, 0.1)]]},
         {"name": "海门街道", "kind": "school", "population": 1200}),
]))
put("geojson", "lines_gk.geojson", fc([
    feat("GP-1", {"type": "LineString", "coordinates": [[603579.338, 3531841.412],
                                                         [603622.252, 3531451.301]]},
         {"design_pressure_mpa": 1.6, "diameter_mm": "DN400", "pressure_class": "次高压A",
          "year_laid": "2008年"}),
    feat("GP-2", {"type": "MultiLineString", "coordinates": [[[603700, 3531000], [603800, 3531100]]]},
         {"压力级制": "中压A", "设计压力": "0.4MPa"}),
], crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4549"}}))
put("geojson", "hazard.geojson", fc([
    feat("HS-1", {"type": "Point", "coordinates": [121.17, 31.89]},
         {"name": "液氯储罐区", "enterprise_id": "E-001", "unit_type": "storage",
          "inventory": [{"cas": "7782-50-5", "name": "氯", "tonnes": 20},
                        {"CAS号": "7664-41-7", "物质名称": "液氨", "数量(吨)": 35}],
          "declared_grade": 2, "qra_distances": {"high_sensitivity": 600, "important": 450}}),
    feat("E-001", {"type": "Polygon", "coordinates": [square(121.169, 31.889, 0.003)]},
         {"企业名称": "海门某化工有限公司", "统一社会信用代码": "91320684MA1MXY3P19",
          "行业类别": "危险化学品生产", "从业人数": 120, "风险等级": "较大",
          "危险化学品": "氯(7782-50-5)=20；液氨=35吨"}),
]))
put("geojson", "feature.json", json.dumps(feat("X", {"type": "Point", "coordinates": [121.2, 31.9]},
                                               {"名称": "单个"}), ensure_ascii=False))
put("geojson", "broken_feature.geojson",
    '{"type":"FeatureCollection","features":[\n'
    '{"type":"Feature","id":"A","geometry":{"type":"Point","coordinates":[121.1,31.9]},"properties":{}},\n'
    '{"type":"Feature","id":"B","geometry":{"type":"Point","coordinates":"121,31"},"properties":{}},\n'
    '{"type":"Feature","id":"C","geometry":{"type":"Point","coordinates":[NaN,31.9]},"properties":[]}\n'
    ']}')

# --- CSV -----------------------------------------------------------------------------
put("csv", "houses.csv",
    "房屋编号,地址,层数,用途,鉴定等级,整治状态,经度,纬度\n"
    "F-001,海门区三厂街道工业路8号,3,自住兼经营,C级,整治中,121.171,31.889\n"
    "F-002,\"海门区, 三星镇\",2层,出租,D级,,121.172,31.890\n")
put("csv", "enterprises_gbk.csv",
    ("编号,企业名称,统一社会信用代码,行业类别,从业人数,风险等级,经度,纬度\n"
     "E-001,海门某化工有限公司,91320684MA1MXY3P19,危险化学品生产,120,较大,121.17,31.89\n"
     "E-002,海门某机械有限公司,913206841629753967,其他,13,,121度10分12秒,北纬31°53′24″\n").encode("gbk"))
put("csv", "bom_wkt.csv", b"\xef\xbb\xbf" + (
    "管道编号,管道名称,压力级制,设计压力(MPa),管径,管材,敷设年份,wkt\n"
    "GP-1,人民路中压干线,中压A,0.4,DN200,PE,2008,\"LINESTRING (121.10 31.90, 121.12 31.90)\"\n"
    "GP-2,支线,低压,,De110,钢,2010-06-01,\"SRID=4490;MULTILINESTRING ((121.1 31.9, 121.11 31.91))\"\n"
).encode("utf-8"))
put("csv", "title_row.csv",
    "XX区防护目标台账,,,,,\n"
    "名称,类型,类别,人数,户数,wkt\n"
    "三厂中学,学校,高敏感,1200,,\"POLYGON ((121.16 31.88, 121.165 31.88, 121.165 31.885, 121.16 31.885, 121.16 31.88))\"\n")
put("csv", "tabs.tsv",
    "名称\t类型\t人数\t经度\t纬度\n"
    "三厂中学\t学校\t1200\t121.16\t31.88\n"
    "海门医院\t医院\t300\t121.17\t31.89\n")
put("csv", "hazard.csv",
    "危险源编号,危险源名称,所属企业,经度,纬度,危险化学品,重大危险源级别,外部安全防护距离\n"
    "HS-1,液氯储罐区,E-001,121.1700,31.8900,氯(7782-50-5)=20；液氨=35吨,二级,高敏感=600；重要=450\n")
put("csv", "gk.csv", "编号,地址,x,y\nG-1,丙,610690,3530250\nG-2,丁,611000.5,3531000\n")

# --- WKT -----------------------------------------------------------------------------
for name, text in [
    ("point.wkt", "POINT (121.17 31.89)"),
    ("line.wkt", "LINESTRING Z (121.1 31.9 5, 121.12 31.9 6)"),
    ("polygon.wkt", "POLYGON ((121.1 31.8, 121.3 31.8, 121.3 32.0, 121.1 32.0, 121.1 31.8), "
                    "(121.15 31.85, 121.2 31.85, 121.2 31.9, 121.15 31.85))"),
    ("multi.wkt", "SRID=4326;MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)), ((2 2, 3 2, 3 3, 2 2)))"),
    ("empty.wkt", "MULTIPOINT EMPTY"),
    ("multipoint.wkt", "MULTIPOINT ((1 2), (3 4))"),
    ("prj_4549.prj", PRJ_4549),
    ("wkt2.prj", 'PROJCRS["CGCS2000 / 3-degree Gauss-Kruger zone 40",BASEGEOGCRS["China Geodetic '
                 'Coordinate System 2000",DATUM["China 2000",ELLIPSOID["CGCS2000",6378137,298.257222101,'
                 'LENGTHUNIT["metre",1]]]],CONVERSION["zone 40",METHOD["Transverse Mercator"],'
                 'PARAMETER["Longitude of natural origin",120,ANGLEUNIT["degree",0.0174532925199433]],'
                 'PARAMETER["False easting",40500000,LENGTHUNIT["metre",1]]],ID["EPSG",4528]]'),
    ("epsg.txt", "EPSG:4549"),
]:
    put("wkt", name, text)

# --- Shapefile -----------------------------------------------------------------------


def shp_file(shape_type, records):
    """records: list of (content bytes without the type) ; returns (shp, shx)."""
    body = b""
    index = b""
    offset = 50  # 16-bit words
    xs, ys = [], []
    for i, (content, pts) in enumerate(records):
        rec = struct.pack("<i", shape_type) + content
        header = struct.pack(">ii", i + 1, len(rec) // 2)
        index += struct.pack(">ii", offset, len(rec) // 2)
        body += header + rec
        offset += (len(header) + len(rec)) // 2
        xs += [p[0] for p in pts]
        ys += [p[1] for p in pts]
    bbox = (min(xs), min(ys), max(xs), max(ys)) if xs else (0, 0, 0, 0)

    def head(length_words):
        return (struct.pack(">i", 9994) + b"\0" * 20 + struct.pack(">i", length_words)
                + struct.pack("<ii", 1000, shape_type) + struct.pack("<4d", *bbox) + b"\0" * 32)

    shp = head(50 + len(body) // 2) + body
    shx = head(50 + len(index) // 2) + index
    return shp, shx


def point(x, y):
    return struct.pack("<2d", x, y), [(x, y)]


def poly(parts):
    pts = [p for part in parts for p in part]
    xs = [p[0] for p in pts]
    ys = [p[1] for p in pts]
    starts, n = [], 0
    for part in parts:
        starts.append(n)
        n += len(part)
    c = struct.pack("<4d", min(xs), min(ys), max(xs), max(ys))
    c += struct.pack("<ii", len(parts), len(pts))
    c += b"".join(struct.pack("<i", s) for s in starts)
    c += b"".join(struct.pack("<2d", *p) for p in pts)
    return c, pts


def dbf(fields, rows, encoding, ldid=0):
    """fields: [(name, type, length)]; rows: lists of str."""
    n = len(fields)
    record_len = 1 + sum(f[2] for f in fields)
    header_len = 32 + 32 * n + 1
    out = struct.pack("<BBBBIHH", 3, 124, 1, 1, len(rows), header_len, record_len)
    out += b"\0" * 17 + bytes([ldid]) + b"\0\0"
    for name, typ, length in fields:
        raw = name.encode(encoding)[:10]
        out += raw + b"\0" * (11 - len(raw)) + typ.encode() + b"\0" * 4 + bytes([length, 0]) + b"\0" * 14
    out += b"\r"
    for row in rows:
        out += b" "
        for (name, typ, length), v in zip(fields, row):
            raw = v.encode(encoding)[:length]
            out += raw + b" " * (length - len(raw)) if typ == "C" else b" " * (length - len(raw)) + raw
    return out + b"\x1a"


def square_pts(x, y, s):
    return [(x, y), (x, y + s), (x + s, y + s), (x + s, y), (x, y)]


house_fields = [("房屋编号", "C", 10), ("地址", "C", 40), ("层数", "N", 4), ("鉴定等级", "C", 8)]
house_rows = [["F-001", "海门区三厂街道工业路8号", "3", "D级"], ["F-002", "海门区三星镇", "2", "E级"]]
shp, shx = shp_file(5, [poly([square_pts(610690.0, 3530250.0, 10.0)]),
                        poly([square_pts(611000.0, 3531000.0, 5.0), square_pts(611001.0, 3531001.0, 1.0)])])
put("shapefile", "polygons_gk_gbk", PART.join([shp, dbf(house_fields, house_rows, "gbk", 0x4D), shx,
                                               PRJ_4549.encode()]))
shp, shx = shp_file(1, [point(121.17, 31.89), point(121.18, 31.9), point(0.0, 0.0)])
utf8_fields = [("id", "C", 10), ("地址", "C", 40), ("层数", "N", 4)]
put("shapefile", "points_utf8_cpg", PART.join([
    shp, dbf(utf8_fields, [["F-001", "海门区三厂街道工业路8号", "3"], ["F-002", "三星镇", "2"],
                           ["F-003", "零", "1"]], "utf-8"), shx, b"", b"UTF-8"]))
line_fields = [("管道编号", "C", 10), ("压力级制", "C", 10), ("设计压力", "N", 8)]
shp, shx = shp_file(3, [poly([[(121.1, 31.9), (121.12, 31.9)]]),
                        poly([[(121.13, 31.9), (121.14, 31.91)], [(121.15, 31.9), (121.16, 31.92)]])])
put("shapefile", "lines_noprj", PART.join([shp, dbf(line_fields, [["GP-1", "中压A", "0.4"],
                                                                   ["GP-2", "低压", "0.01"]], "gbk"), shx]))

# --- riskmap.toml --------------------------------------------------------------------
put("manifest", "full.toml", '''crs = "EPSG:4490"
encoding = "utf-8"

[files."台账/2024自建房.csv"]
layer = "自建房"
encoding = "gbk"
columns = { "编号" = "id", "地址" = "address", "经度" = "lon", "纬度" = "lat" }
header_row = 1

[files."gk.csv"]
layer = "houses"
crs = "EPSG:4549"
columns = { "x" = "lon", "y" = "lat" }

[files."old"]
ignore = true
''')
put("manifest", "typos.toml", '''crs = "EPSG:999999"
colour = "red"

[files."missing.csv"]
layer = "nowhere"

[files."gk.csv"]
layer = 7
header_row = -1
columns = { "x" = "nothing" }
''')
put("manifest", "empty.toml", "")

# --- rules ---------------------------------------------------------------------------
put("rules", "doc.toml", '''# a city that uses its own planning distances
[protection.grade_1]
high_sensitivity = 1200.0

[pipeline.clearance_m]
high_a = 35.0

[grid]
cell_size_m = 300.0
''')
put("rules", "hazard.toml", '''[hazard]
population_radius_m = 600

[[hazard.alpha]]
min_population = 0
alpha = 1.0

[[hazard.alpha]]
min_population = 100
alpha = 2.0

[enterprise]
employee_bands = [10, 100, 300]
''')
put("rules", "nan.toml", "[grid]\ncell_size_m = nan\n\n[hazard]\npopulation_radius_m = inf\n")
put("rules", "bad.toml", '''[enterprise]
employee_bands = [300, 100, 10]

[protection.hazchem_enterprise]
general_3 = -50
''')

# --- site-check requests -------------------------------------------------------------
site = {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [
    square(121.17, 31.89, 0.002)]}, "properties": {"use": "residential", "population": 300}}
put("site_check", "feature.json", json.dumps(site))
put("site_check", "collection.json", json.dumps({"type": "FeatureCollection", "features": [
    {"type": "Feature", "geometry": {"type": "MultiPolygon", "coordinates": [
        [square(121.2, 31.9, 0.001)], [square(121.21, 31.9, 0.001)]]},
     "properties": {"use": "学校", "households": 20, "name": "新校区"}}]}, ensure_ascii=False))
put("site_check", "polygon.json", json.dumps({"type": "Polygon", "coordinates": [
    square(121.1, 31.8, 0.01), square(121.102, 31.802, 0.001)]}))
put("site_check", "hole.json", json.dumps({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [
    square(121.15, 31.85, 0.01), square(121.152, 31.852, 0.002)]}, "properties": {"use": "居住"}},
    ensure_ascii=False))

# --- tiles ---------------------------------------------------------------------------


def drawn(kind, close, hole, pts):
    shape = (1 if close else 0) | (2 if hole else 0) | ((len(pts) - 1) << 2)
    return bytes([kind, shape]) + b"".join(struct.pack("<hh", x, y) for x, y in pts)


sq = [(0, 0), (100, 0), (100, 100), (0, 100)]
bow = [(0, 0), (100, 100), (100, 0), (0, 100)]
put("tiles", "city_z14", bytes([14, 4]) + drawn(0, True, True, sq) + drawn(2, False, False, [(-50, 0), (200, 30)])
    + drawn(3, True, False, [(300, 300), (400, 300), (400, 400), (300, 400)]) + drawn(6, False, False, [(20, 20)])
    + drawn(4, True, False, [(150, 150), (250, 150), (250, 250), (150, 250)]) + drawn(1, False, False, [(40, 60)]))
put("tiles", "bowtie_z18", bytes([18, 5]) + drawn(0, False, False, bow) + drawn(5, True, False, bow))
put("tiles", "area_z8", bytes([8, 2]) + drawn(5, True, True, [(0, 0), (30, 0), (30, 30), (0, 30)])
    + drawn(0, True, False, sq))
put("tiles", "antimeridian_z3", bytes([3, 0x42]) + drawn(0, True, False, [(-5000, 0), (9, 0), (9, 5000), (-5000, 5000)])
    + drawn(2, False, False, [(-3000, 0), (9, 100)]))
put("tiles", "north_z2", bytes([2, 0x81]) + drawn(5, True, False, [(0, 0), (3000, 0), (3000, 1000), (0, 1000)]))
print("seeds written to", SEEDS)
