"""Checks that PostGIS's two joins (analyses-vs-postgis.sh) compute what RiskMap computes:
every hazard source's house occupants within 500 m (RiskMap's grading reason says how many
of the exposed people are in houses) and every (pipe, house) pair inside a pipe's clearance
(RiskMap's pipeline conflicts with houses). An occupant count may differ by the
occupants of houses within a centimetre of 500 m (pg_alpha_edge.txt), where two geodesic
computations of a footprint's distance can fall on either side of the line; any other
difference fails. Standard library only.

    python analyses_vs_postgis_check.py ANALYSIS_DIR pg_alpha.txt pg_pipes.txt pg_alpha_edge.txt
"""
import json
import re
import sys


def features(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)["features"]


def pairs(path):
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            key, n = line.rstrip("\n").split("|")
            out[key] = int(n or 0)
    return out


def main(analysis, pg_alpha, pg_pipes, pg_edge):
    ours_alpha = {}
    for f in features(f"{analysis}/hazard_grades.geojson"):
        text = f["properties"]["reasons"][0]["text"]
        m = re.search(r"(\d+) in houses\)", text)
        if m:
            ours_alpha[f["id"]] = int(m.group(1))
    theirs_alpha = pairs(pg_alpha)
    edge = pairs(pg_edge)
    both = sorted(set(ours_alpha) & set(theirs_alpha))
    differ = [(s, ours_alpha[s], theirs_alpha[s]) for s in both if ours_alpha[s] != theirs_alpha[s]]
    at_edge = [d for d in differ if abs(d[1] - d[2]) <= edge.get(d[0], 0)]
    print(
        f"alpha: {len(ours_alpha)} hazard sources graded by RiskMap, {len(theirs_alpha)} in "
        f"PostGIS, {len(both)} in both, {len(differ)} with other occupant counts "
        f"({len(at_edge)} of them within the occupants of houses 500 m ± 1 cm away); "
        f"{sum(ours_alpha[s] for s in both)} occupants in all"
    )
    for s, a, b in differ[:10]:
        print(f"  {s}: RiskMap {a}, PostGIS {b}; within 1 cm of 500 m: {edge.get(s, 0)}")

    ours_pipes = {
        (f["properties"]["pipeline_id"], f["properties"]["feature_id"])
        for f in features(f"{analysis}/pipeline_conflicts.geojson")
        if f["properties"]["layer"] == "houses"
    }
    with open(pg_pipes, encoding="utf-8") as f:
        theirs_pipes = {tuple(line.rstrip("\n").split("|")) for line in f}
    only_ours = sorted(ours_pipes - theirs_pipes)
    only_theirs = sorted(theirs_pipes - ours_pipes)
    print(
        f"pipes: {len(ours_pipes)} (pipe, house) pairs in RiskMap, {len(theirs_pipes)} in "
        f"PostGIS; {len(only_ours)} only in RiskMap, {len(only_theirs)} only in PostGIS"
    )
    for p in only_ours[:10]:
        print(f"  only RiskMap: {p}")
    for p in only_theirs[:10]:
        print(f"  only PostGIS: {p}")
    ok = (len(at_edge) == len(differ) and not only_ours and not only_theirs
          and len(both) == len(ours_alpha))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main(*sys.argv[1:5])
