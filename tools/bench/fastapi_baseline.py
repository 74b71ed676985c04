#!/usr/bin/env python3
"""The baseline a user would write instead of fourbrain: FastAPI + uvicorn + transformers.

Serves a Qwen3-Embedding checkpoint (HuggingFace folder, given on the command line) at the
same KServe v2 path and JSON shapes as fourbrain serves `qwen3-tiny-embedding`, so that
tools/bench/infer.lua drives both unchanged:

  POST /v2/models/<model>/infer
    {"inputs":[{"name":"text","datatype":"BYTES","shape":[N,1],"data":["...", ...]}]}
  -> {"model_name":..., "model_version":"1",
      "outputs":[{"name":"embedding","datatype":"FP32","shape":[N,D],"data":[...]}]}
  GET /v2/health/ready  (200 once the model is loaded)

The model code is the Qwen3-Embedding model card's: AutoTokenizer (left padding) and
AutoModel on the CPU with torch, last-token pooling of the final hidden state, L2
normalisation. Like the usual user code it batches nothing across requests: each request is
one forward pass of its own texts, in FastAPI's thread pool (a plain `def` endpoint). The one
concession to concurrency is a lock around the tokenizer call, because a HF fast tokenizer
shared between threads raises "Already borrowed" when two threads pad at once. Access logs
are off (fourbrain does not log each request either).

Usage (the venv holds torch, transformers, fastapi, uvicorn: tools/bench/requirements-bench.txt):
  /work/venv-bench/bin/python tools/bench/fastapi_baseline.py build/testdata/qwen3-tiny-embedding \
      --port 18100 [--model-name qwen3-tiny-embedding] [--dtype float32] [--torch-threads N]
tools/bench/bench_server.py starts and measures it with wrk.
"""
import argparse
import threading
from typing import List, Optional

import torch
import torch.nn.functional as F
import uvicorn
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel
from transformers import AutoModel, AutoTokenizer


class InputTensor(BaseModel):
    name: str
    datatype: str
    shape: List[int]
    data: list


class InferRequest(BaseModel):
    id: Optional[str] = None
    inputs: List[InputTensor]


def flatten(data):
    for e in data:
        if isinstance(e, list):
            yield from flatten(e)
        else:
            yield e


def make_app(checkpoint: str, model_name: str, dtype: torch.dtype) -> FastAPI:
    tokenizer = AutoTokenizer.from_pretrained(checkpoint, padding_side="left")
    model = AutoModel.from_pretrained(checkpoint, dtype=dtype).eval()
    tokenizer_lock = threading.Lock()
    app = FastAPI()

    @app.get("/v2/health/ready")
    def ready():
        return {}

    @app.post(f"/v2/models/{model_name}/infer")
    def infer(request: InferRequest):
        texts_in = [t for t in request.inputs if t.name == "text"]
        if len(texts_in) != 1 or texts_in[0].datatype != "BYTES":
            raise HTTPException(400, "expected one BYTES input named 'text'")
        texts = [str(t) for t in flatten(texts_in[0].data)]
        with tokenizer_lock:
            batch = tokenizer(texts, padding=True, truncation=True, max_length=8192,
                              return_tensors="pt")
        with torch.inference_mode():
            hidden = model(**batch).last_hidden_state
        embeddings = F.normalize(hidden[:, -1].float(), p=2, dim=1)
        out = {"model_name": model_name, "model_version": "1",
               "outputs": [{"name": "embedding", "datatype": "FP32",
                            "shape": list(embeddings.shape),
                            "data": embeddings.flatten().tolist()}]}
        if request.id:
            out["id"] = request.id
        return out

    return app


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("checkpoint", help="HuggingFace checkpoint folder (config.json, safetensors, tokenizer)")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8100)
    ap.add_argument("--model-name", default="qwen3-tiny-embedding")
    ap.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"])
    ap.add_argument("--torch-threads", type=int, default=0, help="0: torch's default")
    args = ap.parse_args()
    if args.torch_threads > 0:
        torch.set_num_threads(args.torch_threads)
    app = make_app(args.checkpoint, args.model_name, getattr(torch, args.dtype))
    uvicorn.run(app, host=args.host, port=args.port, workers=1, access_log=False,
                log_level="warning")


if __name__ == "__main__":
    main()
