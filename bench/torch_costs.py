"""Costs of real-training searches: MAdds counting, training time, peak memory.

Prints (1) milliseconds to count MAdds of a new architecture in each model space,
(2) seconds per trained candidate on digits with examples/digits.toml's proxy training,
(3) peak resident memory of a small digits search (driver and worker processes). Run:
    python bench/torch_costs.py
"""

from __future__ import annotations

import resource
import statistics
import time

import numpy as np

import layernas as ln
from layernas.problem import Problem
from layernas.torch import spaces
from layernas.torch.problem import TrainingProblem


def counting_ms(name: str, samples: int = 20) -> float:
    model_space = spaces.make(name)
    rng = np.random.default_rng(0)
    archs = {model_space.space.sample(rng) for _ in range(samples)}
    start = time.perf_counter()
    for arch in archs:
        model_space.cost(arch)
    return (time.perf_counter() - start) / len(archs) * 1e3


def main() -> None:
    for name in ("nats_sss", "nas_bench_macro", "mobilenet_v2"):
        print(f"MAdds counting, {name:16}: {counting_ms(name):6.1f} ms per new architecture")
    problem = TrainingProblem("mobilenet_v2", "digits", epochs=4)
    cost_range = Problem(problem.space, problem.cost, ln.MaxCostFraction(0.5)).cost_range
    rng = np.random.default_rng(1)
    archs = [a for a in (problem.space.sample(rng) for _ in range(200))
             if problem.cost(a) <= cost_range[1]][:10]
    seconds = []
    for arch in archs:
        start = time.perf_counter()
        problem.reward(arch)
        seconds.append(time.perf_counter() - start)
    print(f"training, digits, 4 epochs, 1 thread: {statistics.mean(seconds):.2f} s per candidate "
          f"(median {statistics.median(seconds):.2f}, max {max(seconds):.2f}, {len(seconds)} archs)")
    result = ln.search(problem.space, problem.reward, problem.cost, cost_range,
                       strategy=ln.RandomSearch(), budget=12, workers=2, progress=False)
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak memory of a {result.trained}-candidate search with 2 workers: driver {me:.0f} MiB, "
          f"largest worker {workers:.0f} MiB")


if __name__ == "__main__":
    main()
