-- Logs sessions: every request a new session id, spread over every pair so
-- that no mentee reaches the hour cap. Set PROGRAMMES, MENTEES, TOKEN in env.
local programmes = tonumber(os.getenv("PROGRAMMES") or "10")
local mentees = tonumber(os.getenv("MENTEES") or "100")
local token = os.getenv("TOKEN")
-- Distinct per run against one server (RUN), so that session ids never repeat.
local run = os.getenv("RUN") or "0"
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  counter = 0
end

function request()
  counter = counter + 1
  local n = counter * 7919 + tid
  local p = n % programmes
  local m = math.floor(n / programmes) % mentees
  local path = string.format("/v1/pairs/prog-%d-p%d/sessions", p, m)
  local body = string.format(
    '{"id":"w%s-%d-%d","date":"2026-03-10","minutes":1,"mode":"remote","format":"bilateral","topics":[],"summary":"wrk"}',
    run, tid, counter)
  return wrk.format("POST", path, {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
  if status ~= 201 and not reported then
    reported = true
    io.stderr:write("unexpected answer " .. status .. ": " .. body .. "\n")
  end
end
