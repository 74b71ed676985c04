#!/usr/bin/env python3
"""all-MiniLM-L6-v2's shape on a GPU: fourbrain vs sentence-transformers on the same card.

Run on the GPU machine (tools/gpu/run_gpu_checks.sh minilm), which has torch, transformers
and sentence-transformers but no model hub, so the checkpoint is the real architecture with
random weights (BertModel: 6 layers, hidden 384, 12 heads, intermediate 1536, vocab 30,522)
saved with sentence-transformers' own files (mean pooling, Normalize) and the real MiniLM
tokenizer. Texts: the 1,000 first sentences of tests/data/minilm (several languages, 3-150
tokens). Both sides are timed from texts to embeddings on the host, tokenization included.

  sentence-transformers  SentenceTransformer(dir, device="cuda").encode(texts, batch_size=B)
                         in float32 (its default) and in bfloat16, B = 32 (default) and 256;
                         the best of its four settings is the peer
  fourbrain              fourbrain embed --device cuda:0 --input FILE --repeat R --timing
                         (bf16 GEMMs, ragged batches of up to 16,384 tokens)

Also checked, on the same card: fourbrain's embeddings against sentence-transformers in
float32 (min cosine over all sentences), batch invariance (each of 32 sentences alone vs
inside the whole batch, via `fourbrain bench --outputs`), and a cross-encoder of the same
shape (BertForSequenceClassification, one label, random weights): `fourbrain rerank
--device cuda:0` scores against sigmoid(HF float32 logits) for 32 query/document pairs.
"""
import argparse
import json
import lzma
import os
import shutil
import subprocess
import time

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MINILM = dict(vocab_size=30522, hidden_size=384, num_hidden_layers=6, num_attention_heads=12,
              intermediate_size=1536, max_position_embeddings=512, type_vocab_size=2)


def sentences(n):
    with lzma.open(os.path.join(ROOT, "tests/data/minilm/sentences.txt.xz"), "rt") as f:
        return [l.rstrip("\n") for l in f][:n]


