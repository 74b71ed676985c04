"""`fourbrain bench`, the timing command the GPU benchmark drives: its outputs for given token
ids equal what `fourbrain embed` gives for the text those ids come from, its report has the
fields the benchmark script reads, and bad input is a one-line error."""
import json
import subprocess

from conftest import BINARY, checkpoint_dir


def run(*args):
    return subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=120)


def test_bench_outputs_match_embed(tmp_path):
    model = checkpoint_dir("qwen3-tiny-embedding")
    texts = ["a first text to embed", "and a second, somewhat longer one to embed as well"]
    tokenized = run("tokenize", "--model", model, *texts)
    assert tokenized.returncode == 0, tokenized.stderr
    parsed = json.loads(tokenized.stdout)
    items = parsed if isinstance(parsed, list) else parsed.get("data", parsed.get("results"))
    ids = [item["ids"] for item in items]
    workload = tmp_path / "w.json"
    workload.write_text(json.dumps({"workloads": [{"name": "two", "sequences": ids}]}))
    outputs = tmp_path / "out.json"
    bench = run("bench", "--model", model, "--precision", "f32", "--workload", str(workload),
                "--warmup", "1", "--iters", "3", "--outputs", str(outputs))
    assert bench.returncode == 0, bench.stderr
    report = json.loads(bench.stdout)
    assert report["device"] == "cpu" and report["model_bytes"] > 0
    result = report["results"][0]
    assert result["name"] == "two" and result["n_seqs"] == 2
    assert result["n_tokens"] == sum(len(i) for i in ids) and len(result["ms"]) == 3
    assert result["ms_min"] <= result["ms_median"]
    embedded = run("embed", "--model", model, "--precision", "f32", *texts)
    assert embedded.returncode == 0, embedded.stderr
    want = [row["embedding"] for row in json.loads(embedded.stdout)["data"]]
    got = json.loads(outputs.read_text())["two"]
    assert len(got) == 2
    for g, w in zip(got, want):
        assert max(abs(a - b) for a, b in zip(g, w)) < 1e-6


def test_bench_bad_input(tmp_path):
    model = checkpoint_dir("qwen3-tiny-embedding")
    workload = tmp_path / "w.json"
    workload.write_text(json.dumps({"workloads": [{"name": "empty", "sequences": []}]}))
    bad = run("bench", "--model", model, "--workload", str(workload))
    assert bad.returncode == 1 and "has no sequences" in bad.stderr
    workload.write_text(json.dumps({"workloads": [{"name": "one", "sequences": [[1, 2, 3]]}]}))
    bad_device = run("bench", "--model", model, "--workload", str(workload), "--device", "gpu0")
    assert bad_device.returncode == 1 and "--device must be cpu or cuda:N" in bad_device.stderr
