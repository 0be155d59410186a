"""Run every speed benchmark and print one table of the ratios each measured in its own run.

Each ``scripts/bench_*.py`` compares against a baseline measured in the same run and prints result lines
(:func:`bench_common.result`); this collects them. ``--quick`` shrinks the workloads (fewer/shorter clips,
fewer predictions) for a smoke run; the default sizes are the ones the README quotes. Not a test.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from bench_common import machine, markdown_table, read_results

HERE = Path(__file__).resolve().parent

# script -> (full arguments, quick arguments)
BENCHES = {
    "bench_warps.py": ([], ["--height", "360"]),  # the real-footage montages, 720p in full
    "bench_build.py": (
        [],
        [
            "--videos",
            "8",
            "--requests",
            "16",
            "--repeats",
            "1",
            "--sizes",
            "20",
            "100",
            "--rss-backends",
            "dummy",
        ],
    ),
    "bench_metrics.py": ([], ["--n", "10000", "--repeat", "1"]),
    "bench_dpo.py": ([], ["--quick"]),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small workloads, for a smoke run")
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHES), help="run only these scripts")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # the benches' setting, unless the caller chose one
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    fetched = HERE.parent / ".venv" / "lmms-eval-0.7.3"  # where scripts/test.sh unpacks it
    if "LMMS_EVAL_SRC" not in env and fetched.is_dir():
        env["LMMS_EVAL_SRC"] = str(fetched)
    rows, failures = [], []
    for script, (full, quick) in BENCHES.items():
        if args.only and script not in args.only:
            continue
        started = time.perf_counter()
        print(f">> {script} {' '.join(quick if args.quick else full)}", flush=True)
        done = subprocess.run(
            [sys.executable, str(HERE / script), *(quick if args.quick else full)],
            env=env,
            capture_output=True,
            text=True,
        )
        found = read_results(done.stdout)
        if done.returncode or not found:
            failures.append(script)
            print(done.stdout[-2000:] + done.stderr[-2000:], file=sys.stderr)
        rows += found
        print(f"   {len(found)} results in {time.perf_counter() - started:.0f} s", flush=True)
    print(f"\nmachine: {machine()}{' (quick sizes)' if args.quick else ''}\n")
    table = [[f"bench_{r['bench']}.py", r["measure"], r["value"], r["target"]] for r in rows]
    print(markdown_table(["bench", "measure", "value", "target / verdict"], table))
    if failures:
        print(f"\nfailed or printed no result line: {', '.join(failures)}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
