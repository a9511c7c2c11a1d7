-- POST /api/v1/orders with the same call-off body, once per line of an items file (the
-- lines only count the requests). The body comes from $BENCH_ORDER_BODY.
-- Usage: BENCH_TOKEN=<rep token> BENCH_ORDER_BODY='{...}' wrk -s create_order.lua
--        http://host:port -- ITEMS_FILE THREADS   (THREADS must equal wrk's -t; see once.lua)

local here = string.match(debug.getinfo(1, "S").source, "^@(.*/)") or "./"
dofile(here .. "common.lua")
dofile(here .. "once.lua")

local body = os.getenv("BENCH_ORDER_BODY")
assert(body and body ~= "", "BENCH_ORDER_BODY is not set")
wrk.headers["Content-Type"] = "application/json"

function item_request(_)
   return wrk.format("POST", "/api/v1/orders", nil, body)
end
