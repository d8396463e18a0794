"""How long edits through the API wait while the server follows another program's save of
its GeoPackage (QGIS, here GDAL's ogrinfo), and how long the save takes to reach the map.

A running `riskmap serve STORE.gpkg --config CONF` with an editor token is asked, on one
connection, for a PATCH of house HX every 50 ms. Then, 3 s apart, two saves by
`ogrinfo -sql UPDATE`, each setting the occupants of house HY, and the feature API is
polled until the map has it: the first changes that row alone and is read by it (the
store's triggers mark the rows a save changes); the second rewrites 200,001 rows (HY's
among them, the rest as they were), past what the server reads by id, so it reads the
whole file, as it does for every save without the marks. Prints, for each save, the
edits' latency in the 2 s before it and from the save until it was seen (+0.5 s), and the
server's readings counted by /metrics.

    python3 scripts/bench/save_while_editing.py PORT TOKEN STORE.gpkg HX HY
"""
import http.client, json, subprocess, sys, threading, time
base_port, tok, gpkg, hx, hy = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
def conn(): return http.client.HTTPConnection("127.0.0.1", base_port, timeout=120)
lat = []  # (t_start, ms, status)
stop = False
t0 = time.time()
def editor():
    c = conn(); i = 0
    while not stop:
        i += 1
        body = json.dumps({"type": "Feature", "properties": {"floors": 2 + i % 5}})
        s = time.time()
        c.request("PATCH", f"/api/layers/houses/features/{hx}", body=body,
                  headers={"Authorization": f"Bearer {tok}", "Content-Type": "application/geo+json"})
        r = c.getresponse(); r.read()
        lat.append((s - t0, (time.time() - s) * 1000, r.status))
        time.sleep(0.05)
def metrics():
    c = conn(); c.request("GET", "/metrics"); text = c.getresponse().read().decode()
    out = {}
    for name in ("riskmap_source_readings_total", "riskmap_source_row_readings_total"):
        out[name] = next((float(l.split()[1]) for l in text.splitlines() if l.startswith(name + " ")), float("nan"))
    return out
def q(v, p): v = sorted(v); return v[min(len(v) - 1, int(p * len(v)))] if v else float('nan')
def mx(v): return max(v) if v else float('nan')
def save(label, value, where):
    m0 = metrics()
    time.sleep(1)
    tq = time.time()
    # One row through the id's index; or that row and `where`'s, rewritten as they were.
    sql = (f"UPDATE houses SET occupants = {value} WHERE id = '{hy}'" if where is None else
           f"UPDATE houses SET occupants = CASE WHEN id = '{hy}' THEN {value} ELSE occupants END "
           f"WHERE id = '{hy}' OR {where}")
    subprocess.run(["ogrinfo", "-q", gpkg, "-sql", sql], check=True, capture_output=True)
    saved = time.time()
    c = conn(); seen = None
    while time.time() - saved < 60:
        c.request("GET", f"/api/layers/houses/features/{hy}"); r = c.getresponse(); b = json.loads(r.read())
        if b.get("feature", b).get("properties", {}).get("occupants") == value:
            seen = time.time(); break
        time.sleep(0.02)
    time.sleep(2)
    m1 = metrics()
    before = [m for (s, m, st) in lat if tq - t0 - 2 <= s < tq - t0]
    during = [(s, m, st) for (s, m, st) in lat if tq - t0 <= s <= (seen or saved) - t0 + 0.5]
    print(f"{label}: GDAL's save took {(saved - tq)*1000:.0f} ms; seen on the map {((seen or 0) - saved)*1000:.0f} ms after it; "
          f"readings whole +{m1['riskmap_source_readings_total'] - m0['riskmap_source_readings_total']:.0f}, "
          f"by rows +{m1['riskmap_source_row_readings_total'] - m0['riskmap_source_row_readings_total']:.0f}")
    print(f"  API edits in the 2 s before: n={len(before)} p50 {q(before,.5):.1f} ms max {mx(before):.1f} ms")
    print(f"  API edits from the save until seen (+0.5 s): n={len(during)} max {mx([m for _, m, _ in during]):.1f} ms; "
          f"statuses {sorted(set(st for *_, st in during))}")
th = threading.Thread(target=editor); th.start()
time.sleep(3)
save("one row, read by its rows", 4321, None)
save("200,001 rows, read whole", 4322, "fid <= 200000")
time.sleep(1)
stop = True; th.join()
after = [m for (s, m, st) in lat if s > lat[-1][0] - 2]
print(f"API edits in the last 2 s: n={len(after)} p50 {q(after,.5):.1f} ms max {mx(after):.1f} ms")
