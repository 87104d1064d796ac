-- Generic wrk script for the Satchel bench.
--
-- The plan (method, rotating paths, headers, body, exhaust flag) is a Lua data file written
-- by bench/loadgen.py; its path comes in the BENCH_PLAN environment variable.  Responses are
-- counted by status class so the bench reports 2xx throughput, not just "any answer".
-- Always run with one wrk thread (-t1): the path counter is per thread.

local plan = dofile(os.getenv("BENCH_PLAN"))
local n = #plan.paths
local i = 0
-- globals, not locals: done() reads them from each thread with thread:get()
ok = 0
bad = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function request()
  i = i + 1
  if plan.exhaust and i > n then
    -- the pool (e.g. records to delete) is used up: stop after the in-flight requests
    wrk.thread:stop()
    return wrk.format("GET", "/api/health", {}, nil)
  end
  local path = plan.paths[((i - 1) % n) + 1]
  return wrk.format(plan.method, path, plan.headers, plan.body)
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
  else
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local total_ok, total_bad = 0, 0
  for _, t in ipairs(threads) do
    total_ok = total_ok + (t:get("ok") or 0)
    total_bad = total_bad + (t:get("bad") or 0)
  end
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"ok":%d,"bad":%d,"socket_errors":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, total_ok, total_bad, errors, summary.duration,
    latency:percentile(50), latency:percentile(99)))
end
