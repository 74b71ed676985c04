"""`fourbrain quantize`, `verify` and `compare` on the real all-MiniLM-L6-v2 (the packaged
model scripts/fetch_models.sh installs) and a tiny Qwen3: the output is ModelOpt's format
(read back with HF's safetensors), the manifest catches a changed or missing file, the
quantized folder serves, and fidelity stays where it was measured (docs/BENCHMARKS.md)."""
import json
import lzma
import os
import subprocess

import pytest
from safetensors import safe_open

from conftest import BINARY, checkpoint_dir

MINILM = os.path.expanduser(os.environ.get("FOURBRAIN_MODEL_CACHE", "~/.cache/fourbrain/models")
                            ) + "/all-MiniLM-L6-v2"
SENTENCES = os.path.join(os.path.dirname(__file__), "../data/minilm/sentences.txt.xz")


def run(*args):
    return subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=600)


def minilm():
    if not os.path.isfile(os.path.join(MINILM, "model.safetensors")):
        pytest.skip("all-MiniLM-L6-v2 is not in the model cache (scripts/fetch_models.sh)")
    return MINILM


@pytest.mark.parametrize("precision,min_mean_cosine", [("fp8", 0.997), ("nvfp4", 0.96)])
def test_quantize_verify_compare_minilm(tmp_path, precision, min_mean_cosine):
    out = tmp_path / precision
    calibration = tmp_path / "calibration.txt"
    with lzma.open(SENTENCES, "rt") as f:
        calibration.write_text("".join(f.readlines()[200:300]))
    bad = run("quantize", "--model", minilm(), "--out", str(tmp_path / "x"), "--precision",
              precision, "--calibration", str(tmp_path / "missing.txt"))
    assert bad.returncode != 0 and "missing.txt" in bad.stderr
    q = run("quantize", "--model", minilm(), "--out", str(out), "--precision", precision,
            "--calibration", str(calibration))
    assert q.returncode == 0, q.stderr
    report = json.loads(q.stdout)
    # The compile-time fidelity is in the report and the manifest, and it is what `compare`
    # measures on the same texts.
    manifest = json.loads((out / "fourbrain_manifest.json").read_text())
    assert manifest["fidelity"] == report["fidelity"]
    assert report["input_scales"] == (36 if precision == "nvfp4" else 0)
    assert manifest["activations"]["input_scales"].startswith(
        "static" if precision == "nvfp4" else "none")
    assert report["fidelity"]["texts"] == 100
    assert report["fidelity"]["min_cosine"] <= report["fidelity"]["mean_cosine"] <= 1.0
    assert report["fidelity"]["mean_cosine"] >= min_mean_cosine, report["fidelity"]
    same = run("compare", "--reference", minilm(), "--candidate", str(out), "--texts",
               str(calibration), "--precision", "f32")
    assert same.returncode == 0, same.stderr
    assert json.loads(same.stdout)["mean_cosine"] == pytest.approx(
        report["fidelity"]["mean_cosine"], abs=1e-9)
    assert report["quantized_modules"] == 36  # 6 layers x (qkv 3 + attn out + 2 ffn)
    assert any("word_embeddings" in k for k in report["kept_modules"])
    with safe_open(str(out / "model.safetensors"), "np") as f:  # headers only: no torch needed
        keys = set(f.keys())
        prefix = "encoder.layer.0.attention.self.query"
        assert {prefix + ".weight", prefix + ".weight_scale"} <= keys
        if precision == "nvfp4":
            assert prefix + ".weight_scale_2" in keys
            # The parameters vLLM's modelopt NVFP4 linear method registers (and ModelOpt
            # writes): packed u8 codes, e4m3 block scales, f32 scalars.
            assert f.get_slice(prefix + ".weight").get_shape() == [384, 192]  # two codes a byte
            assert str(f.get_slice(prefix + ".weight").get_dtype()) == "U8"
            assert f.get_slice(prefix + ".weight_scale").get_shape() == [384, 24]
            assert str(f.get_slice(prefix + ".weight_scale").get_dtype()) == "F8_E4M3"
            for scalar in (".weight_scale_2", ".input_scale"):
                assert f.get_slice(prefix + scalar).get_shape() == []
                assert str(f.get_slice(prefix + scalar).get_dtype()) == "F32"
            # Fused at serving time, so one global scale (as ModelOpt's export gives them);
            # the layers after them keep their own.
            self_attn = "encoder.layer.0.attention.self."
            scale_2 = {m: float(f.get_tensor(self_attn + m + ".weight_scale_2"))
                       for m in ("query", "key", "value")}
            assert len(set(scale_2.values())) == 1, scale_2
            assert float(f.get_tensor("encoder.layer.0.output.dense.weight_scale_2")) != \
                scale_2["query"]
            # Static input scales from the calibration texts, one per quantized module.
            assert sum(k.endswith(".input_scale") for k in keys) == 36
            assert float(f.get_tensor(self_attn + "query.input_scale")) > 0
        else:
            assert str(f.get_slice(prefix + ".weight").get_dtype()) == "F8_E4M3"
            assert f.get_slice(prefix + ".weight_scale").get_shape() == [384]  # per channel
            assert str(f.get_slice(prefix + ".weight_scale").get_dtype()) == "F32"
            assert not any(k.endswith(".input_scale") for k in keys)  # per token at run time
    config = json.loads((out / "config.json").read_text())
    assert config["quantization_config"]["quant_method"] == "modelopt"
    # What vLLM's modelopt config reads from hf_quant_config.json.
    hf_quant = json.loads((out / "hf_quant_config.json").read_text())["quantization"]
    assert hf_quant["quant_algo"] == ("NVFP4" if precision == "nvfp4"
                                      else "FP8_PER_CHANNEL_PER_TOKEN")
    assert hf_quant.get("group_size") == (16 if precision == "nvfp4" else None)
    assert isinstance(hf_quant["exclude_modules"], list)
    assert (out / "1_Pooling" / "config.json").is_file()  # the sentence-transformers modules

    assert run("verify", str(out)).returncode == 0
    texts = tmp_path / "texts.txt"
    with lzma.open(SENTENCES, "rt") as f:
        texts.write_text("".join(f.readlines()[:200]))
    cmp = run("compare", "--reference", minilm(), "--candidate", str(out), "--texts", str(texts),
              "--precision", "f32")
    assert cmp.returncode == 0, cmp.stderr
    fidelity = json.loads(cmp.stdout)
    assert fidelity["texts"] == 200
    assert fidelity["mean_cosine"] >= min_mean_cosine, fidelity
    assert fidelity["mean_spearman_similarity_ranking"] >= min_mean_cosine, fidelity

    (out / "vocab.txt").write_text("changed")
    (out / "modules.json").unlink()
    bad = run("verify", str(out))
    assert bad.returncode == 1
    assert "vocab.txt: changed" in bad.stderr and "modules.json: missing" in bad.stderr


