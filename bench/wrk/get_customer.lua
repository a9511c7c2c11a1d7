-- Load 2: GET /api/v1/customers/{id}, cycling over the ids FIRST..LAST.
-- Usage: BENCH_TOKEN=<rep token> wrk -s get_customer.lua http://host:port -- FIRST LAST
-- Each thread starts at a different point of the range, so threads do not move in step.

local here = string.match(debug.getinfo(1, "S").source, "^@(.*/)") or "./"
dofile(here .. "common.lua")

local first, count, position

function init(args)
   first = assert(tonumber(args[1]), "first id missing")
   local last = assert(tonumber(args[2]), "last id missing")
   count = last - first + 1
   assert(count > 0, "empty id range")
   position = thread_index * 7919  -- any per-thread offset will do
end

function request()
   local id = first + position % count
   position = position + 1
   return wrk.format("GET", "/api/v1/customers/" .. id)
end
