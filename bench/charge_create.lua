-- wrk script: POST /v1/charge/create (Decoda Gen-1). API_KEY and TENANT come from the
-- environment; PATIENT is one patient id, or a comma-separated list of ids, one picked at
-- random per request. done() prints the responses by status.

local headers = {
  ["Content-Type"] = "application/json",
  ["API-KEY"] = os.getenv("API_KEY") or "",
  ["TENANT"] = os.getenv("TENANT") or "",
}
local bodies = {}
for id in string.gmatch(os.getenv("PATIENT") or "", "[^,]+") do
  bodies[#bodies + 1] = string.format(
    '{"patientId":"%s","customAmount":2500,"totalOutstanding":2500}', id)
end

local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
end

function init(args)
  statuses = {}
  math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0))
end

function request()
  return wrk.format("POST", "/v1/charge/create", headers, bodies[math.random(#bodies)])
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(total) do parts[#parts + 1] = status .. "=" .. n end
  table.sort(parts)
  io.write("responses by status: ", table.concat(parts, " "), "\n")
end
