"""Model control (explicit and poll modes), dynamic batching under concurrent clients,
graceful shutdown under load, and perf_analyzer against the real server."""
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

from conftest import Server, checkpoint_dir, model_config, write_model
from test_protocol import client, embed


def mapped_files(server):
    with open(f"/proc/{server.proc.pid}/maps") as f:
        return f.read()


def index_of(c):
    return {m["name"]: m for m in c.get_model_repository_index()}


def test_explicit_mode_load_unload_and_config_override(tmp_path):
    repo = str(tmp_path)
    checkpoint = checkpoint_dir("qwen3-tiny-embedding")
    write_model(repo, "embed", model_config("embedding", checkpoint))
    write_model(repo, "other", model_config("embedding", checkpoint))
    s = Server(repo, ["--model-control-mode", "explicit", "--load-model", "embed"])
    try:
        c = client(s)
        index = index_of(c)
        assert index["embed"]["state"] == "READY"
        assert index["other"]["state"] == "UNAVAILABLE"
        assert not c.is_model_ready("other")
        c.load_model("other")
        assert c.is_model_ready("other")
        assert embed(c, ["loaded"], model="other").shape == (1, 64)

        # Unload: not ready, refused, and its checkpoint mapping is gone from the process.
        assert os.path.join(checkpoint, "model.safetensors") in mapped_files(s)
        c.unload_model("embed")
        c.unload_model("other")
        assert not c.is_model_ready("embed")
        assert index_of(c)["embed"]["state"] == "UNAVAILABLE"
        assert index_of(c)["embed"]["reason"] == "unloaded"
        assert os.path.join(checkpoint, "model.safetensors") not in mapped_files(s)
        with pytest.raises(InferenceServerException):
            embed(c, ["gone"], model="embed")

        # Load with a config override (Triton's JSON "config" parameter).
        override = {"backend": "fourbrain", "max_batch_size": 8,
                    "parameters": {"task": {"string_value": "embedding"},
                                   "checkpoint": {"string_value": checkpoint}}}
        c.load_model("embed", config=json.dumps(override))
        assert c.get_model_config("embed")["max_batch_size"] == 8
        assert embed(c, ["again"]).shape == (1, 64)

        # A bad override is refused with the reason; nothing else is disturbed.
        with pytest.raises(InferenceServerException) as e:
            c.load_model("other", config=json.dumps({"max_batch_size": "many"}))
        assert "config" in e.value.message()
        with pytest.raises(InferenceServerException) as e:
            c.load_model("missing")
        assert e.value.status() == "404"
        assert c.is_model_ready("embed")
    finally:
        assert s.stop() == 0


def test_none_mode_refuses_load_and_unload(server):
    c = client(server)
    with pytest.raises(InferenceServerException) as e:
        c.unload_model("embed")
    assert e.value.status() == "503" and "not allowed" in e.value.message()
    assert c.is_model_ready("embed")


def test_poll_mode_follows_the_folder(tmp_path):
    repo = str(tmp_path)
    checkpoint = checkpoint_dir("qwen3-tiny-embedding")
    s = Server(repo, ["--model-control-mode", "poll", "--repository-poll-secs", "1"])

    def wait_for(predicate, what):
        deadline = time.time() + 20
        while time.time() < deadline:
            if predicate():
                return
            time.sleep(0.2)
        raise AssertionError(what + "\n" + "".join(s.lines))

    try:
        c = client(s)
        write_model(repo, "late", model_config("embedding", checkpoint))
        wait_for(lambda: c.is_model_ready("late"), "the new model was not loaded")
        # A broken change keeps the version that was serving.
        write_model(repo, "late", 'backend: "fourbrain"\nmax_batch_size: "x"\n')
        wait_for(lambda: "model_load_failed" in "".join(s.lines), "the change was not seen")
        assert c.is_model_ready("late")
        assert embed(c, ["still served"], model="late").shape == (1, 64)
        shutil.rmtree(os.path.join(repo, "late"))
        wait_for(lambda: "late" not in index_of(c), "the removed model is still listed")
    finally:
        assert s.stop() == 0


