"""Reads a PMTiles archive with the `pmtiles` package of the format's authors (PyPI) and
prints, as JSON, its header, its metadata and every tile it addresses:
[z, x, y, length, SHA-256 of the stored bytes]. The archive tests compare this with what
`riskmap tiles` meant to write; nothing of RiskMap is used here.

    python pmtiles_dump.py map.pmtiles
"""
import hashlib
import json
import sys

from pmtiles.reader import MmapSource, Reader, all_tiles


def main(path):
    with open(path, "rb") as f:
        source = MmapSource(f)
        reader = Reader(source)
        header = reader.header()
        tiles = []
        for (z, x, y), data in all_tiles(source):
            tiles.append([z, x, y, len(data), hashlib.sha256(data).hexdigest()])
        out = {
            "header": {k: (v.name if hasattr(v, "name") else v) for k, v in header.items()},
            "metadata": reader.metadata(),
            "tiles": tiles,
        }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
