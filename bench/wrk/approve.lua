-- POST /api/v1/approvals/{id}/approve with body {}, once for each request id in a file.
-- Usage: BENCH_TOKEN=<approver token> wrk -s approve.lua http://host:port -- IDS_FILE THREADS
-- (THREADS must equal wrk's -t; see once.lua). A second approval of the same request by
-- the same person is a 409, so every id is sent exactly once across threads and
-- connections.

local here = string.match(debug.getinfo(1, "S").source, "^@(.*/)") or "./"
dofile(here .. "common.lua")
dofile(here .. "once.lua")

wrk.headers["Content-Type"] = "application/json"

function item_request(id)
   return wrk.format("POST", "/api/v1/approvals/" .. id .. "/approve", nil, "{}")
end
