-- Posts one signed GitHub push payload with a unique X-GitHub-Delivery per request.
-- The body (and so its signature) is the same each time; only the delivery id varies.
-- thread_id must stay a global: setup() sets it per thread with thread:set, which a chunk-level
-- local would shadow (every thread then sent the same ids, so half the requests were duplicates).
local counter = 0
thread_id = 0
local threads = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  wrk.method = "POST"
  wrk.body = io.open(os.getenv("PAYLOAD"), "rb"):read("*a")
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-GitHub-Event"] = "push"
  wrk.headers["X-Hub-Signature-256"] = os.getenv("SIGNATURE")
  accepted = 0
end

function request()
  counter = counter + 1
  wrk.headers["X-GitHub-Delivery"] = string.format("bench-%s-%d-%d", os.getenv("RUN_ID"), thread_id, counter)
  return wrk.format()
end

function response(status, headers, body)
  -- Only first deliveries count: a repeated id is answered 202 too, marked duplicate.
  if status == 202 and string.find(body, '"duplicate":false', 1, true) then accepted = accepted + 1 end
end

function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("accepted") end
  io.write(string.format("accepted_202=%d\n", total))
end
