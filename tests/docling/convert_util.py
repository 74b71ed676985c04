"""Runs the real `fourbrain convert` binary for the PDF-conversion tests (helpers and the
`fourbrain` fixture; no conftest.py, so that tests/server's `from conftest import ...` keeps
working when both folders run in one pytest session).

The binary comes from FOURBRAIN_BINARY (what ctest sets, as for tests/server) or FOURBRAIN_BIN,
else build/fourbrain. Every test that needs it skips, with the reason, when the binary is
missing or has no `convert` subcommand yet.
"""
import functools
import os
import re
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "../.."))
BINARY = (os.environ.get("FOURBRAIN_BINARY") or os.environ.get("FOURBRAIN_BIN") or
          os.path.join(REPO, "build/fourbrain"))
CORPUS = os.path.join(REPO, "tests/data/docling/corpus")
# One conversion of a small corpus PDF on 2 CPU cores (layout model included).
CONVERT_TIMEOUT_S = float(os.environ.get("FOURBRAIN_CONVERT_TIMEOUT", "600"))


@functools.lru_cache(maxsize=None)
def convert_available():
    """None when `fourbrain convert` can run, else why not."""
    if not os.path.isfile(BINARY) or not os.access(BINARY, os.X_OK):
        return f"no fourbrain binary at {BINARY} (build it, or set FOURBRAIN_BINARY)"
    out = subprocess.run([BINARY, "--help"], capture_output=True, text=True, timeout=60)
    if not re.search(r"^\s+convert\b", out.stdout + out.stderr, re.M):
        return f"{BINARY} has no `convert` subcommand yet (`fourbrain --help` does not list it)"
    return None


@pytest.fixture(scope="session")
def fourbrain():
    """The binary's path; skips (saying why) when it is missing or has no `convert` yet."""
    why = convert_available()
    if why:
        pytest.skip(why)
    return BINARY


class Conversion:
    def __init__(self, args, proc, seconds):
        self.args = args
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.seconds = seconds

    def describe(self):
        err = self.stderr.decode("utf-8", "replace")
        return (f"`{' '.join(self.args)}` exited {self.returncode} after {self.seconds:.1f} s; "
                f"stderr (last 2000 chars):\n{err[-2000:]}")


@functools.lru_cache(maxsize=None)
def run_convert(pdf, to="json", extra=(), timeout=CONVERT_TIMEOUT_S):
    """`fourbrain convert PDF --to FMT [extra...]`, output on stdout; cached per arguments."""
    import time
    args = [BINARY, "convert", pdf, "--to", to, *extra]
    t0 = time.monotonic()
    proc = subprocess.run(args, capture_output=True, timeout=timeout)
    return Conversion(args, proc, time.monotonic() - t0)
