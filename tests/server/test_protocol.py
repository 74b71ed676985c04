"""The KServe v2 HTTP protocol, driven by the real Triton Python client (tritonclient.http).

Golden numbers come from HuggingFace transformers (qwen3-references.json, written by
tools/qwen3/make_tiny_checkpoints.py), never from fourbrain itself.
"""
import json
import os
import urllib.error
import urllib.request

import numpy as np
import pytest
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

from conftest import TESTDATA


def references(kind):
    with open(os.path.join(TESTDATA, "qwen3-references.json")) as f:
        return json.load(f)[kind]


def client(server):
    return httpclient.InferenceServerClient(server.url)


def embed(c, texts, binary=True, parameters=None, model="embed"):
    text = httpclient.InferInput("text", [len(texts), 1], "BYTES")
    text.set_data_from_numpy(np.array(texts, dtype=object).reshape(-1, 1), binary_data=binary)
    out = httpclient.InferRequestedOutput("embedding", binary_data=binary)
    result = c.infer(model, [text], outputs=[out], parameters=parameters)
    return result.as_numpy("embedding")


def cosine(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def post(server, path, body, headers=None):
    """A raw HTTP POST: returns (status, parsed JSON body or raw bytes)."""
    req = urllib.request.Request(f"http://{server.url}{path}", data=body, method="POST",
                                 headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def test_health_and_server_metadata(server):
    c = client(server)
    assert c.is_server_live()
    assert c.is_server_ready()
    meta = c.get_server_metadata()
    for ext in ("binary_tensor_data", "statistics", "model_repository", "model_configuration"):
        assert ext in meta["extensions"]


def test_model_metadata_and_config(server):
    c = client(server)
    assert c.is_model_ready("embed")
    assert c.is_model_ready("embed", "1")
    assert not c.is_model_ready("broken")
    assert not c.is_model_ready("embed", "2")
    meta = c.get_model_metadata("embed")
    assert meta["versions"] == ["1"]
    assert meta["platform"] == "fourbrain"
    assert meta["inputs"] == [{"name": "text", "datatype": "BYTES", "shape": [-1, 1]}]
    assert meta["outputs"] == [{"name": "embedding", "datatype": "FP32", "shape": [-1, -1]}]
    rerank = c.get_model_metadata("rerank")
    assert [t["name"] for t in rerank["inputs"]] == ["query", "document"]
    config = c.get_model_config("embed")
    assert config["max_batch_size"] == 64
    assert config["input"][0]["dims"] == [1]  # int64 as JSON numbers, as Triton writes them
    assert config["input"][0]["data_type"] == "TYPE_STRING"
    assert config["dynamic_batching"]["max_queue_delay_microseconds"] == 2000
    assert config["instance_group"][0]["kind"] == "KIND_CPU"
    assert config["parameters"]["task"] == {"string_value": "embedding"}


def test_repository_index_reports_a_broken_config_with_its_line(server):
    index = {m["name"]: m for m in client(server).get_model_repository_index()}
    assert index["embed"]["state"] == "READY" and index["embed"]["version"] == "1"
    assert index["rerank"]["state"] == "READY"
    broken = index["broken"]
    assert broken["state"] == "UNAVAILABLE"
    assert "config.pbtxt:2:1" in broken["reason"] and "max_batchsize" in broken["reason"]
    on_gpu7 = index["on_gpu7"]
    assert on_gpu7["state"] == "UNAVAILABLE"
    assert "instance_group names GPU 7" in on_gpu7["reason"]


@pytest.mark.parametrize("binary", [True, False])
def test_embeddings_match_transformers(server, binary):
    c = client(server)
    for ref in references("embedding"):
        params = {}
        if ref["instruction"] is not None:
            params["instruction"] = ref["instruction"]
        if "max_length" in ref:
            params["max_length"] = ref["max_length"]
        got = embed(c, [ref["text"]], binary=binary, parameters=params)
        assert got.shape == (1, len(ref["embedding"]))
        assert cosine(got[0], ref["embedding"]) >= 0.99999
        assert np.max(np.abs(got[0] - ref["embedding"])) <= 1e-4
        for dims, vector in ref.get("embedding_dims", {}).items():
            p = dict(params, dimensions=int(dims))
            got = embed(c, [ref["text"]], binary=binary, parameters=p)
            assert got.shape == (1, int(dims))
            assert np.max(np.abs(got[0] - vector)) <= 1e-4


def test_batch_of_texts_in_one_request(server):
    c = client(server)
    refs = [r for r in references("embedding") if r["instruction"] is None and "max_length" not in r]
    got = embed(c, [r["text"] for r in refs])
    for row, ref in zip(got, refs):
        assert cosine(row, ref["embedding"]) >= 0.99999


def test_rerank_scores_match_transformers(server):
    c = client(server)
    for ref in references("reranker"):
        inputs = []
        for name in ("query", "document"):
            t = httpclient.InferInput(name, [1, 1], "BYTES")
            t.set_data_from_numpy(np.array([[ref[name]]], dtype=object))
            inputs.append(t)
        params = {"max_length": ref["max_length"]}
        if ref["instruction"] is not None:
            params["instruction"] = ref["instruction"]
        score = c.infer("rerank", inputs, parameters=params).as_numpy("score")
        assert score.shape == (1, 1)
        assert abs(float(score[0, 0]) - ref["score"]) <= 1e-4


def test_request_id_and_json_response(server):
    status, body = post(server, "/v2/models/embed/infer", json.dumps({
        "id": "abc", "inputs": [{"name": "text", "datatype": "BYTES", "shape": [1, 1],
                                 "data": [["hello"]]}]}).encode())
    assert status == 200
    reply = json.loads(body)
    assert reply["id"] == "abc" and reply["model_name"] == "embed"
    assert reply["model_version"] == "1"
    assert reply["outputs"][0]["shape"] == [1, 64] and len(reply["outputs"][0]["data"]) == 64


def test_statistics(server):
    c = client(server)
    before = c.get_inference_statistics("embed")["model_stats"][0]
    embed(c, ["one", "two", "three"])
    stats = c.get_inference_statistics("embed")["model_stats"][0]
    assert stats["name"] == "embed" and stats["version"] == "1"
    assert stats["inference_count"] == before["inference_count"] + 3
    assert stats["execution_count"] == before["execution_count"] + 1
    s = stats["inference_stats"]
    assert s["success"]["count"] == before["inference_stats"]["success"]["count"] + 1
    for key in ("queue", "compute_input", "compute_infer", "compute_output"):
        assert s[key]["count"] == s["success"]["count"]
        assert s[key]["ns"] > 0
    assert s["success"]["ns"] >= s["compute_infer"]["ns"]
    assert any(b["batch_size"] == 3 for b in stats["batch_stats"])
    everything = c.get_inference_statistics()["model_stats"]
    assert {m["name"] for m in everything} == {"embed", "rerank"}


def test_metrics(server):
    c = client(server)
    embed(c, ["metrics please"])
    status, body = server.get("/metrics", port=server.metrics_port)
    text = body.decode()
    assert status == 200
    for name in ("nv_inference_request_success", "nv_inference_request_failure",
                 "nv_inference_count", "nv_inference_exec_count",
                 "nv_inference_request_duration_us", "nv_inference_queue_duration_us",
                 "nv_inference_compute_infer_duration_us", "fourbrain_batch_size_bucket"):
        assert f"\n{name}{{" in text, name
    line = next(l for l in text.splitlines()
                if l.startswith('nv_inference_request_success{model="embed",version="1"}'))
    assert float(line.split()[-1]) >= 1


def expect_error(fn, status, words):
    with pytest.raises(InferenceServerException) as e:
        fn()
    assert e.value.status() == str(status), e.value
    assert words in e.value.message(), e.value.message()


def test_client_errors(server):
    c = client(server)
    expect_error(lambda: embed(c, ["x"], model="nope"), 400, "unknown model: 'nope'")
    expect_error(lambda: c.get_model_metadata("embed", "7"), 404, "version 7 is not found")
    wrong_shape = httpclient.InferInput("text", [2], "BYTES")
    wrong_shape.set_data_from_numpy(np.array(["a", "b"], dtype=object))
    expect_error(lambda: c.infer("embed", [wrong_shape]), 400, "unexpected shape for input 'text'")
    wrong_type = httpclient.InferInput("text", [1, 1], "FP32")
    wrong_type.set_data_from_numpy(np.zeros((1, 1), np.float32))
    expect_error(lambda: c.infer("embed", [wrong_type]), 400, "data-type is 'FP32'")
    too_many = httpclient.InferInput("text", [65, 1], "BYTES")
    too_many.set_data_from_numpy(np.array([["a"]] * 65, dtype=object))
    expect_error(lambda: c.infer("embed", [too_many]), 400, "batch-size must be <= 64")
    expect_error(lambda: embed(c, ["x"], parameters={"dimensions": 1000}), 400, "dimensions")
    bad_utf8 = httpclient.InferInput("text", [1, 1], "BYTES")
    bad_utf8.set_data_from_numpy(np.array([[b"\xff\xfe"]], dtype=object))
    expect_error(lambda: c.infer("embed", [bad_utf8]), 400, "UTF-8")
    # The server still serves after all of that.
    assert embed(c, ["still here"]).shape == (1, 64)


def test_malformed_bodies(server):
    status, body = post(server, "/v2/models/embed/infer", b'{"inputs": [')
    assert status == 400 and "failed to parse the request JSON" in body["error"]
    header = json.dumps({"inputs": [{"name": "text", "datatype": "BYTES", "shape": [1, 1],
                                     "parameters": {"binary_data_size": 9}}]}).encode()
    truncated = header + b"\x05\x00\x00\x00hel"
    status, body = post(server, "/v2/models/embed/infer", truncated,
                        {"Inference-Header-Content-Length": str(len(header))})
    assert status == 400 and "truncated" in body["error"]
    # The binary section is whole, but its one element claims more bytes than it has.
    status, body = post(server, "/v2/models/embed/infer", header + b"\x09\x00\x00\x00hello",
                        {"Inference-Header-Content-Length": str(len(header))})
    assert status == 400 and "claims 9 bytes but only 5 remain" in body["error"]
    status, body = post(server, "/v2/models/embed/infer", b"{}",
                        {"Inference-Header-Content-Length": "100"})
    assert status == 400 and "exceeds the body" in body["error"]
    status, body = post(server, "/v2/not/a/route", b"")
    assert status == 404 and body["error"] == "Not Found"
    status, _ = post(server, "/v2/health/live", b"")
    assert status == 405


def test_oversize_body_is_refused(qwen3_repo):
    from conftest import Server
    s = Server(qwen3_repo, ["--http-max-input-size", "4096"])
    try:
        text = httpclient.InferInput("text", [1, 1], "BYTES")
        text.set_data_from_numpy(np.array([["x" * 10000]], dtype=object))
        c = client(s)
        expect_error(lambda: c.infer("embed", [text]), 413, "exceeds the limit of 4096 bytes")
        assert embed(client(s), ["small"]).shape == (1, 64)
    finally:
        assert s.stop() == 0


@pytest.mark.parametrize("request_algo", [None, "gzip", "deflate"])
@pytest.mark.parametrize("response_algo", [None, "gzip", "deflate"])
def test_compressed_requests_and_responses(server, request_algo, response_algo):
    c = client(server)
    ref = references("embedding")[0]
    text = httpclient.InferInput("text", [1, 1], "BYTES")
    text.set_data_from_numpy(np.array([[ref["text"]]], dtype=object))
    result = c.infer("embed", [text], request_compression_algorithm=request_algo,
                     response_compression_algorithm=response_algo)
    got = result.as_numpy("embedding")[0]
    assert cosine(got, ref["embedding"]) >= 0.99999


def test_corrupt_compressed_body(server):
    status, body = post(server, "/v2/models/embed/infer", b"\x1f\x8b not really gzip",
                        {"Content-Encoding": "gzip"})
    assert status == 400 and "gzip" in body["error"]
    status, body = post(server, "/v2/models/embed/infer", b"{}", {"Content-Encoding": "br"})
    assert status == 400 and "not supported" in body["error"]
