-- wrk script: GET a fixed list of tile paths (one a line, in the file named by the
-- environment variable TILES) in a cycle, each thread starting at its own place in the
-- list, with `Accept-Encoding: gzip` as a browser sends it. At the end it prints one
-- line of JSON: requests, 2xx and other answers, socket errors, latency p50/p90/p99/max
-- (milliseconds) and the run's length. Run wrk with a long --timeout (30s) so that a
-- slow answer is measured rather than dropped as a timeout.
--
-- With the environment variable TILE_DELAY_MS set, each connection waits that long
-- before each request (wrk's `delay`): a paced load of about connections × 1000 /
-- TILE_DELAY_MS requests a second, as viewers ask, rather than as many as the server
-- can answer. Latency is then the time a request takes, not its place in a queue of
-- 64 connections that never pause.

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  wrk.headers["Accept-Encoding"] = "gzip"
  requests = {}
  for line in io.lines(os.getenv("TILES")) do
    if #line > 0 then
      requests[#requests + 1] = wrk.format("GET", line)
    end
  end
  if #requests == 0 then
    error("no paths in " .. tostring(os.getenv("TILES")))
  end
  next_one = (id * 7919) % #requests + 1
  ok = 0
  other = 0
  pause = tonumber(os.getenv("TILE_DELAY_MS") or "")
end

function delay()
  return pause or 0
end

function request()
  local r = requests[next_one]
  next_one = next_one % #requests + 1
  return r
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local ok_all, other_all = 0, 0
  for _, t in ipairs(threads) do
    ok_all = ok_all + t:get("ok")
    other_all = other_all + t:get("other")
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "ok_2xx": %d, "non_2xx": %d, "socket_errors": %d, "timeouts": %d, '
      .. '"duration_s": %.3f, "p50_ms": %.3f, "p90_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f, '
      .. '"mean_ms": %.3f}\n',
    summary.requests, ok_all, other_all, e.connect + e.read + e.write, e.timeout,
    summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(90) / 1e3,
    latency:percentile(99) / 1e3, latency.max / 1e3, latency.mean / 1e3))
end