def make_checkpoint(path, tokenizer_dir):
    if os.path.exists(os.path.join(path, "modules.json")):
        return
    from transformers import BertConfig, BertModel
    torch.manual_seed(0)
    model = BertModel(BertConfig(architectures=["BertModel"], **MINILM), add_pooling_layer=False)
    model.save_pretrained(path, safe_serialization=True)
    for name in os.listdir(tokenizer_dir):
        shutil.copy(os.path.join(tokenizer_dir, name), path)
    with open(os.path.join(path, "modules.json"), "w") as f:
        json.dump([{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                   {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
                   {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}], f)
    with open(os.path.join(path, "sentence_bert_config.json"), "w") as f:
        json.dump({"max_seq_length": 256, "do_lower_case": False}, f)
    os.makedirs(os.path.join(path, "1_Pooling"), exist_ok=True)
    os.makedirs(os.path.join(path, "2_Normalize"), exist_ok=True)
    with open(os.path.join(path, "1_Pooling", "config.json"), "w") as f:
        json.dump({"word_embedding_dimension": 384, "pooling_mode_mean_tokens": True}, f)


def time_st(path, texts, dtype, batch_size, repeat):
    from sentence_transformers import SentenceTransformer
    model = SentenceTransformer(path, device="cuda", model_kwargs={"torch_dtype": dtype})
    model.encode(texts[:64], batch_size=batch_size)  # warm-up
    best, out = None, None
    for _ in range(repeat):
        torch.cuda.synchronize()
        t = time.perf_counter()
        out = model.encode(texts, batch_size=batch_size, convert_to_numpy=True)
        elapsed = time.perf_counter() - t
        best = elapsed if best is None else min(best, elapsed)
    del model
    torch.cuda.empty_cache()
    return best, out


def run_fourbrain(binary, path, text_file, repeat):
    cmd = [binary, "embed", "--model", path, "--device", "cuda:0", "--input", text_file,
           "--max-batch-tokens", "16384", "--repeat", str(repeat), "--timing"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
    timing = dict(kv.split("=") for kv in proc.stderr.strip().splitlines()[-1].split())
    rows = [d["embedding"] for d in json.loads(proc.stdout)["data"]]
    return float(timing["embed_s"]), torch.tensor(rows, dtype=torch.float64), " ".join(cmd)


def batch_invariance(binary, path, tokenizer, texts, workdir):
    ids = [tokenizer(t, truncation=True, max_length=256)["input_ids"] for t in texts]
    workloads = [{"name": "together", "sequences": ids}]
    workloads += [{"name": f"alone{i}", "sequences": [seq]} for i, seq in enumerate(ids)]
    wl = os.path.join(workdir, "invariance.json")
    with open(wl, "w") as f:
        json.dump({"workloads": workloads}, f)
    outs = os.path.join(workdir, "invariance-out.json")
    subprocess.run([binary, "bench", "--model", path, "--device", "cuda:0", "--workload", wl,
                    "--warmup", "0", "--iters", "1", "--outputs", outs], check=True,
                   capture_output=True)
    with open(outs) as f:
        got = json.load(f)
    together = torch.tensor(got["together"], dtype=torch.float64)
    return max(float((torch.tensor(got[f"alone{i}"][0], dtype=torch.float64) - together[i])
                     .abs().max()) for i in range(len(ids)))


def cross_encoder_error(binary, tokenizer_dir, texts, workdir):
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification
    path = os.path.join(workdir, "minilm-cross-encoder-random")
    if not os.path.exists(os.path.join(path, "config.json")):
        torch.manual_seed(1)
        model = BertForSequenceClassification(
            BertConfig(architectures=["BertForSequenceClassification"], num_labels=1, **MINILM))
        model.save_pretrained(path, safe_serialization=True)
        for name in os.listdir(tokenizer_dir):
            shutil.copy(os.path.join(tokenizer_dir, name), path)
    query, docs = texts[0], texts[1:33]
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = BertForSequenceClassification.from_pretrained(path).cuda().eval()
    with torch.inference_mode():
        batch = tokenizer([query] * len(docs), docs, padding=True, truncation=True,
                          max_length=512, return_tensors="pt").to("cuda")
        want = torch.sigmoid(model(**batch).logits[:, 0].double()).cpu()
    proc = subprocess.run([binary, "rerank", "--model", path, "--device", "cuda:0", "--query",
                           query, *docs], capture_output=True, text=True, check=True)
    got = torch.tensor([r["relevance_score"] for r in json.loads(proc.stdout)["results"]],
                       dtype=torch.float64)
    return float((got - want).abs().max())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fourbrain", required=True)
    ap.add_argument("--tokenizer-dir", required=True)
    ap.add_argument("--workdir", default="/tmp/fb-minilm")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--out")
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    path = os.path.join(args.workdir, "minilm-random")
    make_checkpoint(path, args.tokenizer_dir)
    texts = sentences(1000)
    text_file = os.path.join(args.workdir, "sentences.txt")
    with open(text_file, "w") as f:
        f.write("\n".join(texts) + "\n")
    report = {"device": torch.cuda.get_device_name(0), "n_texts": len(texts), "st": {}}
    reference = None
    for dtype in (torch.float32, torch.bfloat16):
        for batch_size in (32, 256):
            seconds, out = time_st(path, texts, dtype, batch_size, args.repeat)
            key = f"{str(dtype).split('.')[-1]} batch {batch_size}"
            report["st"][key] = {"seconds": seconds, "texts_per_s": len(texts) / seconds}
            print(f"sentence-transformers {key}: {len(texts) / seconds:.0f} texts/s", flush=True)
            if dtype == torch.float32 and reference is None:
                reference = torch.tensor(out, dtype=torch.float64)
    seconds, ours, cmd = run_fourbrain(args.fourbrain, path, text_file, args.repeat)
    report["fourbrain"] = {"command": cmd, "seconds": seconds, "texts_per_s": len(texts) / seconds}
    best_st = max(v["texts_per_s"] for v in report["st"].values())
    report["speedup_vs_best_st"] = report["fourbrain"]["texts_per_s"] / best_st
    report["min_cosine_vs_st_f32"] = float(torch.nn.functional.cosine_similarity(
        ours, reference, dim=1).min())
    from transformers import AutoTokenizer
    tokenizer = AutoTokenizer.from_pretrained(path)
    report["batch_invariance_max_abs_diff"] = batch_invariance(
        args.fourbrain, path, tokenizer, texts[:32], args.workdir)
    report["cross_encoder_max_score_error_vs_hf_f32"] = cross_encoder_error(
        args.fourbrain, args.tokenizer_dir, texts, args.workdir)
    text = json.dumps(report, indent=1)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
