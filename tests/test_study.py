"""layernas.study and `layernas study` on the real tables (found or downloaded, never skipped).

Includes the issue's correctness bars: LayerNAS(buckets=20, keep=1) over [0, 50% of the largest
model's FLOPs] trains at most 300 candidates and returns the oracle on NATS-Bench size CIFAR-10
and CIFAR-100.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from click.testing import CliRunner
from oracles import ORACLES

import layernas as ln
from layernas import study
from layernas.cli import main
from layernas.study.curves import csv_rows, regret_matrix
from layernas.study.noise import NoisyReward

pytestmark = pytest.mark.data

SMALL = "layernas:buckets=10,random,evolution,reinforce"


def small_spec(**changes) -> study.StudySpec:
    base = {"runs": 4, "budget": 40, "strategies": study.parse_strategies(SMALL)}
    return study.StudySpec(**{**base, **changes})


@pytest.fixture(scope="module")
def noisy_macro() -> study.StudyResult:
    """A small study on NAS-Bench-Macro with extra reward noise, run in this process."""
    return study.run_study(
        small_spec(benchmark="nas-bench-macro", max_cost_fraction=0.25, reward_noise=0.3,
                   budget=60)
    )


@pytest.mark.parametrize("dataset", ["cifar10", "cifar100"])
def test_correctness_bar_layernas_h20_k1_returns_the_oracle(dataset: str) -> None:
    bench = ln.benchmarks.load("nats-sss", dataset=dataset)
    cost_range = (0.0, 0.5 * bench.max_cost)
    result = ln.search(bench.space, bench.reward, bench.cost, cost_range,
                       strategy=ln.LayerNAS(buckets=20, keep=1), progress=False)
    arch, final, flops = ORACLES["nats-sss", dataset, 0.5]
    assert result.stop_reason == "strategy finished"
    assert result.trained <= 300 and result.trained <= result.bound
    assert result.best.arch == arch == bench.oracle(cost_range).arch
    assert bench.final(result.best.arch) == pytest.approx(final, abs=1e-9)
    assert result.best.cost == pytest.approx(flops, rel=1e-12)


@pytest.mark.slow
def test_records_do_not_depend_on_the_number_of_processes() -> None:
    spec = small_spec(benchmark="nas-bench-macro", reward_noise=0.2)
    one = study.run_study(spec, workers=1)
    two = study.run_study(spec, workers=2)
    assert one.records == two.records
    assert [(r.strategy, r.run) for r in one.records] == [
        (s.label, run) for s in spec.strategies for run in range(spec.runs)
    ]
    assert len({r.seed for r in one.records}) == spec.runs  # one seed per run, shared by strategies
    other_seed = study.run_study(small_spec(benchmark="nas-bench-macro", reward_noise=0.2, seed=1))
    assert other_seed.records != one.records


def test_records_match_independent_searches(noisy_macro: study.StudyResult) -> None:
    bench = ln.benchmarks.load("nas-bench-macro")
    lo, hi = noisy_macro.cost_range
    assert (lo, hi) == (0.0, 0.25 * bench.max_cost)
    for record in noisy_macro.records[:: 3]:
        run = bench.with_seed(study.run_seed(0, record.run))
        spec = next(s for s in noisy_macro.spec.strategies if s.label == record.strategy)
        result = ln.search(run.space, NoisyReward(run, 0.3), run.cost, (lo, hi),
                           strategy=spec.build(), budget=60, seed=record.seed, progress=False,
                           max_stall=noisy_macro.spec.max_stall)
        assert record.seed == study.run_seed(0, record.run)
        assert (record.trained, record.rejected, record.best_arch) == (
            result.trained, result.rejected, result.best.arch)
        assert record.best_final == bench.final(result.best.arch)
        in_range = [t for t in result.trials if lo <= t.cost <= hi]
        assert record.step_rewards[-1] == max(t.reward for t in in_range)


def test_summary_statistics(noisy_macro: study.StudyResult) -> None:
    oracle = ln.benchmarks.load("nas-bench-macro").oracle(noisy_macro.cost_range)
    assert noisy_macro.oracle == oracle
    for summary in study.summarize(noisy_macro):
        records = noisy_macro.of(summary.label)
        regrets = np.array([oracle.final - r.best_final for r in records])
        assert (regrets >= 0).all()
        assert summary.regret.median == pytest.approx(np.median(regrets))
        assert summary.regret.q25 == pytest.approx(np.quantile(regrets, 0.25))
        assert summary.regret.q75 == pytest.approx(np.quantile(regrets, 0.75))
        assert summary.regret.mean == pytest.approx(regrets.mean())
        assert summary.p_oracle == np.mean([r.best_arch == oracle.arch for r in records])
        assert summary.trained.median == np.median([r.trained for r in records])
        assert summary.rejected_mean == np.mean([r.rejected for r in records])
        last = summary.anytime[-1]
        assert last.trained == 60 and last.regret_median == summary.regret.median
        assert last.p_oracle == summary.p_oracle
        assert [c.trained for c in summary.anytime] == [6, 18, 30, 50, 60]  # 50: a fixed count
    assert study.summarize(noisy_macro)[0].bound == 3 + 10 * 7 * 3


def test_paired_counts_runs_against_the_first_strategy(noisy_macro: study.StudyResult) -> None:
    oracle = noisy_macro.oracle.final
    first, *others = study.summarize(noisy_macro)
    assert first.paired is None
    reference = {r.run: oracle - r.best_final for r in noisy_macro.of(first.label)}
    for summary in others:
        assert [p.trained for p in summary.paired] == [c.trained for c in summary.anytime]
        final = summary.paired[-1]
        diffs = [oracle - r.best_final - reference[r.run] for r in noisy_macro.of(summary.label)]
        assert (final.better, final.worse, final.tied) == (
            sum(d < 0 for d in diffs), sum(d > 0 for d in diffs), sum(d == 0 for d in diffs))
        n, k = final.better + final.worse, min(final.better, final.worse)
        exact = min(1.0, 2 * sum(math.comb(n, i) for i in range(k + 1)) / 2**n) if n else 1.0
        assert final.p_value == pytest.approx(exact)


def test_sign_test() -> None:
    assert study.statistics.sign_test(0, 10) == pytest.approx(2 / 1024)
    assert study.statistics.sign_test(10, 0) == study.statistics.sign_test(0, 10)
    assert study.statistics.sign_test(5, 5) == 1.0
    assert study.statistics.sign_test(0, 0) == 1.0  # every run tied


def test_quantiles_with_runs_without_an_answer() -> None:
    assert study.statistics.quantile([0.0, 1.0, 2.0, 3.0], 0.5) == 1.5
    assert study.statistics.quantile([0.0, 1.0, math.inf, math.inf], 0.25) == 0.75
    assert study.statistics.quantile([0.0, 1.0, math.inf, math.inf], 0.5) == math.inf


def test_curves_are_flat_after_a_run_stops_and_end_at_the_answer() -> None:
    result = study.run_study(small_spec(strategies=study.parse_strategies("layernas:buckets=3"),
                                        budget=80, runs=2))
    record = result.records[0]
    assert record.trained < 80 and record.stop_reason == "strategy finished"
    matrix = regret_matrix(result.of(record.strategy), result.oracle.final, 80)
    assert (matrix[:, record.trained - 1 :] == matrix[:, -1:]).all()
    assert matrix[0, -1] == result.oracle.final - record.best_final
    assert (np.diff(matrix, axis=1) <= 0).all()  # noise-free table: regret never grows
    band = study.regret_bands(result)[record.strategy]
    assert band.median[-1] == study.summarize(result)[0].regret.median
    rows = list(csv_rows(result))
    assert len(rows) == sum(r.trained for r in result.records)
    assert rows[record.trained - 1][3:6] == (record.trained, record.best_reward, record.best_final)


def test_reward_noise_is_fixed_per_run_seed_and_architecture() -> None:
    bench = ln.benchmarks.load("nats-sss", dataset="cifar100")
    archs = [bench.arch_at(i) for i in range(0, bench.space.size, 97)]
    noisy = NoisyReward(bench.with_seed(3), 0.5)
    first = [noisy(a) for a in archs]
    assert first == [noisy(a) for a in reversed(archs)][::-1]  # repeat queries agree
    assert first == [NoisyReward(bench.with_seed(3), 0.5)(a) for a in archs]
    other = [NoisyReward(bench.with_seed(4), 0.5)(a) for a in archs]
    assert first != other
    deltas = np.array(first) - np.array([bench.reward(a) for a in archs])
    assert abs(deltas.mean()) < 0.1 and 0.4 < deltas.std() < 0.6
    assert all(bench.final(a) == bench.reward(a) for a in archs)  # final stays noise-free


def test_strategy_specs_parse_and_fail_clearly() -> None:
    specs = study.parse_strategies("layernas:buckets=50:keep=2:order=cost,random",
                                   {"layernas": {"buckets": 7, "keep": 3}})
    assert specs[0].build() == ln.LayerNAS(buckets=50, keep=2, order="cost")
    assert study.parse_strategies("layernas", {"layernas": {"buckets": 7}})[0].build().buckets == 7
    for text, message in (
        ("nope", "unknown strategy 'nope'"),
        ("layernas:bukets=3", "layernas:bukets=3"),
        ("layernas:buckets", "key=value"),
        ("random,random", "listed twice"),
        ("layernas:buckets=0", "buckets must be an integer >= 1"),
    ):
        with pytest.raises(ln.LayerNASError, match=message):
            study.parse_strategies(text)
    with pytest.raises(ln.LayerNASError, match="runs must be"):
        study.StudySpec(runs=0)
    with pytest.raises(ln.LayerNASError, match="no architecture"):
        study.run_study(small_spec(cost_range=(0.0, 1.0)))


@pytest.mark.slow
def test_cli_study_writes_every_output(tmp_path) -> None:
    out = tmp_path / "study"
    args = ["study", "--benchmark", "nats-sss:ImageNet16-120", "--max-cost-fraction", "0.25",
            "--runs", "3", "--budget", "30", "--strategies", "layernas,random,evolution",
            "--buckets", "10", "--keep", "2", "--seed", "7", "--reward-noise", "0.2",
            "--workers", "1", "--out", str(out), "--no-progress"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "anytime.png", "curves.csv", "regret.png", "report.md", "summary.json"]
    for png in ("anytime.png", "regret.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = json.loads((out / "summary.json").read_text())
    setup = summary["setup"]
    assert (setup["benchmark"], setup["dataset"], setup["runs"], setup["budget"]) == (
        "nats-sss", "ImageNet16-120", 3, 30)
    assert (setup["seed"], setup["reward_noise"], setup["max_cost_fraction"]) == (7, 0.2, 0.25)
    assert setup["strategies"]["layernas"] == {
        "strategy": "layernas", "buckets": 10, "keep": 2, "order": "reward",
        "bucket_range": "layer", "prune_dominated": False, "start_buckets": None}
    assert set(setup["data_checksums"]) == {"nats-sss/arch_strings.npy",
                                            "nats-sss/ImageNet16-120.npy"}
    assert setup["command"].startswith("layernas study --benchmark nats-sss:ImageNet16-120")
    bench = ln.benchmarks.load("nats-sss", dataset="ImageNet16-120")
    assert setup["target_range"] == [0.0, 0.25 * bench.max_cost]
    oracle = bench.oracle((0.0, 0.25 * bench.max_cost))
    assert summary["oracle"]["final"] == oracle.final
    assert list(summary["strategies"]) == ["layernas", "random", "evolution"]
    assert summary["strategies"]["layernas"]["bound"] == 8 + 2 * 10 * 32
    assert summary["strategies"]["layernas"]["paired"] is None
    assert [p["trained"] for p in summary["strategies"]["random"]["paired"]] == [3, 9, 15, 30]
    for stats in summary["strategies"].values():
        assert set(stats["regret"]) == {"median", "q25", "q75", "mean", "iqr"}
        assert 0 <= stats["p_oracle"] <= 1 and stats["trained"]["median"] <= 30
    header, *rows = (out / "curves.csv").read_text().splitlines()
    assert header == "strategy,run,seed,trained,best_reward,best_final,regret"
    assert len(rows) == sum(
        int(r.split(",")[3]) for r, nxt in zip(rows, rows[1:] + ["x,-1"])
        if nxt.split(",")[1] != r.split(",")[1]
    )
    report = (out / "report.md").read_text()
    for part in ("nats-sss", "ImageNet16-120", bench.metric, "MFLOPs", "25% of the largest",
                 "runs: 3", "budget: 30", "sigma 0.2", "numpy", "sha256", "![anytime](anytime.png)",
                 "Reproduce: `layernas study", "| layernas |", "| evolution |",
                 "Paired against `layernas`"):
        assert part in report, part
    assert "| strategy | final regret median (IQR)" in result.output


def test_cli_study_usage_errors(tmp_path) -> None:
    both = ["study", "--cost-range", "0", "50", "--max-cost-fraction", "0.5", "--out", str(tmp_path)]
    out = CliRunner().invoke(main, both)
    assert out.exit_code != 0 and "not both" in out.output
    bad = ["study", "--strategies", "layernas,annealing", "--out", str(tmp_path)]
    out = CliRunner().invoke(main, bad)
    assert out.exit_code != 0 and "unknown strategy 'annealing'" in out.output
    out = CliRunner().invoke(main, ["study", "--help"])
    assert out.exit_code == 0 and "--reward-noise" in out.output
    inverted = ["study", "--min-cost-fraction", "0.4", "--max-cost-fraction", "0.3",
                "--out", str(tmp_path)]
    out = CliRunner().invoke(main, inverted)
    assert out.exit_code != 0 and "min_cost_fraction 0.4 must be below max_cost_fraction 0.3" in (
        out.output)


def test_cli_study_band(tmp_path) -> None:
    out = tmp_path / "band"
    args = ["study", "--benchmark", "nas-bench-macro", "--min-cost-fraction", "0.3",
            "--max-cost-fraction", "0.32", "--runs", "2", "--budget", "20",
            "--strategies", "layernas-tr,random", "--workers", "1", "--out", str(out),
            "--no-progress"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    bench = ln.benchmarks.load("nas-bench-macro")
    lo, hi = 0.3 * bench.max_cost, 0.32 * bench.max_cost
    assert summary["setup"]["target_range"] == [lo, hi]
    assert (summary["setup"]["min_cost_fraction"], summary["setup"]["max_cost_fraction"]) == (
        0.3, 0.32)
    assert summary["oracle"]["final"] == bench.oracle((lo, hi)).final
    assert "= 30%-32% of the largest model's" in (out / "report.md").read_text()
    rows = (out / "curves.csv").read_text().splitlines()[1:]
    assert rows and all(row.split(",")[4] for row in rows if row.startswith("layernas-tr,"))
