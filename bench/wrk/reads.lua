-- The read mix: a mentee's pair status and its budget caps, alternately.
local programmes = tonumber(os.getenv("PROGRAMMES") or "10")
local mentees = tonumber(os.getenv("MENTEES") or "100")
local token = os.getenv("TOKEN")
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function request()
  counter = counter + 1
  local n = counter * 7919 + tid
  local p = n % programmes
  local m = math.floor(n / programmes) % mentees
  local path
  if counter % 2 == 0 then
    path = string.format("/v1/programmes/prog-%d/pairs?mentee_id=prog-%d-m%d", p, p, m)
  else
    path = string.format("/v1/mentees/prog-%d-m%d/caps", p, m)
  end
  return wrk.format("GET", path, {["Authorization"] = "Bearer " .. token})
end

function response(status, headers, body)
  if status ~= 200 and not reported then
    reported = true
    io.stderr:write("unexpected answer " .. status .. ": " .. body .. "\n")
  end
end
