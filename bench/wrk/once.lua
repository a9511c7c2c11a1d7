-- Shared by the scripts that send one request per item of a list, each item exactly once
-- across all wrk threads and connections (approve.lua). Load it after common.lua and
-- define item_request(item), which returns the request for one item (wrk.format(...)).
--
-- Script arguments: ITEMS_FILE THREADS
--   ITEMS_FILE  one item a line (e.g. an approval request id)
--   THREADS     wrk's thread count (-t); thread k takes lines k, k+THREADS, k+2*THREADS, ...
--
-- A connection that asks for work when its thread has none left waits (delay()) instead of
-- sending. When all of a thread's items have been answered, the thread prints
--   BENCH_THREAD_DONE <k>
-- and stops. wrk still runs for its -d duration unless interrupted: run_wrk in
-- bench/_common.py sends it SIGINT once every thread is done. wrk ends its run on SIGINT and
-- reports as usual, so its elapsed time is the wall time of the whole list.
--
-- An item whose request fails at the socket (connect/read/write error, timeout) is never
-- answered, so its thread never finishes and wrk runs until -d.

local PARK_MS = 3600 * 1000  -- "never" within a run

local items = {}
local reserved = 0  -- items promised to connections by delay()
local taken = 0     -- items handed out by request()
local finished = false

-- Globals, so that done() can read each thread's copy with thread:get().
items_total = 0
items_answered = 0

function init(args)
   local path = assert(args[1], "items file missing")
   local threads = assert(tonumber(args[2]), "thread count missing")
   local position = 0
   for line in io.lines(path) do
      if line ~= "" then
         if position % threads == thread_index then
            table.insert(items, line)
         end
         position = position + 1
      end
   end
   items_total = #items
end

local function finish()
   if not finished then
      finished = true
      io.write("BENCH_THREAD_DONE " .. thread_index .. "\n")
      io.flush()
      wrk.thread:stop()
   end
end

-- wrk calls delay() before every request of a connection, and request() once after each
-- delay. Reserving the item here means request() always has one to hand out.
function delay()
   if reserved < #items then
      reserved = reserved + 1
      return 0
   end
   if items_answered == #items then
      finish()  -- only reached when this thread was given no items at all
   end
   return PARK_MS
end

function request()
   if taken < reserved then
      taken = taken + 1
      return item_request(items[taken])
   end
   -- At start wrk calls request() once to check the request's format, without sending
   -- it; that call must not use up an item.
   return item_request(items[1] or "0")
end

local count_response = response

function response(status, headers, body)
   count_response(status, headers, body)
   items_answered = items_answered + 1
   if items_answered == #items then
      finish()
   end
end

function extra_result(threads)
   local total, answered = 0, 0
   for _, thread in ipairs(threads) do
      total = total + thread:get("items_total")
      answered = answered + thread:get("items_answered")
   end
   return string.format('{"items": %d, "answered": %d}', total, answered)
end
