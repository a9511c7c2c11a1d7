-- POST /api/v1/orders/{id}/submit, once for each draft order id in a file.
-- Usage: BENCH_TOKEN=<rep token> wrk -s submit_order.lua http://host:port -- IDS_FILE THREADS
-- (THREADS must equal wrk's -t; see once.lua). A second submission of the same order is a
-- 409, so every id is sent exactly once across threads and connections.

local here = string.match(debug.getinfo(1, "S").source, "^@(.*/)") or "./"
dofile(here .. "common.lua")
dofile(here .. "once.lua")

function item_request(id)
   return wrk.format("POST", "/api/v1/orders/" .. id .. "/submit", nil, nil)
end
