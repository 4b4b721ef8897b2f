-- wrk script: logged-in requests, rotating over the sessions in a file made by bench/run.py.
-- Arguments (after --): sessions_file mode path [gift_id live_session_id]
--   sessions_file: one line per logged-in viewer: "<sessionid> <csrftoken cookie> <csrfmiddlewaretoken>"
--   mode: "get" (a page) or "gift" (the gift form's POST as the live room's script sends it, Accept: JSON)
-- Every gift POST carries a fresh idempotency_key (a version-4 UUID made here), as the page gives each form.
-- Only a 200 counts as a success: a redirect to the login page would be fast and wrong.

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

local sessions = {}
local mode, path, gift, live, next_path
local i = 0
ok = 0
bad = 0
first_bad = 0

local unpack_ = table.unpack or unpack

local function uuid4()
  local b = {}
  for k = 1, 16 do
    b[k] = math.random(0, 255)
  end
  b[7] = 0x40 + (b[7] % 16)
  b[9] = 0x80 + (b[9] % 64)
  return string.format("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", unpack_(b))
end

function init(args)
  for line in io.lines(args[1]) do
    local sid, csrf, token = line:match("^(%S+) (%S+) (%S+)$")
    if sid then
      sessions[#sessions + 1] = { cookie = "sessionid=" .. sid .. "; csrftoken=" .. csrf, token = token }
    end
  end
  mode, path, gift, live = args[2], args[3], args[4], args[5]
  if live then
    next_path = "/live/" .. live .. "/"
  end
  math.randomseed(os.time() * 1000 + id * 7919)
  for _ = 1, 10 do
    math.random()
  end
  i = id * 7
end

function request()
  i = i % #sessions + 1
  local s = sessions[i]
  if mode == "gift" then
    local body = "csrfmiddlewaretoken=" .. s.token .. "&gift=" .. gift .. "&quantity=1&visibility=public"
      .. "&idempotency_key=" .. uuid4() .. "&live_session=" .. live .. "&next=" .. next_path
    return wrk.format("POST", path, {
      ["Cookie"] = s.cookie,
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["Accept"] = "application/json",
    }, body)
  end
  return wrk.format("GET", path, { ["Cookie"] = s.cookie })
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
  else
    bad = bad + 1
    if first_bad == 0 then
      first_bad = status
    end
  end
end

function done(summary, latency, requests)
  local good, wrong, first = 0, 0, 0
  for _, thread in ipairs(threads) do
    good = good + thread:get("ok")
    wrong = wrong + thread:get("bad")
    if first == 0 then
      first = thread:get("first_bad")
    end
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d ok=%d bad=%d first_bad=%d"
      .. " connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, good, wrong, first, e.connect, e.read, e.write, e.timeout))
end
