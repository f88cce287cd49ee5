-- wrk script: POST /v1/charge/create (Decoda Gen-1) for one patient. API_KEY, TENANT and
-- PATIENT come from the environment. done() prints the responses by status.

local headers = {
  ["Content-Type"] = "application/json",
  ["API-KEY"] = os.getenv("API_KEY") or "",
  ["TENANT"] = os.getenv("TENANT") or "",
}
local body = string.format('{"patientId":"%s","customAmount":2500,"totalOutstanding":2500}',
  os.getenv("PATIENT") or "")

local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
end

function init(args)
  statuses = {}
end

function request()
  return wrk.format("POST", "/v1/charge/create", headers, body)
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
