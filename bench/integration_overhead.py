"""Overhead per trial of the Optuna and Ray Tune integrations, and of Optuna's samplers as
layernas strategies, on the NATS-Bench size table (a training is a table lookup, so what is
timed is the machinery).

    python bench/integration_overhead.py [--trials 60] [--gp-trials 12] [--no-ray]

Prints, per trial (mean over the trials of one run):
- Optuna, in-memory and SQLite storage: a study with LayerNASSampler against the same study
  with Optuna's RandomSampler (its cheapest sampler); the difference is the sampler's cost;
- Ray Tune: LayerNASSearch's own time (suggest + on_trial_complete, timed inside a real
  Tuner.fit) and the whole fit per trial against Tune's default searcher on the same space;
- ln.search with OptunaTPE / OptunaNSGA2 / OptunaGP against RandomSearch (sampler time).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import optuna

import layernas as ln
from layernas.integrations.optuna import LayerNASSampler, suggest_arch

BENCH = ln.benchmarks.load("nats-sss", dataset="cifar10")
RANGE = (0.0, 0.5 * BENCH.max_cost)


def strategy() -> ln.Strategy:
    return ln.LayerNAS(buckets=3, keep=1)  # 60 trainings on this range, then it finishes


def objective(trial: optuna.Trial) -> float:
    return BENCH.reward(suggest_arch(trial, BENCH.space))


def optuna_per_trial(sampler: optuna.samplers.BaseSampler, storage: str | None,
                     trials: int) -> float:
    study = optuna.create_study(direction="maximize", sampler=sampler, storage=storage)
    start = time.perf_counter()
    study.optimize(objective, n_trials=trials)
    return (time.perf_counter() - start) / len(study.trials)


def bench_optuna(trials: int) -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        for label, storage in (("in-memory", None), ("SQLite", "sqlite:///{}")):
            times = {}
            for name, make in (
                ("LayerNASSampler", lambda: LayerNASSampler(
                    BENCH.space, cost=BENCH.cost, cost_range=RANGE, strategy=strategy())),
                ("RandomSampler", lambda: optuna.samplers.RandomSampler(seed=0)),
            ):
                url = None if storage is None else storage.format(Path(tmp) / f"{name}.db")
                times[name] = optuna_per_trial(make(), url, trials)
            print(f"optuna {label}: LayerNASSampler {times['LayerNASSampler'] * 1e3:.1f} ms/trial, "
                  f"RandomSampler {times['RandomSampler'] * 1e3:.1f} ms/trial, overhead "
                  f"{(times['LayerNASSampler'] - times['RandomSampler']) * 1e3:+.1f} ms/trial",
                  flush=True)


def bench_ray(trials: int) -> None:
    from ray import tune

    from layernas.executors.ray import init_ray
    from layernas.integrations.ray_tune import LayerNASSearch

    class Timed(LayerNASSearch):
        seconds = 0.0

        def suggest(self, trial_id):
            start = time.perf_counter()
            try:
                return super().suggest(trial_id)
            finally:
                Timed.seconds += time.perf_counter() - start

        def on_trial_complete(self, trial_id, result=None, error=False):
            start = time.perf_counter()
            try:
                return super().on_trial_complete(trial_id, result, error)
            finally:
                Timed.seconds += time.perf_counter() - start

    def train(config):
        arch = tuple(config[layer.name] for layer in BENCH.space.layers)
        tune.report({"accuracy": BENCH.reward(arch)})

    init_ray(num_cpus=2)
    with tempfile.TemporaryDirectory() as tmp:
        def fit(search, param_space, name):
            start = time.perf_counter()
            results = tune.Tuner(
                train, param_space=param_space,
                tune_config=tune.TuneConfig(search_alg=search, num_samples=trials,
                                            max_concurrent_trials=1, reuse_actors=True,
                                            **({} if search else {"metric": "accuracy",
                                                                  "mode": "max"})),
                run_config=tune.RunConfig(storage_path=tmp, name=name, verbose=0),
            ).fit()
            return (time.perf_counter() - start) / len(results), len(results)

        ours, n = fit(Timed(BENCH.space, cost=BENCH.cost, cost_range=RANGE, strategy=strategy(),
                            metric="accuracy"), {}, "layernas")
        default, _ = fit(None, {layer.name: tune.choice(list(layer.options))
                                for layer in BENCH.space.layers}, "default")
    print(f"ray tune: LayerNASSearch's own time {Timed.seconds / n * 1e3:.2f} ms/trial; whole fit "
          f"{ours:.2f} s/trial with it, {default:.2f} s/trial with Tune's default searcher "
          f"({n} trials, one at a time, reuse_actors=True)")


def bench_strategies(trials: int, gp_trials: int) -> None:
    def per_trial(make, budget) -> float:
        start = time.perf_counter()
        result = ln.search(BENCH.space, BENCH.reward, BENCH.cost, RANGE, strategy=make(),
                           budget=budget, seed=0, progress=False)
        return (time.perf_counter() - start) / result.trained

    base = per_trial(ln.RandomSearch, trials)
    for make, budget in ((ln.OptunaTPE, trials), (ln.OptunaNSGA2, trials),
                         (ln.OptunaGP, gp_trials)):
        seconds = per_trial(make, budget)
        print(f"ln.search with {make.name}: {seconds * 1e3:.1f} ms/trial over {budget} trials "
              f"(random search {base * 1e3:.2f} ms over {trials})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=60)
    parser.add_argument("--gp-trials", type=int, default=12, help="GP fits a model per trial")
    parser.add_argument("--no-ray", action="store_true", help="skip Ray Tune (slow to start)")
    args = parser.parse_args()
    bench_optuna(args.trials)
    if not args.no_ray:
        bench_ray(args.trials)
    bench_strategies(args.trials, args.gp_trials)


if __name__ == "__main__":
    main()
