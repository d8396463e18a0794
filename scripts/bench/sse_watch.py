"""Follows a server's /api/changes/stream and writes each event as one JSON line:
{"t": Unix time received (s), "event": name, "data": {...}}. Runs until killed, or
until --until-features N: an `edit` event of at least N features has been seen.

Usage: sse_watch.py BASE_URL OUT.jsonl [--until-features N] [--timeout S]
Also importable: `follow(base, on_event)` calls on_event(t, name, data) per event.
"""

import argparse
import http.client
import json
import sys
import time
import urllib.parse


def follow(base, on_event, timeout=None):
    """Reads events until on_event returns True or the stream ends."""
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    conn.request("GET", "/api/changes/stream", headers={"Accept": "text/event-stream"})
    r = conn.getresponse()
    if r.status != 200:
        raise RuntimeError(f"/api/changes/stream answered {r.status}")
    name, data = "message", []
    while True:
        line = r.fp.readline()
        if not line:
            return
        line = line.decode("utf-8").rstrip("\r\n")
        if line == "":
            if data:
                try:
                    payload = json.loads("\n".join(data))
                except ValueError:
                    payload = {"raw": "\n".join(data)}
                if on_event(time.time(), name, payload):
                    conn.close()
                    return
            name, data = "message", []
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("base")
    ap.add_argument("out")
    ap.add_argument("--until-features", type=int)
    ap.add_argument("--timeout", type=float)
    a = ap.parse_args()
    with open(a.out, "a", encoding="utf-8") as f:

        def on_event(t, name, data):
            f.write(json.dumps({"t": t, "event": name, "data": data}) + "\n")
            f.flush()
            return (
                a.until_features is not None
                and name == "edit"
                and data.get("features", 0) >= a.until_features
            )

        try:
            follow(a.base, on_event, a.timeout)
        except (OSError, RuntimeError) as e:
            print(f"sse_watch: {e}", file=sys.stderr)
            sys.exit(1)


if __name__ == "__main__":
    main()
