-- wrk script: report MEASURED latency percentiles, undoing stock wrk's coordinated-omission correction.
--
-- Stock wrk 4.x (this is not wrk2: there is no -R) calls stats_correct(latency, interval) after the
-- run, with interval = duration / (requests / connections): for every recorded latency n >= 2*interval
-- it adds synthetic samples at n-interval, n-2*interval, ... (> interval). Both the --latency table
-- and the histogram handed to done() include them. That step is deterministic, so done() inverts it
-- exactly (raw[m] = corrected[m] - sum_{k>=1} raw[m + k*interval] for m > interval) and reports
-- percentiles of the latencies wrk actually measured, one per completed request (socket write of the
-- request to the last byte of the response, microsecond buckets). Self-check: the raw histogram's
-- total must equal the number of completed requests ("raw_count" vs "requests").
--
-- Env: WRK_METHOD, WRK_BODY, WRK_HEADERS ("Name: value|Name: value"), WRK_CONNECTIONS, WRK_OUT (json file).

local method = os.getenv("WRK_METHOD")
if method and method ~= "" then wrk.method = method end
local body = os.getenv("WRK_BODY")
if body and body ~= "" then wrk.body = body end
local hdrs = os.getenv("WRK_HEADERS") or ""
for pair in string.gmatch(hdrs, "[^|]+") do
  local k, v = string.match(pair, "^%s*([^:]+):%s*(.*)$")
  if k then wrk.headers[k] = v end
end

function done(summary, latency, requests)
  local conns = tonumber(os.getenv("WRK_CONNECTIONS") or "1")
  local complete = summary.requests
  local interval = 0
  local per_conn = math.floor(complete / conns)
  if per_conn > 0 then interval = math.floor(summary.duration / per_conn) end
  local lo, hi = latency.min, latency.max
  local corrected, raw, suffix = {}, {}, {}
  local corrected_total = 0
  for n = lo, hi do corrected[n] = 0 end
  -- latency(i) returns the i-th non-empty bucket: its value (microseconds) and its count.
  for i = 1, #latency do
    local v, c = latency(i)
    corrected[v] = c
    corrected_total = corrected_total + c
  end
  local raw_total = 0
  for m = hi, lo, -1 do
    local r = corrected[m]
    if interval > 0 and m > interval then
      r = r - (suffix[m + interval] or 0)
    end
    raw[m] = r
    suffix[m] = r + ((interval > 0 and suffix[m + interval]) or 0)
    raw_total = raw_total + r
  end
  local function pct(hist, total, p)
    local want = math.ceil(total * p / 100.0)
    if want < 1 then want = 1 end
    local acc = 0
    for n = lo, hi do
      acc = acc + hist[n]
      if acc >= want then return n end
    end
    return hi
  end
  local sum = 0
  for n = lo, hi do sum = sum + raw[n] * n end
  local out = string.format(
    '{"requests": %d, "duration_us": %d, "connections": %d, "co_interval_us": %d, ' ..
    '"raw_count": %d, "corrected_count": %d, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "p999_us": %d, "max_us": %d, "mean_us": %.1f, ' ..
    '"wrk_corrected_p50_us": %d, "wrk_corrected_p99_us": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}',
    complete, summary.duration, conns, interval, raw_total, corrected_total,
    pct(raw, raw_total, 50), pct(raw, raw_total, 90), pct(raw, raw_total, 99), pct(raw, raw_total, 99.9),
    hi, raw_total > 0 and sum / raw_total or 0,
    pct(corrected, corrected_total, 50), pct(corrected, corrected_total, 99),
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status,
    summary.errors.timeout)
  local path = os.getenv("WRK_OUT")
  if path and path ~= "" then
    local f = io.open(path, "w"); f:write(out); f:close()
  else
    io.write(out .. "\n")
  end
end
