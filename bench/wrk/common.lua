-- Shared by the bench scripts (loaded with dofile from each of them).
--
-- * Adds `Authorization: Bearer $BENCH_TOKEN` to every request.
-- * Counts responses by HTTP status in every wrk thread, and keeps the first
--   non-2xx response (status and body) as a sample for diagnosis.
-- * At the end prints one machine-readable line that the bench scripts parse
--   (bench/_common.py, run_wrk):
--     BENCH_RESULT {"requests": ..., "duration_us": ..., "latency_us": {...}, ...}
--   A script may add its own figures under "extra" by defining extra_result(threads),
--   which returns a JSON object as a string (see once.lua).

local token = os.getenv("BENCH_TOKEN")
assert(token and token ~= "", "BENCH_TOKEN is not set")
wrk.headers["Authorization"] = "Bearer " .. token

-- Globals, so that done() can read each thread's copy with thread:get().
statuses = {}
non_2xx = 0
sample_error = nil
thread_index = 0

local threads = {}

function setup(thread)
   thread:set("thread_index", #threads)
   table.insert(threads, thread)
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
   if status < 200 or status > 299 then
      non_2xx = non_2xx + 1
      if sample_error == nil then
         sample_error = status .. " " .. string.sub(body or "", 1, 300)
      end
   end
end

local function json_string(value)
   local escaped = string.gsub(value, '[%c"\\]', function(ch)
      return string.format("\\u%04x", string.byte(ch))
   end)
   return '"' .. escaped .. '"'
end

function done(summary, latency, requests)
   local total_non_2xx, by_status, sample = 0, {}, nil
   for _, thread in ipairs(threads) do
      total_non_2xx = total_non_2xx + thread:get("non_2xx")
      for status, count in pairs(thread:get("statuses")) do
         by_status[status] = (by_status[status] or 0) + count
      end
      sample = sample or thread:get("sample_error")
   end

   local status_items = {}
   for status, count in pairs(by_status) do
      table.insert(status_items, string.format('"%d": %d', status, count))
   end
   table.sort(status_items)

   local e = summary.errors
   io.write(string.format(
      'BENCH_RESULT {"requests": %d, "duration_us": %d, '
      .. '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "max": %d}, '
      .. '"statuses": {%s}, "non_2xx": %d, '
      .. '"socket_errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, '
      .. '"sample_error": %s, "extra": %s}\n',
      summary.requests, summary.duration,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      table.concat(status_items, ", "), total_non_2xx,
      e.connect, e.read, e.write, e.timeout,
      sample and json_string(sample) or "null",
      extra_result and extra_result(threads) or "{}"))
end
