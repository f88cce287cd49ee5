-- wrk script for bench/patient_billing.sh: patient-billing writes through the Decoda API.
--
-- Environment: API_KEY and TENANT (the Decoda credentials), SEED (the file written by
-- bench/patient_billing_seed.py: the line "items ID:PRICE …", then one patient id per
-- line), MODE:
--   charge  POST /v1/charge/create: two lines of catalogue items (quantities 1–2), owed in
--           full, for a patient drawn at random
--   settle  POST /billing/payment-terminal/charge/create-patient-credit-settled?amount=N:
--           one new charge (no id: created inline) of one priced line, paid in full from
--           the credit of a patient drawn at random (every seeded patient holds plenty)
-- done() prints the responses by status.

local mode = os.getenv("MODE") or "charge"
local seed = os.getenv("SEED")
local headers = {
  ["Content-Type"] = "application/json",
  ["API-KEY"] = os.getenv("API_KEY") or "",
  ["TENANT"] = os.getenv("TENANT") or "",
}

local function load_seed()
  local items, patients = {}, {}
  for line in io.lines(seed) do
    if line:sub(1, 6) == "items " then
      for id, price in line:gmatch("([%w%-]+):(%d+)") do
        items[#items + 1] = {id = id, price = tonumber(price)}
      end
    elseif #line > 0 then
      patients[#patients + 1] = line
    end
  end
  assert(#items >= 2 and #patients > 0, "empty seed file " .. tostring(seed))
  return items, patients
end

local threads = {}
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("id", thread_count)
  threads[#threads + 1] = thread
end

function init(args)
  items, patients = load_seed()
  statuses = {}
  math.randomseed(id * 7919 + os.time())
end

local function charge_body()
  local patient = patients[math.random(#patients)]
  local first = math.random(#items)
  local second = first % #items + 1
  local q1, q2 = math.random(1, 2), math.random(1, 2)
  local total = items[first].price * q1 + items[second].price * q2
  return string.format(
    '{"patientId":"%s","totalOutstanding":%d,"description":"Visit",' ..
    '"items":[{"quantity":%d,"itemId":"%s"},{"quantity":%d,"itemId":"%s"}]}',
    patient, total, q1, items[first].id, q2, items[second].id)
end

local function settle_request()
  local patient = patients[math.random(#patients)]
  local amount = math.random(10, 60) * 100
  local body = string.format(
    '[{"patientId":"%s","totalOutstanding":%d,"description":"Copay",' ..
    '"items":[{"quantity":1,"price":%d,"name":"Copay"}]}]',
    patient, amount, amount)
  return wrk.format("POST",
    "/billing/payment-terminal/charge/create-patient-credit-settled?amount=" .. amount,
    headers, body)
end

function request()
  if mode == "settle" then
    return settle_request()
  end
  return wrk.format("POST", "/v1/charge/create", headers, charge_body())
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
