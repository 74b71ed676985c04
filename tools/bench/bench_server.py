#!/usr/bin/env python3
"""HTTP load benchmark: `fourbrain serve` against the FastAPI + transformers baseline.

One short sentence per request to the tiny embedding model (models/qwen3-tiny-embedding,
checkpoint build/testdata/qwen3-tiny-embedding), at each concurrency C (default 1,16,64,256):

  fourbrain, wrk            wrk -t1 -cC -d10s --latency --timeout 30s -s tools/bench/infer.lua
                            (KServe v2 JSON infer body): requests/s, p50, p99
  fourbrain, perf_analyzer  perf_analyzer -m qwen3-tiny-embedding -u localhost:PORT
                            --string-data "<sentence>" --concurrency-range C:C -p 5000
                            --max-trials 5 -f out.csv  (HTTP, binary tensors): infer/s, p50,
                            p99 and the server-side breakdown it prints (overhead, queue,
                            compute input/infer/output)
  baseline, wrk             tools/bench/fastapi_baseline.py (FastAPI + uvicorn, 1 worker,
                            transformers on CPU, no batching across requests), same wrk
                            command and Lua script

and the server's own overhead per request at C=1: wrk's p50 (and mean) latency minus the
model's mean compute time per request (compute_input + compute_infer + compute_output) over
the same wrk run, from GET /v2/models/<model>/stats; the batcher's queue time is shown apart.

The servers run one after the other on free ports and are always stopped at the end (also on
errors and Ctrl-C). wrk and perf_analyzer run on the same machine as the server, so on a small
machine the client takes part of the CPU: record `nproc` with the numbers (the JSON does).

Prints a Markdown table and writes it, the raw numbers, the commands and the machine to the
JSON file given by --out.

Needs: build/fourbrain; Debian's wrk; .venv (tritonclient[http]==2.50.0 ships perf_analyzer;
it needs libcudart.so.12 from nvidia-cuda-runtime-cu12 and Debian's libb64-0d); a venv with
torch, transformers, fastapi and uvicorn for the baseline (tools/bench/requirements-bench.txt;
/work/venv-bench by default).

Usage:
  .venv/bin/python tools/bench/bench_server.py --out build/bench_server.json
  # quick end-to-end check (2 s per point, relaxed perf_analyzer stability):
  .venv/bin/python tools/bench/bench_server.py --duration 2 --pa-interval-ms 1000 \\
      --pa-stability 50 --out /tmp/bench_smoke.json
Options: --concurrency 1,16,64,256  --duration 10 (wrk seconds)  --skip-baseline
  --skip-perf-analyzer  --baseline-python PATH  --http-thread-count N  --threads N (fourbrain)
  --text "..."  (see --help).
"""
import argparse
import csv
import glob
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODEL = "qwen3-tiny-embedding"
DEFAULT_TEXT = "The quick brown fox jumps over the lazy dog."


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read()


class Server:
    """A server process in its own process group; stop() always ends it (TERM, then KILL)."""

    def __init__(self, name, cmd, ready_url, log_path, env=None):
        self.name, self.cmd, self.ready_url, self.log_path = name, cmd, ready_url, log_path
        self.proc = None
        self.log_file = open(log_path, "wb")
        log(f"[{name}] starting: {shlex.join(cmd)}  (log {log_path})")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=self.log_file, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True, env=env)

    def wait_ready(self, timeout_s):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode} before ready; "
                                   f"see {self.log_path}:\n{self.tail()}")
            try:
                if http_get(self.ready_url, timeout=2)[0] == 200:
                    return
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready after {timeout_s}s; see {self.log_path}")

    def tail(self, n=20):
        try:
            with open(self.log_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-n:]).decode(errors="replace")
        except OSError:
            return ""

    def stop(self, grace_s=15):
        """Returns the exit code, or None when it had to be killed."""
        if self.proc is None:
            return None
        code = self.proc.poll()
        if code is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                code = self.proc.wait(grace_s)
            except subprocess.TimeoutExpired:
                log(f"[{self.name}] did not stop within {grace_s}s of SIGTERM; killing it")
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait()
                code = None
        else:
            # Exited on its own; make sure nothing it started lingers in its group.
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self.proc = None
        self.log_file.close()
        return code


