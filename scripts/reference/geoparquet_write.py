"""Writes GeoParquet files the way GIS departments make them: GeoPandas reads a layer
(through pyogrio's GDAL) and writes it with `GeoDataFrame.to_parquet` (pyarrow), the
reference writer of the GeoParquet specification's authors. The GeoParquet tests load
what this writes; nothing of RiskMap is used here. LAYER `-` is a file's only layer.

    python geoparquet_write.py SOURCE LAYER OUT.parquet [--to-crs EPSG:4549]
        [--compression snappy|zstd|gzip|lz4|none] [--row-group-size N]
        [--dates] [--no-crs] [--bbox] [--geoarrow | --native | --plain]
        [--project-after N]

--dates   text columns whose every value is a day (2024-03-05) are written as Parquet
          DATE columns, as a database export has them.
--no-crs  the `geo` metadata says `"crs": null` (an unknown CRS).
--bbox    adds GeoParquet 1.1's `bbox` covering column (a struct).
--geoarrow  the geometry in GeoArrow's native encoding (GeoParquet 1.1) instead of WKB.
--native  no GeoParquet `geo` metadata: the WKB column has Parquet's own GEOMETRY logical
          type with the CRS in it, as pyarrow writes a `geoarrow.wkb` column (the
          extension type that the `geoarrow-pyarrow` package registers).
--plain   no `geo` metadata and no GEOMETRY type: a plain Parquet file whose geometry is
          an untyped binary column.
--project-after N  rows after the first N get Gauss–Krüger coordinates (EPSG:4549) while
          the metadata keeps the layer's CRS: a file mixed up by hand.
"""
import argparse
import datetime
import json
import re

import geopandas
import pandas
import pyarrow as pa
import pyarrow.parquet as pq

DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("source")
    ap.add_argument("layer")
    ap.add_argument("out")
    ap.add_argument("--to-crs")
    ap.add_argument("--compression", default="snappy")
    ap.add_argument("--row-group-size", type=int)
    ap.add_argument("--dates", action="store_true")
    ap.add_argument("--no-crs", action="store_true")
    ap.add_argument("--bbox", action="store_true")
    ap.add_argument("--geoarrow", action="store_true")
    ap.add_argument("--native", action="store_true")
    ap.add_argument("--plain", action="store_true")
    ap.add_argument("--project-after", type=int)
    a = ap.parse_args()

    df = geopandas.read_file(a.source, layer=None if a.layer == "-" else a.layer)
    if a.to_crs:
        df = df.to_crs(a.to_crs)
    if a.project_after is not None:
        n = a.project_after
        tail = df.iloc[n:].to_crs("EPSG:4549").set_crs(df.crs, allow_override=True)
        df = pandas.concat([df.iloc[:n], tail])
    if a.dates:
        for c in df.columns:
            if c == df.geometry.name or not pandas.api.types.is_string_dtype(df[c]):
                continue
            vals = df[c].dropna()
            if len(vals) and all(isinstance(v, str) and DAY.match(v) for v in vals):
                df[c] = df[c].map(
                    lambda v: datetime.date.fromisoformat(v) if isinstance(v, str) else None
                )
    compression = None if a.compression == "none" else a.compression
    kw = {
        "compression": compression,
        "write_covering_bbox": a.bbox,
        "geometry_encoding": "geoarrow" if a.geoarrow else "WKB",
    }
    if a.row_group_size:
        kw["row_group_size"] = a.row_group_size
    if a.native or a.plain:
        if a.native:
            import geoarrow.pyarrow  # noqa: F401  registers geoarrow.wkb with pyarrow
        table = pa.table(df.to_arrow(geometry_encoding="WKB"))
        if a.plain:
            g = table.schema.get_field_index(df.geometry.name)
            table = table.set_column(g, df.geometry.name, table.column(g).cast(pa.binary()))
        pq.write_table(
            table, a.out, compression=compression, row_group_size=a.row_group_size
        )
        meta = pq.ParquetFile(a.out).metadata.metadata or {}
        assert b"geo" not in meta, "the file was to have no GeoParquet metadata"
    else:
        df.to_parquet(a.out, **kw)
    if a.no_crs:
        # Rewrite the metadata with "crs": null, as the specification has for an unknown CRS.
        t = pq.read_table(a.out)
        meta = dict(t.schema.metadata)
        geo = json.loads(meta[b"geo"])
        geo["columns"][geo["primary_column"]]["crs"] = None
        meta[b"geo"] = json.dumps(geo).encode()
        pq.write_table(
            t.replace_schema_metadata(meta),
            a.out,
            compression=compression,
            row_group_size=a.row_group_size,
        )
    print(json.dumps({"rows": len(df), "columns": [str(c) for c in df.columns]}))


if __name__ == "__main__":
    main()
