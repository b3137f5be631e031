"""A Ray Tune experiment written as Ray Tune's documentation teaches, searching the NATS-Bench
size table with LayerNASSearch; the integration tests run it in-process and as a killed driver
(``python ray_tune_search.py STORAGE_PATH NAME``, which then sleeps in every training).
"""

from __future__ import annotations

import sys
import time

from ray import tune

import layernas as ln
from layernas.integrations.ray_tune import LayerNASSearch

BENCH = ln.benchmarks.load("nats-sss", dataset="cifar10")
RANGE = (0.0, 0.25 * BENCH.max_cost)
STRATEGY = {"buckets": 3, "keep": 1}  # trains 21 candidates, then finishes


def searcher() -> LayerNASSearch:
    return LayerNASSearch(BENCH.space, cost=BENCH.cost, cost_range=RANGE,
                          strategy=ln.LayerNAS(**STRATEGY), metric="accuracy", mode="max", seed=0)


def serial() -> ln.SearchResult:
    return ln.search(BENCH.space, BENCH.reward, BENCH.cost, RANGE,
                     strategy=ln.LayerNAS(**STRATEGY), seed=0, progress=False)


def train(config: dict) -> None:
    time.sleep(config.get("sleep", 0.0))
    arch = tuple(config[layer.name] for layer in BENCH.space.layers)
    tune.report({"accuracy": BENCH.reward(arch)})


def tuner(search: LayerNASSearch, concurrent: int, storage: str, name: str,
          sleep: float = 0.0) -> tune.Tuner:
    return tune.Tuner(
        train,
        param_space={"sleep": sleep},
        tune_config=tune.TuneConfig(search_alg=search, num_samples=100,
                                    max_concurrent_trials=concurrent, reuse_actors=True),
        run_config=tune.RunConfig(storage_path=storage, name=name, verbose=0),
    )


def trained(results: tune.ResultGrid) -> list[tuple]:
    """The architectures of the experiment's trials, in the order they were created."""
    ordered = sorted(results, key=lambda r: int(r.metrics["experiment_tag"].split("_", 1)[0]))
    return [tuple(r.config[layer.name] for layer in BENCH.space.layers) for r in ordered]


if __name__ == "__main__":
    from layernas.executors.ray import init_ray

    init_ray(num_cpus=2)
    tuner(searcher(), 2, sys.argv[1], sys.argv[2], sleep=0.5).fit()