def test_quantized_qwen3_serves_and_bad_requests_fail(tmp_path):
    model = checkpoint_dir("qwen3-tiny-embedding")
    out = tmp_path / "fp8"
    assert run("quantize", "--model", model, "--out", str(out), "--precision", "fp8").returncode == 0
    a = json.loads(run("embed", "--model", model, "--precision", "f32", "a test").stdout)
    b = json.loads(run("embed", "--model", str(out), "--precision", "f32", "a test").stdout)
    va, vb = a["data"][0]["embedding"], b["data"][0]["embedding"]
    cosine = sum(x * y for x, y in zip(va, vb))  # both are unit vectors
    assert 0.98 < cosine < 1.0  # close, but quantized for real
    same = run("quantize", "--model", model, "--out", model, "--precision", "fp8")
    assert same.returncode == 1 and "must not be the source" in same.stderr
    assert run("verify", str(tmp_path)).returncode == 1  # no manifest


CALIBRATION_GOLDEN = os.path.join(os.path.dirname(__file__), "../data/quant/calibration_golden.json")


@pytest.mark.parametrize("name", ["qwen3-tiny-embedding", "bert-tiny-embedding",
                                  "xlmr-tiny-embedding"])
def test_nvfp4_input_scales_match_transformers(tmp_path, name):
    """The static input scales come from the input ranges HF transformers sees on the same
    texts (tools/quant/make_calibration_golden.py: forward pre-hooks on every nn.Linear, f32):
    input_scale = amax / (6 * 448), as ModelOpt's NVFP4 export computes it."""
    with open(CALIBRATION_GOLDEN) as f:
        golden = json.load(f)
    texts = tmp_path / "calibration.txt"
    texts.write_text("".join(t + "\n" for t in golden["texts"]))
    out = tmp_path / "nvfp4"
    q = run("quantize", "--model", checkpoint_dir(name), "--out", str(out), "--precision",
            "nvfp4", "--calibration", str(texts))
    assert q.returncode == 0, q.stderr
    want = golden["models"][name]["input_amax"]
    with safe_open(str(out / "model.safetensors"), "np") as f:
        got = {k[:-len(".input_scale")]: float(f.get_tensor(k)) * 6 * 448
               for k in f.keys() if k.endswith(".input_scale")}
    quantized = {m for m in want if not m.startswith("pooler")}  # heads stay unquantized
    assert set(got) == quantized
    for module in quantized:
        assert got[module] == pytest.approx(want[module], rel=1e-4), module
