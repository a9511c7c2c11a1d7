-- GET the URL given to wrk (path and query included), with the bearer token.
-- Usage: BENCH_TOKEN=<token> wrk -s get.lua 'http://host:port/api/v1/reports/funnel?from=…'

local here = string.match(debug.getinfo(1, "S").source, "^@(.*/)") or "./"
dofile(here .. "common.lua")
