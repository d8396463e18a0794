"""How long edits through the API wait while the server follows another program's save of
its GeoPackage (QGIS, here GDAL's ogrinfo), and how long the save takes to reach the map.

A running `riskmap serve STORE.gpkg --config CONF` with an editor token is asked, on one
connection, for a PATCH of house HX every 50 ms; after 3 s `ogrinfo -sql UPDATE` sets the
occupants of house HY in the file, and the feature API is polled until the map has it.
Prints the edits' latency before the save, from the save until it was seen (+0.5 s), and
after.

    python3 scripts/bench/save_while_editing.py PORT TOKEN STORE.gpkg HX HY
"""
import http.client, json, subprocess, sys, threading, time
base_port, tok, gpkg, hx, hy = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
def conn(): return http.client.HTTPConnection("127.0.0.1", base_port, timeout=120)
lat = []  # (t_start, ms)
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
th = threading.Thread(target=editor); th.start()
time.sleep(3)
tq = time.time()
subprocess.run(["ogrinfo", "-q", gpkg, "-sql", f"UPDATE houses SET occupants = 4321 WHERE id = '{hy}'"], check=True, capture_output=True)
saved = time.time()
c = conn(); seen = None
while time.time() - saved < 60:
    c.request("GET", f"/api/layers/houses/features/{hy}"); r = c.getresponse(); b = json.loads(r.read())
    if b.get("feature", b).get("properties", {}).get("occupants") == 4321:
        seen = time.time(); break
    time.sleep(0.02)
time.sleep(4)
stop = True; th.join()
print(f"GDAL's save took {(saved - tq)*1000:.0f} ms; seen on the map {((seen or 0) - saved)*1000:.0f} ms after it")
before = [m for (s, m, st) in lat if s < tq - t0]
during = [(s, m, st) for (s, m, st) in lat if tq - t0 <= s <= (seen or saved) - t0 + 0.5]
after = [m for (s, m, st) in lat if s > (seen or saved) - t0 + 0.5]
def q(v, p): v = sorted(v); return v[min(len(v) - 1, int(p * len(v)))] if v else float('nan')
def mx(v): return max(v) if v else float('nan')
print(f"API edits before: n={len(before)} p50 {q(before,.5):.1f} ms max {mx(before):.1f} ms")
print(f"API edits from the save until seen (+0.5 s): n={len(during)} max {mx([m for _, m, _ in during]):.0f} ms; statuses {sorted(set(st for *_, st in during))}")
print(f"API edits after: n={len(after)} p50 {q(after,.5):.1f} ms max {mx(after):.1f} ms")
