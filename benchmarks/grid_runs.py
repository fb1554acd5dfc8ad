"""A grid of short runs with one compiled model per architecture and settings (what the grid does), against
a compiled model per run (what it did before), side by side: README command 1 by default.

Each grid runs in a process of its own (so neither finds the other's traced functions or caches), the
two alternating; the ratio of the medians is printed with whether every run's test accuracy and loss
came out the same. The per-run grid is the shared one with `CompiledModels.take` finding nothing.

    python benchmarks/grid_runs.py [--repeats=3] [-- SANITY_FLAGS...]
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, CHECKOUT)  # run from a checkout

DEFAULT = ["--flagfile=configs/embedded_sanity.cfg"]


def one_grid(kept: bool, run_dir: str, flags) -> dict:
    """Runs the sanity grid in this process; {seconds, results: {run: (accuracy, loss)}}."""
    from tf_tickets import cli, sanity
    from tf_tickets.training.compiled import CompiledModels

    if not kept:
        CompiledModels.take = lambda self, key, model: None  # every run compiles its own model
    os.chdir(CHECKOUT)
    start = time.perf_counter()
    code = cli.run_in_process(sanity.main, "tf_tickets.sanity", [*flags, f"--run_dir={run_dir}"])
    seconds = time.perf_counter() - start
    if code:
        sys.exit(f"grid_runs: the grid failed with exit code {code}")
    results = {}
    for path in sorted(pathlib.Path(run_dir).rglob("results.json")):
        done = json.loads(path.read_text())
        results[str(path.parent.relative_to(run_dir))] = (done["test_accuracy"], done["test_loss"])
    return {"seconds": seconds, "results": results}


def in_own_process(kept: bool, flags) -> dict:
    with tempfile.TemporaryDirectory() as root:
        done = subprocess.run([sys.executable, __file__, "--child", "kept" if kept else "own", "--run_dir", root,
                               "--", *flags], capture_output=True, text=True,
                              env={**os.environ, "TF_TICKETS_OFFLINE": "1"})
    if done.returncode:
        last = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
        sys.exit(f"grid_runs: a grid failed: {last}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", choices=("kept", "own"), help=argparse.SUPPRESS)
    parser.add_argument("--run_dir", help=argparse.SUPPRESS)
    args, flags = parser.parse_known_args()
    flags = [f for f in flags if f != "--"] or DEFAULT
    if args.child:
        print(json.dumps(one_grid(args.child == "kept", args.run_dir, flags)), flush=True)
        return
    grids = {True: [], False: []}
    for _ in range(args.repeats):
        for kept in (False, True):
            grids[kept].append(in_own_process(kept, flags))
    own, kept = (statistics.median(g["seconds"] for g in grids[k]) for k in (False, True))
    same = all(g["results"] == grids[False][0]["results"] for k in (False, True) for g in grids[k])
    runs = len(grids[True][0]["results"])
    print(f"{' '.join(flags)}: {runs} runs, {os.cpu_count()} CPU cores, medians of {args.repeats}, alternating")
    print("| a compiled model per run (s) | one per architecture and settings (s) | ratio | same results |")
    print("|---:|---:|---:|---|")
    print(f"| {own:.1f} | {kept:.1f} | {kept / own:.2f} | {'yes' if same else 'NO'} |")
    for k, label in ((False, "per run"), (True, "shared")):
        print(f"{label}: " + ", ".join(f"{g['seconds']:.1f}" for g in grids[k]) + " s")


if __name__ == "__main__":
    main()
