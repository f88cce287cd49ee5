-- wrk script for bench/claim_money.sh: money on claims through the Candid API.
--
-- Environment: TOKEN (a Candid bearer token), SEED (the file written by
-- bench/claim_money_seed.py: one claim per line, "PATIENT LINE LINE LINE"), MODE:
--   refund   POST /api/insurance-refunds/v1: 3 cents back from the payer, one cent from
--            each of the three lines of a claim drawn at random (every line was paid plenty)
--   payment  POST /api/patient-payments/v4: 1–60 dollars from the claim's patient, on one
--            of its lines drawn at random
-- done() prints the responses by status.

local mode = os.getenv("MODE") or "refund"
local seed = os.getenv("SEED")
local headers = {
  ["Content-Type"] = "application/json",
  ["Authorization"] = "Bearer " .. (os.getenv("TOKEN") or ""),
}

local function load_seed()
  local claims = {}
  for line in io.lines(seed) do
    local fields = {}
    for field in line:gmatch("%S+") do fields[#fields + 1] = field end
    if #fields == 4 then
      claims[#claims + 1] = {patient = fields[1], lines = {fields[2], fields[3], fields[4]}}
    end
  end
  assert(#claims > 0, "empty seed file " .. tostring(seed))
  return claims
end

local threads = {}
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("id", thread_count)
  threads[#threads + 1] = thread
end

function init(args)
  claims = load_seed()
  statuses = {}
  math.randomseed(id * 7919 + os.time())
end

local function allocation(line, cents)
  return string.format('{"amount_cents":%d,"target":{"type":"service_line_by_id","value":"%s"}}', cents, line)
end

function request()
  local claim = claims[math.random(#claims)]
  if mode == "payment" then
    local cents = math.random(1, 60) * 100
    local body = string.format('{"amount_cents":%d,"patient_external_id":"%s","allocations":[%s]}',
      cents, claim.patient, allocation(claim.lines[math.random(3)], cents))
    return wrk.format("POST", "/api/patient-payments/v4", headers, body)
  end
  local body = string.format(
    '{"payer_identifier":{"type":"payer_info","payer_id":"60054","payer_name":"Aetna"},' ..
    '"amount_cents":3,"refund_reason":"OVERCHARGED","allocations":[%s,%s,%s]}',
    allocation(claim.lines[1], 1), allocation(claim.lines[2], 1), allocation(claim.lines[3], 1))
  return wrk.format("POST", "/api/insurance-refunds/v1", headers, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses")
    for status, count in pairs(counts or {}) do totals[status] = (totals[status] or 0) + count end
  end
  local parts = {}
  for status, count in pairs(totals) do parts[#parts + 1] = status .. "=" .. count end
  table.sort(parts)
  io.write("responses by status: " .. table.concat(parts, " ") .. "\n")
end
