"""Golden input ranges for `fourbrain quantize --calibration`: HF transformers runs the tiny
test checkpoints in f32 on calibration sentences, one text at a time (no padding, as fourbrain's
ragged batches), and a forward pre-hook on every nn.Linear records the largest |input| it saw.
ModelOpt's NVFP4 input_scale is that amax / (6 * 448). Texts are truncated to the
sentence-transformers max_seq_length where the checkpoint has one, as sentence-transformers
(and fourbrain's embedder) do.

Usage: make_calibration_golden.py TESTDATA_DIR SENTENCES_XZ OUT_JSON
  TESTDATA_DIR holds qwen3-tiny-embedding, bert-tiny-embedding and xlmr-tiny-embedding (CLS
  pooling) from tools/*/prepare_testdata.sh.
Needs torch and transformers (the GPU machine has both)."""
import json
import lzma
import os
import sys

import torch
import transformers
from transformers import AutoModel, AutoTokenizer

FIRST, COUNT = 200, 10  # the sentences tests/server/test_cli_quantize.py calibrates on


def input_amax(model_dir, texts):
    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModel.from_pretrained(model_dir, torch_dtype=torch.float32).eval()
    amax = {}

    def hook(name):
        def pre(_module, args):
            amax[name] = max(amax.get(name, 0.0), float(args[0].abs().max()))
        return pre

    for name, module in model.named_modules():
        if isinstance(module, torch.nn.Linear):
            module.register_forward_pre_hook(hook(name))
    st_config = os.path.join(model_dir, "sentence_bert_config.json")
    max_length = None
    if os.path.isfile(st_config):
        with open(st_config) as f:
            max_length = json.load(f).get("max_seq_length")
    ids = []
    with torch.no_grad():
        for text in texts:
            enc = tok(text, return_tensors="pt", truncation=max_length is not None,
                      max_length=max_length)
            ids.append(enc["input_ids"][0].tolist())
            model(**enc)
    return amax, ids


def main():
    testdata, sentences, out = sys.argv[1:4]
    with lzma.open(sentences, "rt") as f:
        texts = [line.rstrip("\n") for line in f.readlines()[FIRST:FIRST + COUNT]]
    golden = {"texts": texts, "versions": {"torch": torch.__version__,
                                           "transformers": transformers.__version__},
              "models": {}}
    for name in ["qwen3-tiny-embedding", "bert-tiny-embedding", "xlmr-tiny-embedding"]:
        amax, ids = input_amax(f"{testdata}/{name}", texts)
        golden["models"][name] = {"input_amax": amax, "input_ids": ids}
    with open(out, "w") as f:
        json.dump(golden, f, indent=1)


if __name__ == "__main__":
    main()
