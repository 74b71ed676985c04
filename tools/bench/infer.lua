-- wrk script for tools/bench/bench_server.py: every request is one KServe v2 JSON infer call
-- (POST /v2/models/<model>/infer) carrying one sentence as a BYTES [1,1] tensor.
-- Environment (read by wrk's Lua): BENCH_MODEL (default qwen3-tiny-embedding), BENCH_TEXT
-- (default the sentence below). Non-2xx answers are counted by wrk ("Non-2xx or 3xx
-- responses"), which bench_server.py reports as errors.
local model = os.getenv("BENCH_MODEL") or "qwen3-tiny-embedding"
local text = os.getenv("BENCH_TEXT") or "The quick brown fox jumps over the lazy dog."
text = text:gsub('\\', '\\\\'):gsub('"', '\\"')

wrk.method = "POST"
wrk.path = "/v2/models/" .. model .. "/infer"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"inputs":[{"name":"text","datatype":"BYTES","shape":[1,1],"data":["' .. text .. '"]}]}'
