-- wrk script: POST /api/charge_captures/v1 with bodies like an EHR's charges.
-- TOKEN (bearer) comes from the environment; PREFIX (default "w") starts every
-- charge_external_id, which is PREFIX .. thread .. "-" .. counter, so no two requests of a
-- run share one. START (default 0) is how many charges the tenant already has and THREADS
-- the wrk thread count; together they give the running row count from which the patient
-- pool grows (about 10 charges per patient, as in bench/charge_capture_seed.py, whose data
-- pools these are: keep them in step). done() prints the responses by status.

local FIRST = {"James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda",
  "David", "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica",
  "Thomas", "Sarah", "Charles", "Karen", "Maria", "Daniel", "Nancy", "Matthew", "Lisa",
  "Anthony", "Betty", "Mark", "Sandra", "Donald"}
local LAST = {"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
  "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson",
  "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White",
  "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young",
  "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores"}
local PAYERS = {{"60054", "Aetna"}, {"62308", "Cigna"}, {"87726", "UnitedHealthcare"},
  {"61101", "Humana"}, {"94135", "Kaiser Permanente"}, {"47198", "Anthem Blue Cross"},
  {"94036", "Blue Shield of California"}, {"00882", "Medicare Part B"},
  {"00610", "Medicaid"}, {"99726", "Tricare West"}, {"OSCAR", "Oscar Health"},
  {"38333", "Molina Healthcare"}, {"68069", "Ambetter"}, {"54771", "Highmark"},
  {"14163", "Wellcare"}, {"95567", "Health Net"}, {"06111", "Oxford Health Plans"},
  {"55247", "EmblemHealth"}, {"04271", "Harvard Pilgrim"}, {"00901", "BCBS Texas"}}
local FACILITIES = {"Main Street Clinic", "Riverside Medical Center", "Northgate Family Practice",
  "Lakeside Urgent Care", "Hillcrest Pediatrics", "Westside Imaging",
  "Eastbrook Internal Medicine", "Harbor Health Pavilion"}
local PROCEDURES = {"99213", "99214", "99203", "99204", "93000", "36415", "85025", "80053",
  "90471", "99395", "71046", "81002"}
local DIAGNOSES = {"Z00.00", "I10", "E11.9", "J06.9", "M54.5", "E78.5", "F41.1", "K21.9",
  "R05.9", "Z23"}
local TAGS = {"annual-visit", "follow-up", "telehealth", "new-patient"}

local floor = math.floor

-- YYYY-MM-DD of a day number counted from 1970-01-01 (civil_from_days, H. Hinnant).
local function iso_date(days)
  local z = days + 719468
  local era = floor(z / 146097)
  local doe = z - era * 146097
  local yoe = floor((doe - floor(doe / 1460) + floor(doe / 36524) - floor(doe / 146096)) / 365)
  local y = yoe + era * 400
  local doy = doe - (365 * yoe + floor(yoe / 4) - floor(yoe / 100))
  local mp = floor((5 * doy + 2) / 153)
  local d = doy - floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  if m <= 2 then y = y + 1 end
  return string.format("%04d-%02d-%02d", y, m, d)
end

local SERVICE_YEAR = 20089 -- 2025-01-01
local DOB_START = -10958   -- 1940-01-01

-- The k-th NPI: "1" .. 8 digits .. the Luhn check digit over "80840" .. those 9 digits.
local function npi(k)
  local base = "1" .. string.format("%08d", (k * 7919 + 2345678) % 100000000)
  local digits = "80840" .. base
  local total = 0
  for pos = 0, #digits - 1 do
    local d = tonumber(digits:sub(#digits - pos, #digits - pos))
    if pos % 2 == 0 then
      d = d * 2
      if d > 9 then d = d - 9 end
    end
    total = total + d
  end
  return base .. tostring((10 - total % 10) % 10)
end

local NPIS = {}
for k = 0, 49 do NPIS[k + 1] = npi(k) end

local function pick(list) return list[math.random(#list)] end

-- One or two distinct entries of a list, as a JSON array body.
local function some(list, lo, hi)
  local n = math.random(lo, hi)
  local first = math.random(#list)
  local out = {}
  for j = 0, n - 1 do out[#out + 1] = '"' .. list[(first + j * 3 - 1) % #list + 1] .. '"' end
  return out
end

local threads = {}
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("id", thread_count)
  threads[#threads + 1] = thread
end

local token = os.getenv("TOKEN") or ""
local prefix = os.getenv("PREFIX") or "w"
local start = tonumber(os.getenv("START") or "0")
local nthreads = tonumber(os.getenv("THREADS") or "2")
local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}

function init(args)
  counter = 0
  statuses = {}
  math.randomseed(id * 7919 + os.time())
end

function request()
  counter = counter + 1
  -- The tenant's running row count, and a patient among the 1,000 newest.
  local row = start + counter * nthreads + id
  local newest = floor(row / 10)
  local k = newest - math.random(0, math.min(newest, 1000))
  local patient_id = string.format("p%07d", k)
  local first = FIRST[k % #FIRST + 1]
  local last = LAST[(floor(k / #FIRST) + k * 13) % #LAST + 1]
  local dob = iso_date(DOB_START + (k * 7919) % 29200)
  local payer = PAYERS[k % #PAYERS + 1]
  local roll = math.random()
  local status = roll < 0.5 and "billable" or (roll < 0.95 and "planned" or "not-billable")
  local billing = math.random(0, #NPIS - 1)
  local rendering = math.random(0, #NPIS - 1)
  local diagnoses = {}
  for _, code in ipairs(some(DIAGNOSES, 1, 2)) do
    diagnoses[#diagnoses + 1] = '{"code_type":"ABK","code":' .. code .. '}'
  end
  local lines = {}
  for _ = 1, math.random(1, 2) do
    lines[#lines + 1] = string.format(
      '{"procedure_code":"%s","quantity":"1","units":"UN","charge_amount_cents":%d,"diagnosis_pointers":[0]}',
      pick(PROCEDURES), math.random(50, 399) * 100)
  end
  local body = string.format(
    '{"charge_external_id":"%s%d-%d","patient_external_id":"%s","status":"%s","data":{' ..
    '"date_of_service":"%s",' ..
    '"patient":{"first_name":"%s","last_name":"%s","date_of_birth":"%s","external_id":"%s"},' ..
    '"billing_provider":{"npi":"%s","organization_name":"%s Group"},' ..
    '"rendering_provider":{"npi":"%s","first_name":"%s","last_name":"%s"},' ..
    '"service_facility":{"organization_name":"%s"},' ..
    '"subscriber_primary":{"first_name":"%s","last_name":"%s","date_of_birth":"%s",' ..
    '"insurance_card":{"member_id":"MBR%08d","payer_id":"%s","payer_name":"%s"}},' ..
    '"tag_ids":[%s],"service_lines":[%s],"diagnoses":[%s]}}',
    prefix, id, counter, patient_id, status,
    iso_date(SERVICE_YEAR + math.random(0, 364)),
    first, last, dob, patient_id,
    NPIS[billing + 1], FACILITIES[billing % #FACILITIES + 1],
    NPIS[rendering + 1], FIRST[rendering * 7 % #FIRST + 1], LAST[rendering * 11 % #LAST + 1],
    pick(FACILITIES),
    first, last, dob, k, payer[1], payer[2],
    table.concat(some(TAGS, 0, 2), ","), table.concat(lines, ","), table.concat(diagnoses, ","))
  return wrk.format("POST", "/api/charge_captures/v1", headers, body)
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
