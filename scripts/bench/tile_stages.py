"""Per-stage shares of a tile profile: reads `perf script -F comm,tid,ip,sym` (DWARF
call graphs) on stdin and gives each sample to the innermost pipeline stage on its stack,
so an allocation or a `sin` counts for the stage that asked for it. Stacks that reach no
stage count as "other" (thread hand-offs, the kernel, the idle half of a join)."""

import re
import sys

# Innermost match wins; the order only matters for frames that match two patterns.
STAGES = [
    ("compress (gzip)", r"libdeflate|deflate_|zlib_rs|tiles::gzip"),
    ("encode (protobuf)", r"tiles::pbf::|builder::encode|into_tile_bytes|TileBuilder::into_bytes"),
    ("repair (integer overlay)", r"ring::overlay_repair|i_overlay|ring::split"),
    ("validity check (fast path)", r"fast_path_ok|ring::is_simple|ring::ibox"),
    ("orient + area", r"ring::area2"),
    ("snap", r"ring::snap"),
    ("simplify", r"tiles::simplify::"),
    ("clip", r"tiles::clip::"),
    ("project", r"geometry::project|mercator::|__sin|__ieee754_log|\blog@|\bsin\b"),
    ("geometry, rest", r"tiles::geometry::|builder::Work::process"),
    ("ids and keys check", r"check_ids_and_keys"),
    ("select (R-tree, features, budget)", r"tileset::features|rstar::|SpatialIndex|cluster_features|add_with_budget|Sorted"),
    ("tile set, rest", r"TileSet::render|TileBuilder::add"),
]
PATS = [(name, re.compile(p)) for name, p in STAGES]


def short(sym):
    """A symbol without its generic arguments and address offset."""
    sym = re.sub(r"\+0x[0-9a-f]+$", "", sym)
    sym = re.sub(r"<[^<>]*>", "", re.sub(r"<[^<>]*>", "", sym))
    return sym.split("::")[-1] if "::" in sym else sym


def stage_of(frames):
    for sym in frames:  # innermost first
        for name, pat in PATS:
            if pat.search(sym):
                return name
    return "other"


def main():
    leaves = {}
    counts, total = {}, 0
    frames, in_sample = [], False
    for line in sys.stdin:
        if not line.strip():
            if in_sample:
                s = stage_of(frames)
                counts[s] = counts.get(s, 0) + 1
                total += 1
                leaf = short(frames[0]) if frames else "?"
                d = leaves.setdefault(s, {})
                d[leaf] = d.get(leaf, 0) + 1
            frames, in_sample = [], False
            continue
        if not line.startswith(("\t", " ")):
            in_sample = True
            continue
        parts = line.strip().split(None, 1)
        frames.append(parts[1] if len(parts) > 1 else "")
    if in_sample:
        s = stage_of(frames)
        counts[s] = counts.get(s, 0) + 1
        total += 1
    print(f"\n| stage | samples | share |\n|---|---:|---:|")
    order = [n for n, _ in STAGES] + ["other"]
    for name in order:
        c = counts.get(name, 0)
        if c:
            print(f"| {name} | {c} | {100 * c / total:.1f} % |")
    print(f"| all | {total} | 100 % |")
    print("\nWhere each stage's samples were (the function the sample was in, top 3):\n")
    for name in order:
        d = leaves.get(name)
        if d:
            top = sorted(d.items(), key=lambda kv: -kv[1])[:3]
            print(f"- {name}: " + ", ".join(f"{k} {100 * v / total:.1f} %" for k, v in top))


if __name__ == "__main__":
    main()
