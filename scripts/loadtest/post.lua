-- wrk script: POST the images named in IMAGES (colon-separated) in turn, count the answers by status, and stop each
-- thread after LIMIT answers (LIMIT=0: run for wrk's duration).
local images = {}
for path in string.gmatch(os.getenv("IMAGES") or "", "[^:]+") do
    local file = assert(io.open(path, "rb"))
    images[#images + 1] = file:read("*a")
    file:close()
end
local limit = tonumber(os.getenv("LIMIT") or "0")
local threads = {}

function setup(thread)
    thread:set("id", #threads + 1)
    table.insert(threads, thread)
end

function init(args)
    statuses = {}
    answered = 0
    next_image = id
end

function request()
    next_image = next_image % #images + 1
    return wrk.format("POST", nil, { ["Content-Type"] = "image/jpeg" }, images[next_image])
end

function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
    answered = answered + 1
    if limit > 0 and answered >= limit then wrk.thread:stop() end
end

function done(summary, latency, requests)
    local totals = {}
    for _, thread in ipairs(threads) do
        for status, n in pairs(thread:get("statuses")) do totals[status] = (totals[status] or 0) + n end
    end
    local parts = {}
    for status, n in pairs(totals) do parts[#parts + 1] = string.format("%d=%d", status, n) end
    table.sort(parts)
    io.write(string.format("RESULT requests=%d seconds=%.2f rps=%.2f p50_ms=%.1f p99_ms=%.1f errors=%d statuses=%s\n",
        summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
        latency:percentile(50) / 1000, latency:percentile(99) / 1000,
        summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
        table.concat(parts, ",")))
end