def test_concurrent_clients_are_batched_and_answers_match_single_requests(server):
    c = client(server)
    texts = [f"sentence {i}: the topic is number {i % 7}" + " and more" * (i % 5)
             for i in range(96)]
    singles = [embed(c, [t])[0] for t in texts]
    before = c.get_inference_statistics("embed")["model_stats"][0]
    # 48 client threads, each with its own connection, released at the same moment.
    start = threading.Barrier(48)
    results = [None] * len(texts)

    def worker(k):
        conn = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=60)
        start.wait()
        for i in range(k, len(texts), 48):
            conn.request("POST", "/v2/models/embed/infer", json.dumps({
                "inputs": [{"name": "text", "datatype": "BYTES", "shape": [1, 1],
                            "data": [texts[i]]}]}))
            reply = json.loads(conn.getresponse().read())
            results[i] = np.array(reply["outputs"][0]["data"], np.float32)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(48)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for got, single in zip(results, singles):
        np.testing.assert_allclose(got, single, atol=1e-5)
    after = c.get_inference_statistics("embed")["model_stats"][0]
    items = after["inference_count"] - before["inference_count"]
    executions = after["execution_count"] - before["execution_count"]
    assert items == len(texts)
    assert executions < len(texts), (items, executions)
    assert max(b["batch_size"] for b in after["batch_stats"]) > 1
    _, body = server.get("/metrics", port=server.metrics_port)
    buckets = [l for l in body.decode().splitlines()
               if l.startswith('fourbrain_batch_size_bucket{model="embed",version="1",le="1"}')]
    total = [l for l in body.decode().splitlines()
             if l.startswith('fourbrain_batch_size_count{model="embed",version="1"}')]
    assert float(buckets[0].split()[-1]) < float(total[0].split()[-1])


def test_sigterm_under_load_loses_no_accepted_request(qwen3_repo):
    s = Server(qwen3_repo)
    reference = embed(client(s), ["shutdown test sentence"])[0]
    body = json.dumps({"inputs": [{"name": "text", "datatype": "BYTES", "shape": [1, 1],
                                   "data": ["shutdown test sentence"]}],
                       "outputs": [{"name": "embedding", "parameters": {"binary_data": False}}]})
    outcomes = []  # ("ok"|"refused"|"connection", detail)
    lock = threading.Lock()
    stop = threading.Event()

    def load():
        conn = None
        while not stop.is_set():
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", s.http_port, timeout=30)
                conn.request("POST", "/v2/models/embed/infer", body,
                             {"Content-Type": "application/json"})
                r = conn.getresponse()
                data = json.loads(r.read())
                if r.status == 200:
                    got = np.array(data["outputs"][0]["data"], np.float32)
                    np.testing.assert_allclose(got, reference, atol=1e-5)
                    outcome = ("ok", None)
                else:
                    outcome = ("refused", (r.status, data["error"]))
                if r.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (ConnectionError, http.client.HTTPException, OSError) as e:
                outcome = ("connection", repr(e))
                conn = None
                time.sleep(0.01)
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=load) for _ in range(16)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    s.proc.send_signal(signal.SIGTERM)
    code = s.proc.wait(timeout=60)
    time.sleep(0.3)
    stop.set()
    for t in threads:
        t.join()
    assert code == 0
    done = s.wait_event("shutdown_done")
    ok = sum(1 for kind, _ in outcomes if kind == "ok")
    refused = [d for kind, d in outcomes if kind == "refused"]
    assert ok > 100, outcomes[:5]
    assert int(done["accepted"]) == int(done["answered"])
    assert int(done["unwritten"]) == 0
    # Every request the server accepted was answered, and the client got that answer;
    # the only refusals say the server was stopping.
    assert int(done["accepted"]) == ok + 1, (done, ok, len(refused))
    assert all(status == 503 and "shutting down" in error for status, error in refused)


def perf_analyzer_env():
    import nvidia.cuda_runtime
    lib = os.path.join(list(nvidia.cuda_runtime.__path__)[0], "lib")
    return dict(os.environ, LD_LIBRARY_PATH=lib + ":" + os.environ.get("LD_LIBRARY_PATH", ""))


def test_perf_analyzer_measures_the_server(server):
    binary = os.path.join(os.path.dirname(sys.executable), "perf_analyzer")
    if not os.path.exists(binary):
        pytest.fail("perf_analyzer is missing from the venv (tritonclient 2.50.0 wheel)")
    run = subprocess.run(
        [binary, "-m", "embed", "-u", server.url, "--string-data", "perf analyzer sentence",
         "--concurrency-range", "4:4", "--measurement-mode", "count_windows",
         "--measurement-request-count", "200", "--max-trials", "5", "-s", "100"],
        capture_output=True, text=True, timeout=300, env=perf_analyzer_env())
    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    assert "Throughput:" in out, out
    assert "Server:" in out and "Inference count:" in out, out  # server-side statistics read
    assert "Avg request latency" in out, out


