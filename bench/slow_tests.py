"""The slow test tier (`pytest -m slow`): run by the benchmark, not by `make test`.

These are end-to-end attacks and simulations that take a minute or more each; `make test`
keeps one test of each kind and the benchmark runs the rest, reporting pass/fail and time.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def bench_slow() -> dict[str, Any]:
    """Run every test marked slow and print the outcome.

    Returns:
        Exit code, seconds and pytest's last summary line.
    """
    print("\n== slow test tier (pytest -m slow) ==")
    t = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-m", "slow", "-p", "no:cacheprovider", "tests"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - t
    lines = [ln for ln in out.stdout.strip().splitlines() if ln.strip()]
    summary = lines[-1] if lines else out.stderr.strip()[-300:]
    print(f"  {summary} · {seconds:.0f} s" + ("" if out.returncode == 0 else "  ← FAILED"))
    return {"returncode": out.returncode, "seconds": seconds, "summary": summary}