# ---- wrk ----------------------------------------------------------------------------------

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def wrk_ms(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text.strip())
    if not m:
        raise ValueError(f"unexpected wrk latency '{text}'")
    return float(m.group(1)) * _UNITS[m.group(2)]


def parse_wrk(out):
    r = {}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not m:
        raise RuntimeError(f"no Requests/sec in wrk output:\n{out}")
    r["rps"] = float(m.group(1))
    for pct in ("50", "75", "90", "99"):
        m = re.search(rf"^\s+{pct}%\s+(\S+)", out, re.M)
        if m:
            r[f"p{pct}_ms"] = wrk_ms(m.group(1))
    m = re.search(r"^\s+Latency\s+(\S+)\s+(\S+)\s+(\S+)", out, re.M)
    if m:
        r["mean_ms"], r["stdev_ms"], r["max_ms"] = (wrk_ms(g) for g in m.groups())
    m = re.search(r"(\d+) requests in ([\d.]+\w+)", out)
    r["requests"] = int(m.group(1)) if m else None
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    r["non_2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    r["socket_errors"] = dict(zip(("connect", "read", "write", "timeout"),
                                  map(int, m.groups()))) if m else {}
    return r


def run_wrk(url, conns, duration, text, commands, label, threads=1):
    cmd = ["wrk", f"-t{threads}", f"-c{conns}", f"-d{duration}s", "--latency", "--timeout", "30s",
           "-s", os.path.join("tools", "bench", "infer.lua"), url]
    env = dict(os.environ, BENCH_MODEL=MODEL, BENCH_TEXT=text)
    commands.append({"what": label, "cmd": f"BENCH_TEXT={shlex.quote(text)} " + shlex.join(cmd)})
    p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                       timeout=duration + 60)
    if p.returncode != 0:
        raise RuntimeError(f"wrk failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    r = parse_wrk(p.stdout)
    r["raw"] = p.stdout
    errors = r["non_2xx"] + sum(r["socket_errors"].values())
    log(f"  {label}: {r['rps']:.1f} req/s  p50 {r.get('p50_ms', 0):.3f} ms  "
        f"p99 {r.get('p99_ms', 0):.3f} ms" + (f"  ERRORS {errors}" if errors else ""))
    return r


# ---- perf_analyzer ------------------------------------------------------------------------

def perf_analyzer_env(venv):
    env = dict(os.environ)
    libs = glob.glob(os.path.join(venv, "lib", "python3*", "site-packages", "nvidia",
                                  "cuda_runtime", "lib"))
    if libs:
        env["LD_LIBRARY_PATH"] = ":".join(libs + [env.get("LD_LIBRARY_PATH", "")]).rstrip(":")
    return env


def parse_perf_analyzer(stdout, csv_path):
    r = {}
    with open(csv_path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise RuntimeError("perf_analyzer wrote an empty CSV")
    row = rows[-1]
    r["infer_per_s"] = float(row["Inferences/Second"])
    for pct in ("50", "90", "95", "99"):
        r[f"p{pct}_us"] = float(row[f"p{pct} latency"])
    r["csv"] = row
    m = re.search(r"Avg request latency: (\d+) usec \(overhead (\d+) usec \+ queue (\d+) usec \+ "
                  r"compute input (\d+) usec \+ compute infer (\d+) usec \+ compute output "
                  r"(\d+) usec\)", stdout)
    if m:
        keys = ("request", "overhead", "queue", "compute_input", "compute_infer", "compute_output")
        r["server_us"] = dict(zip(keys, map(int, m.groups())))
    m = re.search(r"Avg HTTP time: (\d+) usec \(send/recv (\d+) usec \+ response wait (\d+) usec\)",
                  stdout)
    if m:
        r["client_http_us"] = dict(zip(("total", "send_recv", "response_wait"),
                                       map(int, m.groups())))
    return r


def run_perf_analyzer(args, port, conc, commands):
    with tempfile.TemporaryDirectory(prefix="fb_pa_") as tmp:
        csv_path = os.path.join(tmp, "out.csv")
        cmd = [args.perf_analyzer, "-m", MODEL, "-u", f"localhost:{port}", "--string-data", args.text,
               "--concurrency-range", f"{conc}:{conc}", "-p", str(args.pa_interval_ms),
               "--max-trials", str(args.pa_max_trials), "--max-threads", str(conc),
               "-f", csv_path]
        if args.pa_stability is not None:
            cmd += ["--stability-percentage", str(args.pa_stability)]
        shown = [c if c != csv_path else "out.csv" for c in cmd]
        commands.append({"what": f"fourbrain perf_analyzer c={conc}", "cmd": shlex.join(shown)})
        # Sync mode needs one client thread per concurrent request; on a small machine the
        # client competes with the server and a trial can take several windows.
        timeout = args.pa_interval_ms / 1000 * (args.pa_max_trials + 2) * 3 + 120
        try:
            p = subprocess.run(cmd, cwd=tmp, env=perf_analyzer_env(args.venv), capture_output=True,
                               text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"error": f"perf_analyzer timed out after {timeout:.0f}s"}
        out = p.stdout + p.stderr
        if p.returncode != 0 or not os.path.exists(csv_path):
            msg = "; ".join(l.strip() for l in out.splitlines()
                            if "Failed" in l or "error" in l.lower()) or out[-500:]
            log(f"  perf_analyzer c={conc}: FAILED ({p.returncode}): {msg}")
            return {"error": msg, "returncode": p.returncode, "raw": out}
        r = parse_perf_analyzer(p.stdout, csv_path)
        r["raw"] = p.stdout
        s = r.get("server_us", {})
        log(f"  perf_analyzer c={conc}: {r['infer_per_s']:.1f} infer/s  p50 {r['p50_us']:.0f} us  "
            f"p99 {r['p99_us']:.0f} us  server: overhead {s.get('overhead')} us, queue "
            f"{s.get('queue')} us, compute infer {s.get('compute_infer')} us")
        return r


# ---- statistics ---------------------------------------------------------------------------

def model_stats(port):
    _, body = http_get(f"http://127.0.0.1:{port}/v2/models/{MODEL}/stats")
    s = json.loads(body)["model_stats"][0]["inference_stats"]
    return {k: (int(v["count"]), int(v["ns"])) for k, v in s.items()}


def stats_delta(before, after):
    out = {}
    for k in after:
        c = after[k][0] - before.get(k, (0, 0))[0]
        ns = after[k][1] - before.get(k, (0, 0))[1]
        out[k] = {"count": c, "mean_us": ns / c / 1e3 if c else 0.0}
    return out


def overhead_at_c1(wrk_c1, delta):
    compute = sum(delta[k]["mean_us"] for k in ("compute_input", "compute_infer", "compute_output"))
    queue = delta["queue"]["mean_us"]
    p50_us = wrk_c1["p50_ms"] * 1e3
    mean_us = wrk_c1["mean_ms"] * 1e3
    return {
        "requests": delta["success"]["count"],
        "wrk_p50_us": p50_us,
        "wrk_mean_us": mean_us,
        "server_success_mean_us": delta["success"]["mean_us"],
        "queue_mean_us": queue,
        "compute_input_mean_us": delta["compute_input"]["mean_us"],
        "compute_infer_mean_us": delta["compute_infer"]["mean_us"],
        "compute_output_mean_us": delta["compute_output"]["mean_us"],
        "compute_mean_us": compute,
        # what the request costs beyond the model: HTTP, JSON, tokenizing, scheduling, queue
        "overhead_p50_us": p50_us - compute,
        "overhead_mean_us": mean_us - compute,
        "overhead_p50_without_queue_us": p50_us - compute - queue,
    }


# ---- report -------------------------------------------------------------------------------

def f(v, fmt="{:.1f}"):
    return "n/a" if v is None else fmt.format(v)


def table(conc_list, results):
    head = ("| C | fourbrain wrk req/s | p50 ms | p99 ms | fourbrain PA infer/s | p50 ms | p99 ms "
            "| server overhead µs | baseline wrk req/s | p50 ms | p99 ms | fourbrain/baseline |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for c in conc_list:
        r = results.get(str(c), {})
        fw, pa, bw = r.get("fourbrain_wrk") or {}, r.get("fourbrain_pa") or {}, r.get("baseline_wrk") or {}
        ratio = fw["rps"] / bw["rps"] if fw.get("rps") and bw.get("rps") else None
        lines.append("| " + " | ".join([
            str(c), f(fw.get("rps")), f(fw.get("p50_ms"), "{:.2f}"), f(fw.get("p99_ms"), "{:.2f}"),
            f(pa.get("infer_per_s")),
            f(pa["p50_us"] / 1e3 if "p50_us" in pa else None, "{:.2f}"),
            f(pa["p99_us"] / 1e3 if "p99_us" in pa else None, "{:.2f}"),
            f((pa.get("server_us") or {}).get("overhead"), "{:.0f}"),
            f(bw.get("rps")), f(bw.get("p50_ms"), "{:.2f}"), f(bw.get("p99_ms"), "{:.2f}"),
            f(ratio, "{:.1f}x")]) + " |")
    return "\n".join(lines)


def machine():
    info = {"nproc": int(subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip())}
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    m = re.search(r"Model name:\s+(.*)", lscpu)
    info["cpu"] = m.group(1).strip() if m else "unknown"
    info["uname"] = " ".join(os.uname())
    return info


def errors_of(r):
    return (r.get("non_2xx", 0) + sum(r.get("socket_errors", {}).values())) if r else 0


# ---- main ---------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fourbrain", default=os.path.join(ROOT, "build", "fourbrain"))
    ap.add_argument("--model-repository", default=os.path.join(ROOT, "models"))
    ap.add_argument("--checkpoint", default=os.path.join(ROOT, "build", "testdata", MODEL),
                    help="the HF checkpoint the baseline serves (the one models/ points at)")
    ap.add_argument("--concurrency", default="1,16,64,256")
    ap.add_argument("--duration", type=int, default=10, help="wrk seconds per point")
    ap.add_argument("--warmup", type=int, default=2, help="wrk warm-up seconds per server")
    ap.add_argument("--text", default=DEFAULT_TEXT)
    ap.add_argument("--http-thread-count", type=int, help="fourbrain --http-thread-count")
    ap.add_argument("--threads", type=int, help="fourbrain --threads (compute)")
    ap.add_argument("--venv", default=os.path.join(ROOT, ".venv"), help="venv with perf_analyzer")
    ap.add_argument("--perf-analyzer", default=None, help="default: VENV/bin/perf_analyzer")
    ap.add_argument("--pa-interval-ms", type=int, default=5000, help="perf_analyzer -p")
    ap.add_argument("--pa-max-trials", type=int, default=5)
    ap.add_argument("--pa-stability", type=int, default=None,
                    help="perf_analyzer --stability-percentage (its default: 10)")
    ap.add_argument("--baseline-python", default="/work/venv-bench/bin/python")
    ap.add_argument("--baseline-dtype", default="float32")
    ap.add_argument("--skip-baseline", action="store_true")
    ap.add_argument("--skip-perf-analyzer", action="store_true")
    ap.add_argument("--log-dir", default=None, help="server logs (default: a temp folder)")
    ap.add_argument("--out", help="JSON file for the table, raw numbers, commands, machine")
    args = ap.parse_args()
    args.perf_analyzer = args.perf_analyzer or os.path.join(args.venv, "bin", "perf_analyzer")
    conc_list = [int(c) for c in args.concurrency.split(",")]
    log_dir = args.log_dir or tempfile.mkdtemp(prefix="fb_bench_")
    os.makedirs(log_dir, exist_ok=True)

    report = {"machine": machine(), "text": args.text, "model": MODEL, "concurrency": conc_list,
              "duration_s": args.duration, "commands": [], "results": {str(c): {} for c in conc_list},
              "errors": []}
    commands, results = report["commands"], report["results"]
    servers = []

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_signal)

    exit_code = 0
    try:
        # -- fourbrain --
        port, metrics_port = free_port(), free_port()
        cmd = [args.fourbrain, "serve", "--model-repository", args.model_repository,
               "--http-port", str(port), "--metrics-port", str(metrics_port),
               "--exit-timeout-secs", "5"]
        if args.http_thread_count is not None:
            cmd += ["--http-thread-count", str(args.http_thread_count)]
        if args.threads is not None:
            cmd += ["--threads", str(args.threads)]
        fb = Server("fourbrain", cmd, f"http://127.0.0.1:{port}/v2/models/{MODEL}/ready",
                    os.path.join(log_dir, "fourbrain.log"))
        servers.append(fb)
        commands.append({"what": "fourbrain server", "cmd": shlex.join(cmd)})
        fb.wait_ready(120)
        url = f"http://127.0.0.1:{port}"
        log("[fourbrain] warm-up")
        run_wrk(url, 16, args.warmup, args.text, [], "warm-up")
        for c in conc_list:
            before = model_stats(port) if c == 1 else None
            r = run_wrk(url, c, args.duration, args.text, commands, f"fourbrain wrk c={c}")
            results[str(c)]["fourbrain_wrk"] = r
            if c == 1:
                delta = stats_delta(before, model_stats(port))
                report["overhead_c1"] = overhead_at_c1(r, delta)
                report["stats_delta_c1"] = delta
        if not args.skip_perf_analyzer:
            for c in conc_list:
                results[str(c)]["fourbrain_pa"] = run_perf_analyzer(args, port, c, commands)
        code = fb.stop()
        report["fourbrain_exit_code"] = code
        if code != 0:
            report["errors"].append(f"fourbrain exited with {code} on SIGTERM")

        # -- baseline --
        if not args.skip_baseline:
            bport = free_port()
            cmd = [args.baseline_python, os.path.join("tools", "bench", "fastapi_baseline.py"),
                   args.checkpoint, "--port", str(bport), "--dtype", args.baseline_dtype]
            bl = Server("baseline", cmd, f"http://127.0.0.1:{bport}/v2/health/ready",
                        os.path.join(log_dir, "baseline.log"))
            servers.append(bl)
            commands.append({"what": "baseline server", "cmd": shlex.join(cmd)})
            bl.wait_ready(300)
            burl = f"http://127.0.0.1:{bport}"
            log("[baseline] warm-up")
            run_wrk(burl, 16, args.warmup, args.text, [], "warm-up")
            for c in conc_list:
                results[str(c)]["baseline_wrk"] = run_wrk(burl, c, args.duration, args.text,
                                                          commands, f"baseline wrk c={c}")
            bl.stop()
    except KeyboardInterrupt as e:
        report["errors"].append(f"interrupted: {e}")
        exit_code = 130
    except Exception as e:  # report what we have, then fail
        report["errors"].append(f"{type(e).__name__}: {e}")
        log(f"ERROR: {type(e).__name__}: {e}")
        exit_code = 1
    finally:
        for s in servers:
            s.stop()

    for c in conc_list:
        for key in ("fourbrain_wrk", "baseline_wrk"):
            n = errors_of(results[str(c)].get(key))
            if n:
                report["errors"].append(f"{key} c={c}: {n} failed requests")
        if "error" in (results[str(c)].get("fourbrain_pa") or {}):
            report["errors"].append(f"perf_analyzer c={c}: {results[str(c)]['fourbrain_pa']['error']}")

    md = table(conc_list, results)
    report["table_markdown"] = md
    m = report["machine"]
    print(f"\n## fourbrain serve vs FastAPI + transformers ({MODEL}, one sentence per request)\n")
    print(f"Machine: {m['cpu']}, nproc {m['nproc']}. wrk {args.duration}s per point; "
          f"perf_analyzer -p {args.pa_interval_ms}. Text: \"{args.text}\"\n")
    print(md)
    o = report.get("overhead_c1")
    if o:
        print(f"\nServer overhead at concurrency 1 (wrk, {o['requests']} requests): "
              f"p50 {o['wrk_p50_us']:.0f} µs - compute {o['compute_mean_us']:.0f} µs "
              f"(input {o['compute_input_mean_us']:.0f} + infer {o['compute_infer_mean_us']:.0f} + "
              f"output {o['compute_output_mean_us']:.0f}) = {o['overhead_p50_us']:.0f} µs, of which "
              f"batcher queue {o['queue_mean_us']:.0f} µs (mean latency {o['wrk_mean_us']:.0f} µs "
              f"-> overhead {o['overhead_mean_us']:.0f} µs)")
    print("\nCommands:")
    for c in commands:
        print(f"  # {c['what']}\n  {c['cmd']}")
    if report["errors"]:
        print("\nErrors:\n  " + "\n  ".join(report["errors"]))
        exit_code = exit_code or 1
    print(f"\nServer logs: {log_dir}")
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as fh:
            json.dump(report, fh, indent=1)
        print(f"Wrote {args.out}")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