def test_version_folders_and_version_policy(tmp_path):
    repo = str(tmp_path)
    checkpoint = checkpoint_dir("qwen3-tiny-embedding")
    config = ('backend: "fourbrain"\nmax_batch_size: 8\nPOLICY\n'
              'parameters { key: "task" value: { string_value: "embedding" } }\n')
    for name, policy in (("latest", ""), ("all", "version_policy: { all: {} }"),
                         ("pinned", "version_policy: { specific: { versions: [1] } }")):
        write_model(repo, name, config.replace("POLICY", policy))
        for v in ("1", "2"):
            os.symlink(checkpoint, os.path.join(repo, name, v))
    os.makedirs(os.path.join(repo, "empty"))
    write_model(repo, "empty", config.replace("POLICY", ""))
    s = Server(repo)
    try:
        c = client(s)
        assert c.get_model_metadata("latest")["versions"] == ["2"]
        assert not c.is_model_ready("latest", "1")
        assert c.get_model_metadata("all")["versions"] == ["1", "2"]
        assert c.get_model_metadata("pinned")["versions"] == ["1"]
        text = httpclient.InferInput("text", [1, 1], "BYTES")
        text.set_data_from_numpy(np.array([["versioned"]], dtype=object))
        one = c.infer("all", [text], model_version="1").as_numpy("embedding")
        two = c.infer("all", [text], model_version="2").as_numpy("embedding")
        np.testing.assert_allclose(one, two, atol=1e-6)  # same checkpoint in both folders
        assert c.infer("all", [text]).get_response()["model_version"] == "2"
        stats = c.get_inference_statistics("all")["model_stats"]
        assert sorted(m["version"] for m in stats) == ["1", "2"]
        empty = index_of(c)["empty"]
        assert empty["state"] == "UNAVAILABLE" and "no version folder" in empty["reason"]
    finally:
        assert s.stop() == 0


def test_a_client_that_hangs_up_is_dropped_before_compute(tmp_path):
    import socket
    repo = str(tmp_path)
    # A one-second queue delay keeps the lone request queued after its client has gone.
    write_model(repo, "slow", model_config(
        "embedding", checkpoint_dir("qwen3-tiny-embedding"),
        "dynamic_batching { max_queue_delay_microseconds: 1000000 }"))
    s = Server(repo)
    try:
        c = client(s)
        body = json.dumps({"inputs": [{"name": "text", "datatype": "BYTES", "shape": [1, 1],
                                       "data": ["never computed"]}]}).encode()
        sock = socket.create_connection(("127.0.0.1", s.http_port))
        sock.sendall(b"POST /v2/models/slow/infer HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                     str(len(body)).encode() + b"\r\n\r\n" + body)
        time.sleep(0.2)
        sock.close()
        time.sleep(1.5)
        stats = c.get_inference_statistics("slow")["model_stats"][0]
        assert stats["execution_count"] == 0
        assert stats["inference_stats"]["fail"]["count"] == 1
        _, metrics = s.get("/metrics", port=s.metrics_port)
        assert ('nv_inference_request_failure{model="slow",version="1",reason="CANCELED"} 1'
                in metrics.decode())
    finally:
        assert s.stop() == 0


def test_a_reload_keeps_serving(tmp_path):
    repo = str(tmp_path)
    write_model(repo, "embed", model_config("embedding", checkpoint_dir("qwen3-tiny-embedding")))
    s = Server(repo, ["--model-control-mode", "explicit", "--load-model", "embed"])
    failures, done = [], threading.Event()

    def traffic():
        c = client(s)
        while not done.is_set():
            try:
                embed(c, ["during a reload"])
            except InferenceServerException as e:
                failures.append(e.message())

    try:
        t = threading.Thread(target=traffic)
        t.start()
        for _ in range(3):
            client(s).load_model("embed")  # reload: the old version serves until the swap
        done.set()
        t.join()
        assert failures == []
        assert client(s).is_model_ready("embed")
    finally:
        done.set()
        assert s.stop() == 0
