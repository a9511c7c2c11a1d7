-- Load 1: POST /api/v1/customers as the sales rep, the same small customer each time.
-- Usage: BENCH_TOKEN=<rep token> wrk -s create_customer.lua http://host:port

local here = string.match(debug.getinfo(1, "S").source, "^@(.*/)") or "./"
dofile(here .. "common.lua")

wrk.method = "POST"
wrk.path = "/api/v1/customers"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"name": "Bench customer", '
   .. '"contacts": [{"name": "Li", "phone": "+86 21 5555 0000"}], '
   .. '"address": "Shanghai"}'
