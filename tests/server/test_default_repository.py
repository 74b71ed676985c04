"""A new user's path: the README's run command brings the server up on the default
repository, and the README's curl call returns a real all-MiniLM-L6-v2 embedding, checked
against sentence-transformers (tests/data/minilm, sentence 0 is the README's sentence)."""
import json
import os
import re
import signal
import subprocess
import time
import urllib.request

import numpy as np
import pytest

from conftest import TESTDATA

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def readme_curl():
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    line = next(l for l in readme.splitlines() if "/v2/models/all-minilm-l6-v2/infer" in l)
    return line.split("#")[0].strip() if line.startswith("curl") else pytest.fail(line)


def test_readme_run_command_serves_a_real_embedding():
    reference = os.path.join(TESTDATA, "minilm", "embeddings_f16.bin")
    if not os.path.exists(reference):
        pytest.skip("FOURBRAIN_TESTDATA has no minilm data (run scripts/test.sh)")
    expected = np.fromfile(reference, dtype="<f2", count=384).astype(np.float32)
    proc = subprocess.Popen([os.path.join(ROOT, "scripts", "run.sh")], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 600
        while True:
            assert proc.poll() is None, proc.stderr.read()
            try:
                with urllib.request.urlopen("http://127.0.0.1:8000/v2/health/ready", timeout=2):
                    break
            except OSError:
                assert time.time() < deadline, "the server did not become ready"
                time.sleep(0.5)
        out = subprocess.run(readme_curl(), shell=True, capture_output=True, text=True,
                             timeout=60, cwd=ROOT)
        reply = json.loads(out.stdout)
        got = np.array(reply["outputs"][0]["data"], np.float32)
        assert reply["outputs"][0]["shape"] == [1, 384]
        cosine = float(got @ expected / np.linalg.norm(got) / np.linalg.norm(expected))
        assert cosine >= 0.99999, cosine
        req = urllib.request.Request("http://127.0.0.1:8000/v2/repository/index", data=b"",
                                     method="POST")
        with urllib.request.urlopen(req, timeout=10) as r:
            index = {m["name"]: m for m in json.loads(r.read())}
        assert index["all-minilm-l6-v2"]["state"] == "READY"
        qwen = index["qwen3-embedding-0.6b"]
        if qwen["state"] != "READY":  # absent here: the index says where it looked
            assert re.search(r"models--Qwen--Qwen3-Embedding-0\.6B/snapshots", qwen["reason"])
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
