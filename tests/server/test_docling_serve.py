"""docling-serve's REST API (/v1/convert, /v1/chunk, tasks, /health) and the KServe `docling`
model, on the real `fourbrain serve` binary, driven by `requests` and the real Triton client.

json_content is checked with docling-core's own DoclingDocument model; hybrid chunk token
counts with HuggingFace's tokenizer of the same folder; Markdown against `fourbrain convert`.
"""
import base64
import glob
import http.server
import io
import os
import shutil
import signal
import subprocess
import threading
import time
import zipfile

import numpy as np
import pytest
import requests
import tritonclient.http as httpclient
from docling_core.types.doc import DoclingDocument

from conftest import BINARY, TESTDATA, Server, write_model

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CORPUS = sorted(glob.glob(os.path.join(ROOT, "tests", "data", "docling", "corpus", "*.pdf")))
if not CORPUS:
    CORPUS = ["/usr/share/doc/libtasn1-doc/libtasn1.pdf"]
REPORT = next((p for p in CORPUS if p.endswith("numbered_report.pdf")), CORPUS[0])
SCANNED = next((p for p in CORPUS if p.endswith("scanned.pdf")), None)


def tokenizer_dir():
    for d in (os.path.join(TESTDATA, "qwen3-tiny-embedding") if TESTDATA else "",
              "/work/shared/qwen2-tokenizer"):
        if d and os.path.isdir(d):
            return d
    return ""


def read(path):
    with open(path, "rb") as f:
        return f.read()


def repo_with_docling(tmp_path_factory):
    repo = str(tmp_path_factory.mktemp("docling_repo"))
    write_model(repo, "docling", 'backend: "docling"\nmax_batch_size: 4\n')
    return repo


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    args = ["--docling-tokenizer", tokenizer_dir()] if tokenizer_dir() else []
    s = Server(repo_with_docling(tmp_path_factory), args)
    s.base = f"http://{s.url}"
    yield s
    assert s.stop() == 0


def convert_file(server, path, **fields):
    data = [(k, v) for k, vs in fields.items() for v in (vs if isinstance(vs, list) else [vs])]
    with open(path, "rb") as f:
        return requests.post(f"{server.base}/v1/convert/file", data=data,
                             files={"files": (os.path.basename(path), f, "application/pdf")},
                             timeout=120)


def source_body(path, options=None):
    return {"options": options or {}, "sources": [
        {"kind": "file", "filename": os.path.basename(path),
         "base64_string": base64.b64encode(read(path)).decode()}]}


def cli_markdown(path):
    return subprocess.run([BINARY, "convert", path, "--to", "md"], check=True,
                          capture_output=True).stdout.decode()


def test_health_and_version(server):
    assert requests.get(f"{server.base}/health").json() == {"status": "ok"}
    assert requests.get(f"{server.base}/ready").status_code == 200
    assert "fourbrain" in requests.get(f"{server.base}/version").json()


@pytest.mark.parametrize("path", CORPUS, ids=os.path.basename)
def test_convert_file_every_corpus_pdf(server, path):
    r = convert_file(server, path, to_formats=["md", "json", "text"])
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) >= {"document", "status", "errors", "processing_time", "timings"}
    assert body["status"] in ("success", "partial_success")
    doc = body["document"]
    assert doc["filename"] == os.path.basename(path)
    assert doc["html_content"] is None and doc["doctags_content"] is None
    assert isinstance(doc["json_content"], dict)
    parsed = DoclingDocument.model_validate(doc["json_content"])
    assert parsed.name == os.path.splitext(os.path.basename(path))[0]
    assert doc["md_content"].strip() == cli_markdown(path).strip()
    assert doc["text_content"].strip()


def test_convert_defaults_to_markdown_only(server):
    doc = convert_file(server, REPORT).json()["document"]
    assert doc["md_content"].startswith("# ")
    assert doc["json_content"] is None and doc["text_content"] is None


