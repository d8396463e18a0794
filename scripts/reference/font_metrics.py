"""Glyph metrics of a CJK font as fontTools reads them, for the label glyph test.

Usage: font_metrics.py FONT CHARS

Prints one JSON object: the face chosen (in a collection, the first whose family ends in
" SC", as the server picks it), unitsPerEm, the hhea ascender and descender, the code points
of 0-255 and 19968-20223 the face maps, and for each character of CHARS its advance and the
exact bounds of its outline (fontTools' BoundsPen), all in font units.
"""

import json
import sys

from fontTools.pens.boundsPen import BoundsPen
from fontTools.ttLib import TTCollection, TTFont


def family(font):
    name = font["name"]
    for nid in (16, 1):
        rec = name.getName(nid, 3, 1, 0x409) or name.getName(nid, 1, 0, 0)
        if rec is not None:
            return rec.toUnicode()
    return ""


def pick(path):
    if path.lower().endswith((".ttc", ".otc")):
        faces = TTCollection(path).fonts
        for i, f in enumerate(faces):
            if family(f).endswith(" SC"):
                return i, f
        return 0, faces[0]
    return 0, TTFont(path)


def main():
    path, chars = sys.argv[1], sys.argv[2]
    index, font = pick(path)
    cmap = font.getBestCmap()
    glyphs = font.getGlyphSet()
    out = {
        "index": index,
        "family": family(font),
        "units_per_em": font["head"].unitsPerEm,
        "ascender": font["hhea"].ascent,
        "descender": font["hhea"].descent,
        "mapped": {
            "0-255": sorted(c for c in cmap if c < 256),
            "19968-20223": sorted(c for c in cmap if 19968 <= c <= 20223),
        },
        "chars": {},
    }
    for ch in chars:
        name = cmap[ord(ch)]
        pen = BoundsPen(glyphs)
        glyphs[name].draw(pen)
        out["chars"][ch] = {
            "advance": font["hmtx"][name][0],
            "bounds": pen.bounds,
        }
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
