"""Edits through the API at a target rate, as a bureau's editors make them.

Houses are taken from the city's houses.geojson (one feature per line, as `riskmap
generate` writes it): every STRIDE-th line, so that they lie all over the city. Each edit
is a `PATCH /api/layers/houses/features/{id}` with the editor token, in turn:

  move       the footprint moved to a new place within about 50 m of where it was
             surveyed (a corrected position);
  occupants  a new number of occupants (0–40), as a household survey reports it.

Edit i is due at start + i / RATE. WORKERS connections (kept alive, one asyncio task
each, so that a thousand editors cost no threads) take the edits in turn; a worker that
is behind sends its next edit at once, so the achieved rate is what the server sustains
when it cannot keep up. An edit is answered once it is served, so the rate needs
RATE × latency workers: 1,000 by default. Latency is from sending a request to its
whole answer.

Usage: edit_load.py BASE_URL TOKEN HOUSES.geojson [--rate 1000] [--seconds 60]
                    [--workers 1000] [--stride 50] [--limit 20000] [--out edits.json]
Prints one line of JSON (and writes it to --out): edits sent, answers by status, the
achieved rate (2xx answers received within the SECONDS, divided by SECONDS), latency
p50/p99/max, and how far behind its schedule an edit was sent at worst.
"""

import argparse
import asyncio
import json
import random
import sys
import time
import urllib.parse


def houses(path, stride, limit):
    if limit <= 0:
        return []
    out = []
    with open(path, encoding="utf-8") as f:
        n = 0
        for line in f:
            line = line.strip().rstrip(",")
            if not line.startswith('{"type":"Feature"'):
                continue
            n += 1
            if n % stride:
                continue
            feat = json.loads(line)
            out.append((feat["id"], feat["geometry"]))
            if len(out) >= limit:
                break
    if not out:
        sys.exit(f"no houses in {path}")
    return out


def moved(geom, dx, dy):
    def shift(c):
        if isinstance(c[0], (int, float)):
            return [round(c[0] + dx, 7), round(c[1] + dy, 7)]
        return [shift(x) for x in c]

    return {"type": geom["type"], "coordinates": shift(geom["coordinates"])}


def emit(result, path):
    """The result as one line of JSON, printed and written to PATH if given."""
    line = json.dumps(result)
    print(line)
    if path:
        with open(path, "w") as f:
            f.write(line + "\n")


def percentile(sorted_xs, p):
    if not sorted_xs:
        return None
    k = min(len(sorted_xs) - 1, max(0, int(round(p / 100.0 * len(sorted_xs) + 0.5)) - 1))
    return sorted_xs[k]


async def read_response(reader):
    """Status of one HTTP/1.1 response, its body read (Content-Length or chunked)."""
    line = await reader.readline()
    if not line:
        raise ConnectionError("connection closed")
    status = int(line.split()[1])
    length, chunked = 0, False
    while True:
        h = await reader.readline()
        if h in (b"\r\n", b"\n", b""):
            break
        k, _, v = h.decode("latin-1").partition(":")
        k = k.strip().lower()
        if k == "content-length":
            length = int(v.strip())
        elif k == "transfer-encoding" and "chunked" in v.lower():
            chunked = True
    if chunked:
        while True:
            n = int((await reader.readline()).strip().split(b";")[0], 16)
            await reader.readexactly(n + 2)
            if n == 0:
                break
    elif length:
        await reader.readexactly(length)
    return status


async def send_all(host, port, a, plan, total):
    """The edits of the plan, each sent when due by one of WORKERS connections (kept
    alive; a worker that is behind sends its next edit at once). Gives the results and,
    last, (start, end)."""
    results = []  # (latency_s, status, seconds behind schedule, finished at)
    nxt = [0]
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.5
    end = start + a.seconds

    async def worker():
        conn = None
        while True:
            i = nxt[0]
            nxt[0] += 1
            if i >= total:
                break
            due = start + i / a.rate
            now = loop.time()
            if now < due:
                await asyncio.sleep(due - now)
            elif now >= end:
                break
            hid, body = plan[i]
            path = f"/api/layers/houses/features/{urllib.parse.quote(hid)}"
            req = (
                f"PATCH {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                f"Authorization: Bearer {a.token}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n"
            ).encode() + body
            t0 = loop.time()
            try:
                if conn is None:
                    conn = await asyncio.open_connection(host, port)
                conn[1].write(req)
                await conn[1].drain()
                status = await asyncio.wait_for(read_response(conn[0]), 120)
            except (OSError, ConnectionError, ValueError, IndexError,
                    asyncio.IncompleteReadError, asyncio.TimeoutError) as e:
                status = f"error: {type(e).__name__}"
                if conn is not None:
                    conn[1].close()
                conn = None
            t1 = loop.time()
            results.append((t1 - t0, status, t0 - due, t1))
        if conn is not None:
            conn[1].close()

    await asyncio.gather(*(worker() for _ in range(a.workers)))
    results.append((start, end))
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("base")
    ap.add_argument("token")
    ap.add_argument("houses")
    ap.add_argument("--rate", type=float, default=1000.0)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--workers", type=int, default=1000)
    ap.add_argument("--stride", type=int, default=50)
    ap.add_argument("--limit", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=20221122)
    ap.add_argument("--out")
    a = ap.parse_args()

    pool = houses(a.houses, a.stride, a.limit)
    rng = random.Random(a.seed)
    total = int(a.rate * a.seconds)
    # The edits, decided before the clock starts: (house, body).
    plan = []
    for i in range(total):
        hid, geom = pool[rng.randrange(len(pool))]
        if i % 2 == 0:
            body = {
                "type": "Feature",
                "geometry": moved(geom, rng.uniform(-5e-4, 5e-4), rng.uniform(-4e-4, 4e-4)),
                "properties": {},
            }
        else:
            body = {"type": "Feature", "properties": {"occupants": rng.randint(0, 40)}}
        plan.append((hid, json.dumps(body).encode()))

    u = urllib.parse.urlsplit(a.base)
    results = asyncio.run(send_all(u.hostname, u.port, a, plan, total))
    finished = time.monotonic()
    start, end = results.pop()

    by_status = {}
    for _, s, _, _ in results:
        by_status[str(s)] = by_status.get(str(s), 0) + 1
    good = [r for r in results if isinstance(r[1], int) and 200 <= r[1] < 300]
    in_window = sum(1 for r in good if r[3] <= end)
    lats = sorted(r[0] for r in results)
    out = {
        "target_rate": a.rate,
        "seconds": a.seconds,
        "workers": a.workers,
        "houses": len(pool),
        "sent": len(results),
        "status": by_status,
        "non_2xx": len(results) - len(good),
        "achieved_rate_2xx": in_window / a.seconds,
        "wall_s": finished - start,
        "p50_ms": (percentile(lats, 50) or 0) * 1e3,
        "p99_ms": (percentile(lats, 99) or 0) * 1e3,
        "max_ms": (lats[-1] if lats else 0) * 1e3,
        "edits_due": total,
        "max_behind_schedule_s": max((r[2] for r in results), default=0.0),
    }
    emit(out, a.out)


if __name__ == "__main__":
    main()