def test_convert_source_matches_file(server):
    r = requests.post(f"{server.base}/v1/convert/source",
                      json=source_body(REPORT, {"to_formats": ["md", "json"], "do_ocr": False}))
    assert r.status_code == 200, r.text
    doc = r.json()["document"]
    DoclingDocument.model_validate(doc["json_content"])
    assert doc["md_content"] == convert_file(server, REPORT).json()["document"]["md_content"]


def test_page_range_options(server):
    pdf = "/usr/share/doc/libtasn1-doc/libtasn1.pdf"
    path = pdf if os.path.exists(pdf) else REPORT
    for fields in ({"page_range": ["1", "1"]}, {"page_range": "1-1"}):
        r = convert_file(server, path, to_formats="json", **fields)
        assert r.status_code == 200, r.text
        pages = r.json()["document"]["json_content"]["pages"]
        assert list(pages) == ["1"]
    r = requests.post(f"{server.base}/v1/convert/source",
                      json=source_body(path, {"to_formats": ["json"], "page_range": [1, 1]}))
    assert list(r.json()["document"]["json_content"]["pages"]) == ["1"]


def poll_until_done(server, task_id, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = requests.get(f"{server.base}/v1/status/poll/{task_id}")
        assert r.status_code == 200, r.text
        status = r.json()
        assert status["task_id"] == task_id
        if status["task_status"] not in ("pending", "started"):
            return status
        time.sleep(0.05)
    pytest.fail("task did not finish")


def test_async_convert_file_and_source(server):
    with open(REPORT, "rb") as f:
        r = requests.post(f"{server.base}/v1/convert/file/async",
                          files={"files": ("report.pdf", f, "application/pdf")},
                          data={"to_formats": "json"})
    assert r.status_code == 200, r.text
    task = r.json()
    assert set(task) >= {"task_id", "task_type", "task_status", "task_position", "task_meta"}
    assert task["task_type"] == "convert"
    assert task["task_status"] in ("pending", "started", "success")
    assert poll_until_done(server, task["task_id"])["task_status"] == "success"
    result = requests.get(f"{server.base}/v1/result/{task['task_id']}")
    assert result.status_code == 200
    DoclingDocument.model_validate(result.json()["document"]["json_content"])
    assert requests.get(f"{server.base}/v1/result/{task['task_id']}").status_code == 404
    assert requests.get(f"{server.base}/v1/status/poll/{task['task_id']}").status_code == 404

    r = requests.post(f"{server.base}/v1/convert/source/async", json=source_body(REPORT))
    task_id = r.json()["task_id"]
    assert poll_until_done(server, task_id)["task_status"] == "success"
    assert requests.get(f"{server.base}/v1/result/{task_id}").json()["document"]["md_content"]


def check_chunks(body, filename):
    assert set(body) >= {"chunks", "documents", "processing_time"}
    assert body["chunks"], body
    for i, c in enumerate(body["chunks"]):
        assert c["filename"] == filename and c["chunk_index"] == i
        assert c["text"].endswith(c["raw_text"])
        assert all(ref.startswith("#/") for ref in c["doc_items"])
        assert c["page_numbers"] and all(p >= 1 for p in c["page_numbers"])
    return body["chunks"]


def test_hierarchical_chunks_file_and_source(server):
    with open(REPORT, "rb") as f:
        r = requests.post(f"{server.base}/v1/chunk/hierarchical/file",
                          files={"files": ("report.pdf", f, "application/pdf")})
    assert r.status_code == 200, r.text
    chunks = check_chunks(r.json(), "report.pdf")
    assert all(c["num_tokens"] is None for c in chunks)
    r = requests.post(f"{server.base}/v1/chunk/hierarchical/source",
                      json={**source_body(REPORT), "include_converted_doc": True})
    assert [c["text"] for c in check_chunks(r.json(), "numbered_report.pdf")] == \
        [c["text"] for c in chunks]
    assert r.json()["documents"][0]["content"]["md_content"]


def test_hybrid_chunks_count_tokens_like_hf(server):
    if not tokenizer_dir():
        pytest.skip("no tokenizer folder")
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(tokenizer_dir())
    with open(REPORT, "rb") as f:
        r = requests.post(f"{server.base}/v1/chunk/hybrid/file",
                          files={"files": ("report.pdf", f, "application/pdf")},
                          data={"chunking_max_tokens": "64"})
    assert r.status_code == 200, r.text
    for c in check_chunks(r.json(), "report.pdf"):
        assert c["num_tokens"] == len(tok(c["text"], add_special_tokens=False).input_ids)
    body = {**source_body(REPORT), "chunking_options": {"max_tokens": 64}}
    task = requests.post(f"{server.base}/v1/chunk/hybrid/source/async", json=body).json()
    assert task["task_type"] == "chunk"
    assert poll_until_done(server, task["task_id"])["task_status"] == "success"
    fetched = requests.get(f"{server.base}/v1/result/{task['task_id']}").json()
    assert [c["text"] for c in fetched["chunks"]] == [c["text"] for c in r.json()["chunks"]]


def test_errors(server):
    base = server.base
    post = requests.post
    r = post(f"{base}/v1/convert/source", data=b"{not json",
             headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "JSON" in r.json()["detail"]
    r = post(f"{base}/v1/convert/source",
             json={"sources": [{"kind": "file", "base64_string": "***", "filename": "x.pdf"}]})
    assert r.status_code == 400 and "base64" in r.json()["detail"]
    r = post(f"{base}/v1/convert/file", files={"files": ("a.txt", b"hello world", "text/plain")})
    assert r.status_code == 400 and "not a PDF" in r.json()["detail"]
    r = post(f"{base}/v1/convert/file",
             files={"files": ("bad.pdf", b"%PDF-1.7\ncorrupt body\n%%EOF", "application/pdf")})
    assert r.status_code == 400 and "bad.pdf" in r.json()["detail"]
    r = post(f"{base}/v1/convert/file", data=b"--x\r\n",
             headers={"Content-Type": "multipart/form-data"})
    assert r.status_code == 400 and "boundary" in r.json()["detail"]
    r = post(f"{base}/v1/convert/file", data={"to_formats": "md"},
             files={"other": ("a", b"b")})
    assert r.status_code == 400 and "files" in r.json()["detail"]
    r = post(f"{base}/v1/convert/file", data={"to_formats": "pptx"},
             files={"files": ("r.pdf", read(REPORT))})
    assert r.status_code == 400 and "to_formats" in r.json()["detail"]
    r = post(f"{base}/v1/convert/source",
             json={"sources": [{"kind": "http", "url": "http://127.0.0.1:1/a.pdf"}]})
    assert r.status_code == 400 and "--docling-http-allow" in r.json()["detail"]
    assert requests.get(f"{base}/v1/convert/file").status_code == 405
    assert requests.get(f"{base}/v1/status/poll/nope").status_code == 404
    assert requests.get(f"{base}/v1/result/nope").status_code == 404
    assert requests.get(f"{base}/v1/nothing").status_code == 404
    # The server still serves.
    assert convert_file(server, REPORT).status_code == 200


def test_triton_client_docling_model(server):
    c = httpclient.InferenceServerClient(server.url)
    assert c.is_model_ready("docling")
    meta = c.get_model_metadata("docling")
    assert [i["name"] for i in meta["inputs"]] == ["document"]
    assert sorted(o["name"] for o in meta["outputs"]) == ["json", "markdown"]
    # A batch of two PDFs as one BYTES tensor [2, 1] (binary data: a PDF is not UTF-8).
    pdfs = [read(REPORT), read(CORPUS[-1])]
    doc = httpclient.InferInput("document", [len(pdfs), 1], "BYTES")
    doc.set_data_from_numpy(np.array(pdfs, dtype=object).reshape(-1, 1), binary_data=True)
    outputs = [httpclient.InferRequestedOutput("json", binary_data=True),
               httpclient.InferRequestedOutput("markdown", binary_data=True)]
    result = c.infer("docling", [doc], outputs=outputs)
    jsons, mds = result.as_numpy("json"), result.as_numpy("markdown")
    assert jsons.shape == (2, 1) and mds.shape == (2, 1)
    for k in range(2):
        assert DoclingDocument.model_validate_json(jsons[k, 0]).texts
    assert mds[0, 0].decode() == convert_file(server, REPORT).json()["document"]["md_content"]
    assert mds[1, 0].decode() == \
        convert_file(server, CORPUS[-1]).json()["document"]["md_content"]
    # Only the markdown asked for; a non-PDF fails with 400 and a clear message.
    doc = httpclient.InferInput("document", [1, 1], "BYTES")
    doc.set_data_from_numpy(np.array([read(REPORT)], dtype=object).reshape(1, 1))
    result = c.infer("docling", [doc], outputs=[httpclient.InferRequestedOutput("markdown")])
    assert result.as_numpy("json") is None and result.as_numpy("markdown")[0, 0]
    bad = httpclient.InferInput("document", [1, 1], "BYTES")
    bad.set_data_from_numpy(np.array([b"plain text"], dtype=object).reshape(1, 1))
    with pytest.raises(Exception, match="not a PDF"):
        c.infer("docling", [bad])


@pytest.fixture()
def limited_server(tmp_path_factory):
    s = Server(repo_with_docling(tmp_path_factory),
               ["--docling-workers", "1", "--docling-queue-size", "1",
                "--docling-max-file-size", "60000"])
    s.base = f"http://{s.url}"
    yield s
    s.stop()


def test_too_large_and_queue_full(limited_server):
    base = limited_server.base
    big = max(CORPUS, key=os.path.getsize)
    if os.path.getsize(big) <= 60000:
        pytest.skip("no corpus PDF over 60 kB")
    r = requests.post(f"{base}/v1/convert/file", files={"files": ("big.pdf", read(big))})
    assert r.status_code == 413, r.text
    if SCANNED is None or os.path.getsize(SCANNED) > 60000:
        small_slow = REPORT
    else:
        small_slow = SCANNED
    codes = []

    def one():
        codes.append(requests.post(f"{base}/v1/convert/file", data={"force_ocr": "true"},
                                   files={"files": ("r.pdf", read(small_slow))},
                                   timeout=300).status_code)
    threads = [threading.Thread(target=one) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert 503 in codes and 200 in codes, codes
    assert set(codes) <= {200, 503}


def test_accepted_conversions_answer_during_shutdown(tmp_path_factory):
    s = Server(repo_with_docling(tmp_path_factory), ["--docling-workers", "1"])
    base = f"http://{s.url}"
    results = []

    def one():
        results.append(requests.post(f"{base}/v1/convert/file", data={"force_ocr": "true"},
                                     files={"files": ("r.pdf", read(SCANNED or REPORT))},
                                     timeout=300))
    threads = [threading.Thread(target=one) for _ in range(3)]
    for t in threads:
        t.start()
    time.sleep(0.5)  # accepted and queued behind the first
    s.proc.send_signal(signal.SIGTERM)
    for t in threads:
        t.join()
    assert s.proc.wait(timeout=120) == 0
    assert [r.status_code for r in results] == [200, 200, 200]
    assert all(r.json()["document"]["md_content"] for r in results)


# --- several documents in one conversion: docling-serve's zip answer ---------------------

def unzip(r):
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "application/zip"
    assert r.headers["Content-Disposition"] == 'attachment; filename="converted_docs.zip"'
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        assert z.testzip() is None  # every CRC checks
        return {name: z.read(name).decode() for name in z.namelist()}


def test_several_files_answer_with_a_zip(server):
    other = CORPUS[-1] if CORPUS[-1] != REPORT else CORPUS[0]
    r = requests.post(f"{server.base}/v1/convert/file",
                      data={"to_formats": ["md", "json", "text"]},
                      files=[("files", ("report.pdf", read(REPORT))),
                             ("files", ("other.pdf", read(other)))], timeout=300)
    entries = unzip(r)
    assert sorted(entries) == ["other.json", "other.md", "other.txt",
                               "report.json", "report.md", "report.txt"]
    assert entries["report.md"] == convert_file(server, REPORT).json()["document"]["md_content"]
    assert DoclingDocument.model_validate_json(entries["other.json"]).texts
    assert entries["report.txt"].strip()
    # One stem twice: both kept.
    r = requests.post(f"{server.base}/v1/convert/file",
                      files=[("files", ("r.pdf", read(REPORT))), ("files", ("r.pdf", read(REPORT)))],
                      timeout=300)
    assert sorted(unzip(r)) == ["r.md", "r_2.md"]


def test_zip_target_for_one_source_and_form(server):
    r = requests.post(f"{server.base}/v1/convert/source",
                      json={**source_body(REPORT), "target": {"kind": "zip"}}, timeout=300)
    assert list(unzip(r)) == ["numbered_report.md"]
    r = convert_file(server, REPORT, target_type="zip", to_formats="json")
    assert list(unzip(r)) == ["numbered_report.json"]
    r = requests.post(f"{server.base}/v1/convert/source",
                      json={**source_body(REPORT), "target": {"kind": "s3"}})
    assert r.status_code == 501 and "target kind" in r.json()["detail"]


def test_async_several_files_result_is_a_zip(server):
    r = requests.post(f"{server.base}/v1/convert/file/async",
                      files=[("files", ("a.pdf", read(REPORT))), ("files", ("b.pdf", read(REPORT)))])
    assert r.status_code == 200, r.text
    task_id = r.json()["task_id"]
    assert poll_until_done(server, task_id)["task_status"] == "success"
    entries = unzip(requests.get(f"{server.base}/v1/result/{task_id}"))
    assert sorted(entries) == ["a.md", "b.md"] and entries["a.md"] == entries["b.md"]
    assert requests.get(f"{server.base}/v1/result/{task_id}").status_code == 404


# --- http sources -------------------------------------------------------------------------

HTTP_LIMIT = 1_000_000  # --docling-max-file-size of the http server below


class Origin(http.server.BaseHTTPRequestHandler):
    """The documents an http source may name, on 127.0.0.1 (the allowed host)."""

    def log_message(self, *args):
        pass

    def send(self, code, body=b"", content_type="application/pdf", headers=()):
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # /big.pdf: the server stops reading at its size limit

    def do_GET(self):
        port = self.server.server_address[1]
        path = self.path.split("?")[0]
        if path == "/docs/report.pdf":
            return self.send(200, read(REPORT))
        if path == "/private/report.pdf":
            ok = self.headers.get("Authorization") == "Bearer secret"
            return self.send(200, read(REPORT)) if ok else self.send(401, b"no", "text/plain")
        if path == "/moved":
            return self.send(302, headers=[("Location", "/docs/report.pdf")])
        if path == "/away":  # same machine, a host name that is not allowed
            return self.send(302, headers=[("Location", f"http://localhost:{port}/docs/report.pdf")])
        if path == "/loop":
            return self.send(302, headers=[("Location", "/loop")])
        if path == "/big.pdf":
            return self.send(200, b"%PDF-1.4\n" + b"0" * (HTTP_LIMIT + 10))
        if path == "/page.html":
            return self.send(200, b"<html>not a pdf</html>", "text/html")
        if path == "/slow.pdf":
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            time.sleep(4)
            return
        self.send(404, b"not found", "text/plain")


@pytest.fixture(scope="module")
def origin():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Origin)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def http_server(tmp_path_factory):
    s = Server(repo_with_docling(tmp_path_factory),
               ["--docling-http-allow", "127.0.0.1,docs.example.com",
                "--docling-max-file-size", str(HTTP_LIMIT), "--docling-http-timeout-secs", "2"])
    s.base = f"http://{s.url}"
    yield s
    assert s.stop() == 0


def convert_url(server, url, headers=None, path="/v1/convert/source", **extra):
    source = {"kind": "http", "url": url}
    if headers is not None:
        source["headers"] = headers
    return requests.post(f"{server.base}{path}", json={"sources": [source], **extra}, timeout=120)


def test_http_source_converts(http_server, origin):
    r = convert_url(http_server, f"{origin}/docs/report.pdf")
    assert r.status_code == 200, r.text
    doc = r.json()["document"]
    assert doc["filename"] == "report.pdf"
    assert doc["md_content"] == convert_file(http_server, REPORT).json()["document"]["md_content"]
    # Redirects within the allowed host, the caller's headers, and async.
    assert convert_url(http_server, f"{origin}/moved").json()["document"]["md_content"] == \
        doc["md_content"]
    r = convert_url(http_server, f"{origin}/private/report.pdf",
                    headers={"Authorization": "Bearer secret"})
    assert r.status_code == 200, r.text
    task = convert_url(http_server, f"{origin}/docs/report.pdf",
                       path="/v1/convert/source/async").json()
    assert poll_until_done(http_server, task["task_id"])["task_status"] == "success"
    fetched = requests.get(f"{http_server.base}/v1/result/{task['task_id']}").json()
    assert fetched["document"]["md_content"] == doc["md_content"]
    # Two http sources: a zip.
    r = requests.post(f"{http_server.base}/v1/convert/source", timeout=120, json={"sources": [
        {"kind": "http", "url": f"{origin}/docs/report.pdf"},
        {"kind": "http", "url": f"{origin}/moved"}]})
    assert sorted(unzip(r)) == ["moved.md", "report.md"]


@pytest.mark.parametrize("path,status,words", [
    ("/nothing.pdf", 400, "404"),
    ("/private/report.pdf", 400, "401"),
    ("/away", 400, "'localhost', which is not in --docling-http-allow"),
    ("/loop", 400, "redirects"),
    ("/big.pdf", 413, "over the size limit"),
    ("/page.html", 400, "not a PDF"),
    ("/slow.pdf", 400, "timed out"),
])
def test_http_source_refusals(http_server, origin, path, status, words):
    r = convert_url(http_server, f"{origin}{path}")
    assert r.status_code == status, r.text
    assert words in r.json()["detail"], r.json()["detail"]


def test_http_source_refused_before_fetching(http_server, origin):
    port = origin.rsplit(":", 1)[1]
    cases = [(f"http://localhost:{port}/docs/report.pdf", 400, "not in --docling-http-allow"),
             (f"http://x:y@127.0.0.1:{port}/docs/report.pdf", 400, "user information"),
             (f"http://docs.example.com@localhost:{port}/a.pdf", 400, "user information"),
             ("https://127.0.0.1/a.pdf", 501, "https"),
             ("ftp://127.0.0.1/a.pdf", 501, "scheme"),
             ("http://127.0.0.1:1/a.pdf", 400, "connect")]
    for url, status, words in cases:
        r = convert_url(http_server, url)
        assert r.status_code == status, (url, r.text)
        assert words in r.json()["detail"], (url, r.json()["detail"])
    assert convert_url(http_server, f"{origin}/docs/report.pdf").status_code == 200


# --- encrypted PDFs -------------------------------------------------------------------------

def encrypted(tmp_path, user_password):
    if shutil.which("qpdf") is None:
        pytest.skip("qpdf is not installed (scripts/install_deps.sh installs it)")
    out = tmp_path / f"encrypted_{user_password or 'empty'}.pdf"
    subprocess.run(["qpdf", "--encrypt", user_password, "ownerpw", "256", "--", REPORT, str(out)],
                   check=True)
    return str(out)


def test_encrypted_pdfs(server, tmp_path):
    r = convert_file(server, encrypted(tmp_path, ""))
    assert r.status_code == 200, r.text
    assert r.json()["document"]["md_content"] == \
        convert_file(server, REPORT).json()["document"]["md_content"]
    r = convert_file(server, encrypted(tmp_path, "userpw"))
    assert r.status_code == 400, r.text
    assert "encrypted and needs a password" in r.json()["detail"]
