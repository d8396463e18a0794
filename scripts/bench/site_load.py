"""One run of scripts/bench/site-load.sh: tile latencies, idle or under site-check load.

Usage: site_load.py BASE_URL idle|load. Prints a JSON object of the results.
"""
import json, math, sys, threading, time, urllib.error, urllib.request

base, mode = sys.argv[1], sys.argv[2]
cat = json.load(urllib.request.urlopen(base + "/catalog"))
w, s, e, n = cat["bounds"]
lon, lat = (w + e) / 2, (s + n) / 2
layers = ",".join(l["id"] for l in cat["layers"])


def tile(z):
    k = 2 ** z
    x = int((lon + 180) / 360 * k)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * k)
    return x, y


urls = []
for z in range(12, 17):
    x0, y0 = tile(z)
    r = 2 if z < 14 else 4
    for dx in range(-r, r + 1):
        for dy in range(-r, r + 1):
            urls.append(f"{base}/tiles/{layers}/{z}/{x0 + dx}/{y0 + dy}.mvt")

# 9,990 distinct vertices on a circle of 0.01° around the middle, closed: 9,991 positions.
V = 9990
ring = [[lon + 0.01 * math.cos(2 * math.pi * i / V), lat + 0.01 * math.sin(2 * math.pi * i / V)]
        for i in range(V)]
ring.append(ring[0])
site = json.dumps({"type": "Feature", "properties": {"use": "school"},
                   "geometry": {"type": "Polygon", "coordinates": [ring]}}).encode()

stop = threading.Event()
site_status, site_secs = {}, []
lock = threading.Lock()


def poster():
    while not stop.is_set():
        req = urllib.request.Request(base + "/api/site-check", data=site,
                                     headers={"Content-Type": "application/json"})
        t0 = time.perf_counter()
        wait = 0
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                r.read()
                code = r.status
        except urllib.error.HTTPError as err:
            code = err.code
            wait = int(err.headers.get("Retry-After") or 0)
        with lock:
            site_status[code] = site_status.get(code, 0) + 1
            if code == 200:
                site_secs.append(time.perf_counter() - t0)
        if wait:
            stop.wait(wait)


threads = []
if mode == "load":
    threads = [threading.Thread(target=poster, daemon=True) for _ in range(16)]
    for t in threads:
        t.start()
    time.sleep(3)  # every client has a check running or queued

lat_ms = []
for u in urls:
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(u, timeout=120) as r:
            r.read()
    except urllib.error.HTTPError as err:
        if err.code >= 400:
            raise
    lat_ms.append((time.perf_counter() - t0) * 1000)
stop.set()
for t in threads:
    t.join()


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, math.ceil(p / 100 * len(v)) - 1)] if v else float("nan")


print(json.dumps({
    "tiles": len(lat_ms), "p50_ms": pct(lat_ms, 50), "p99_ms": pct(lat_ms, 99),
    "vertices": len(ring), "site_status": site_status,
    "site_p50_s": pct(site_secs, 50),
}))
