-- POST /api/v1/leads as the sales rep: a new prospect each time, and every fifth request
-- one the seeded data already has (same phone, in another spelling, and same company), so
-- the duplicate check finds and returns it.
-- Usage: BENCH_TOKEN=<rep token> wrk -s create_lead.lua http://host:port -- SEEDED
-- SEEDED: how many leads the seed wrote (their phones are 138 0000 0001 ... ).

local here = string.match(debug.getinfo(1, "S").source, "^@(.*/)") or "./"
dofile(here .. "common.lua")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local seeded, counter

function init(args)
   seeded = assert(tonumber(args[1]), "number of seeded leads missing")
   counter = 0
   math.randomseed(os.time() * 1000 + thread_index * 7919)
end

function request()
   counter = counter + 1
   local phone, company
   if counter % 5 == 0 then
      local i = math.random(1, seeded)
      phone = string.format("+86 138-%04d-%04d", math.floor(i / 10000), i % 10000)
      company = "公司" .. (i % 90000) .. " 有限公司"
   else
      local n = math.random(0, 99999999)
      phone = string.format("139 %04d %04d", math.floor(n / 10000), n % 10000)
      company = "新客户" .. thread_index .. "-" .. counter .. "-" .. n
   end
   local body = string.format(
      '{"source": "web", "company": "%s", "contact_name": "王经理", "phone": "%s", '
      .. '"email": "Lead%d.%d.%d@Example.cn", "needs": "离心泵 20 台"}',
      company, phone, thread_index, counter, math.random(0, 999999))
   return wrk.format(nil, "/api/v1/leads", nil, body)
end
