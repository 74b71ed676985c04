"""Starts the real `fourbrain serve` binary for the protocol tests.

The binary comes from FOURBRAIN_BINARY (set by ctest) and the tiny Qwen3 checkpoints
from FOURBRAIN_TESTDATA (see scripts/test.sh). Each server gets its own temporary model
repository and free ports (--http-port 0; the ports are read from its startup log).
"""
import json
import os
import queue
import signal
import subprocess
import threading
import time
import urllib.request

import pytest

BINARY = os.environ.get("FOURBRAIN_BINARY", os.path.join(os.path.dirname(__file__),
                                                          "../../build/fourbrain"))
TESTDATA = os.environ.get("FOURBRAIN_TESTDATA", "")


def checkpoint_dir(name):
    if not TESTDATA or not os.path.isdir(os.path.join(TESTDATA, name)):
        pytest.skip("FOURBRAIN_TESTDATA is not set up (run scripts/test.sh)")
    return os.path.join(TESTDATA, name)


def model_config(task, checkpoint, extra="", precision="f32"):
    # f32: the references are HF transformers in f32.
    return (f'backend: "fourbrain"\nmax_batch_size: 64\n{extra}\n'
            f'parameters {{ key: "task" value: {{ string_value: "{task}" }} }}\n'
            f'parameters {{ key: "precision" value: {{ string_value: "{precision}" }} }}\n'
            f'parameters {{ key: "checkpoint" value: {{ string_value: "{checkpoint}" }} }}\n')


def write_model(repo, name, config_text):
    os.makedirs(os.path.join(repo, name), exist_ok=True)
    with open(os.path.join(repo, name, "config.pbtxt"), "w") as f:
        f.write(config_text)


class Server:
    def __init__(self, repo, args=()):
        self.repo = repo
        self.lines = []
        self.proc = subprocess.Popen(
            [BINARY, "serve", "--model-repository", repo, "--http-port", "0",
             "--metrics-port", "0", "--host", "127.0.0.1", *args],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self._events = queue.Queue()
        threading.Thread(target=self._read_log, daemon=True).start()
        listening = self.wait_event("http_listening", timeout=60)
        self.http_port = int(listening["http_port"])
        self.metrics_port = int(listening["metrics_port"])
        self.url = f"127.0.0.1:{self.http_port}"

    def _read_log(self):
        for line in self.proc.stderr:
            self.lines.append(line)
            try:
                self._events.put(json.loads(line))
            except json.JSONDecodeError:
                pass

    def wait_event(self, name, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                event = self._events.get(timeout=0.1)
            except queue.Empty:
                if self.proc.poll() is not None:
                    raise RuntimeError("server exited:\n" + "".join(self.lines))
                continue
            if event.get("event") == name:
                return event
        raise TimeoutError(f"no '{name}' event; log:\n" + "".join(self.lines))

    def get(self, path, port=None):
        url = f"http://127.0.0.1:{port or self.http_port}{path}"
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read()

    def stop(self, timeout=60):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=timeout)
        return self.proc.returncode


@pytest.fixture(scope="module")
def qwen3_repo(tmp_path_factory):
    """A repository with the tiny embedding and reranker models and one broken model."""
    repo = str(tmp_path_factory.mktemp("repo"))
    write_model(repo, "embed", model_config(
        "embedding", checkpoint_dir("qwen3-tiny-embedding"),
        "dynamic_batching { max_queue_delay_microseconds: 2000 }"))
    write_model(repo, "rerank", model_config("reranking", checkpoint_dir("qwen3-tiny-reranker"),
                                              "dynamic_batching { }"))
    write_model(repo, "broken", 'backend: "fourbrain"\nmax_batchsize: 4\n')
    # No machine the tests run on has eight GPUs: the load fails, naming the GPU.
    write_model(repo, "on_gpu7", model_config(
        "embedding", checkpoint_dir("qwen3-tiny-embedding"),
        "instance_group { kind: KIND_GPU count: 2 gpus: [ 7 ] }", precision="bf16"))
    return repo


@pytest.fixture(scope="module")
def server(qwen3_repo):
    s = Server(qwen3_repo)
    yield s
    assert s.stop() == 0
