"""Throughput of the digits real-training search on 1 and 2 workers: inline, process pool, Ray.

The search of examples/digits.toml (LayerNAS over a MobileNetV2-style space on
scikit-learn's digits, every candidate really trained, one torch thread per trial) with a
fixed budget, run three ways from the same seed:

  inline     1 worker, in this process (the baseline)
  process    a local pool of N spawned worker processes
  ray        N Ray tasks at once on a local Ray with N CPUs

It prints candidates per second and the speedup over inline, and checks that every run
trained the same candidates with the same rewards. The process pool's time includes
spawning its workers (each imports torch); Ray is started before the clock starts (as a
cluster would be) and its start-up time is printed separately. Run:

    python bench/scaling.py                 # budget 24, 2 workers
    python bench/scaling.py --budget 40 --workers 2 --only inline,process
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

import layernas as ln
from layernas.config import SearchConfig, load_config

CONFIG = Path(__file__).parents[1] / "examples" / "digits.toml"


def run(cfg: SearchConfig, budget: int, executor: str,
        workers: int) -> tuple[float, ln.SearchResult]:
    """One fresh search (its own new journal) of ``cfg`` on ``executor``."""
    with tempfile.TemporaryDirectory() as folder:
        cfg = cfg.with_overrides(budget=budget, executor=executor, workers=workers,
                                 journal=Path(folder) / "journal.sqlite")
        start = time.perf_counter()
        result = cfg.run(progress=False)
        return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--budget", type=int, default=24, help="trained candidates per run")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", default="inline,process,ray", help="comma-separated runs")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # torch in workers: one thread each

    cfg = load_config(CONFIG)
    threads = getattr(cfg.reward, "threads", None)
    cfg.reward(cfg.space.sample(np.random.default_rng(0)))  # load the data, warm up torch
    print(f"digits search, budget {args.budget}, {args.workers} workers, torch threads per "
          f"trial: {threads}, {os.cpu_count()} CPUs")

    runs = [name for name in args.only.split(",") if name]
    if "ray" in runs:
        from layernas.executors.ray import init_ray

        start = time.perf_counter()
        init_ray(num_cpus=args.workers)
        print(f"ray start-up (not counted below): {time.perf_counter() - start:.1f} s")

    results = {}
    baseline = None
    print(f"{'executor':>8} {'workers':>7} {'seconds':>8} {'cand/s':>7} {'speedup':>8}")
    for name in runs:
        workers = 1 if name == "inline" else args.workers
        seconds, result = run(cfg, args.budget, name, workers)
        rate = result.trained / seconds
        baseline = baseline or (rate if name == "inline" else None)
        speedup = f"{rate / baseline:.2f}x" if baseline else "-"
        print(f"{name:>8} {workers:>7} {seconds:>8.1f} {rate:>7.3f} {speedup:>8}")
        results[name] = [(t.arch, t.reward) for t in result.trials]
    first = next(iter(results.values()))
    same = all(r == first for r in results.values())
    print("same candidates and rewards in every run:", same)
    best = result.best
    if best is not None:
        print(f"best: val accuracy {best.reward:.2f}%, MAdds {best.cost:.0f}")


if __name__ == "__main__":
    main()
