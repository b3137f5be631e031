"""Latency: the measurement records its setting and restores threads; the table predictor is
deterministic given its table and round-trips through JSON; latency works as a search cost."""

import pytest
import torch

import layernas as ln
from layernas.journal import read_journal
from layernas.space import arch_key
from layernas.torch.latency import (
    LatencyCost,
    LatencySetting,
    LatencyTable,
    fit_scale,
    measure_latency,
)
from layernas.torch.problem import TrainingProblem
from layernas.torch.spaces import mobilenet_v2

pytestmark = pytest.mark.torch


@pytest.fixture
def tiny():
    return mobilenet_v2(input_shape=(1, 4, 4), num_classes=2, blocks=[([8, 16], 1), ([16], 2)],
                        stem_width=8, head_width=16)


def test_measurement_records_setting_and_restores_threads(tiny):
    before = torch.get_num_threads()
    model = tiny.build((3, 3, 16, False, 5, 3, 16))
    model.train()
    m = measure_latency(model, (1, 4, 4), threads=1, warmup=2, repeats=5)
    assert torch.get_num_threads() == before and model.training
    assert m.setting == LatencySetting(threads=1, warmup=2, repeats=5, batch=1, device="cpu",
                                       torch_version=torch.__version__)
    assert m.threads == 1 and m.torch_version == torch.__version__
    assert 0 < m.min_ms <= m.median_ms <= m.max_ms


def test_table_is_deterministic_given_its_table(tiny, tmp_path):
    table = LatencyTable(LatencySetting(warmup=1, repeats=3))
    a, b = tiny.build((3, 3, 16, False, 5, 3, 16)), tiny.build((7, 6, 8, True, 5, 3, 16))
    first = table.predict(a, (1, 4, 4))
    assert len(table.entries) == 4  # stem, two blocks, head + pool + classifier
    assert table.predict(a, (1, 4, 4), measure=False) == first
    with pytest.raises(KeyError):
        table.predict(b, (1, 4, 4), measure=False)  # skipped block 1 is a new part
    table.save(tmp_path / "t.json")
    again = LatencyTable.load(tmp_path / "t.json")
    assert again == table
    assert again.predict(tiny.build((3, 3, 16, False, 5, 3, 16)), (1, 4, 4),
                         measure=False) == first  # freshly built, same keys and sum
    assert first == pytest.approx(sum(table.entries.values()))


def test_measured_latency_is_cached_in_the_journal(tiny, tmp_path):
    cost = LatencyCost(tiny, "latency")
    assert cost.identity == (
        f"latency(threads=1, warmup=10, repeats=50, batch=1, cpu, torch {torch.__version__})"
    )
    rng = torch.get_rng_state()
    cost((3, 3, 16, False, 5, 3, 16))
    assert torch.equal(torch.get_rng_state(), rng), "costing moved torch's RNG"
    journal = str(tmp_path / "j.sqlite")
    first = ln.search(tiny.space, reward=lambda a: float(a[0] + a[4]), cost=cost,
                      cost_range=(0, 1e9), strategy=ln.RandomSearch(), budget=4, seed=0,
                      journal=journal, progress=False)
    stored = read_journal(journal).costs
    assert {arch_key(t.arch): t.cost for t in first.trials}.items() <= stored.items()

    measured = []

    def counting(arch):
        measured.append(arch)
        return cost(arch)

    counting.identity = cost.identity
    again = ln.search(tiny.space, reward=lambda a: float(a[0] + a[4]), cost=counting,
                      cost_range=(0, 1e9), strategy=ln.RandomSearch(), budget=4, seed=0,
                      journal=journal, progress=False)
    assert measured == [], "a resumed search measured a latency again"
    assert [(t.arch, t.cost) for t in again.trials] == [(t.arch, t.cost) for t in first.trials]


def test_latency_file_is_for_the_table_only(tiny, tmp_path):
    with pytest.raises(ln.LayerNASError, match="cached in the search's journal"):
        LatencyCost(tiny, "latency", path=tmp_path / "lat.json")


def test_fit_scale_minimises_relative_error():
    assert fit_scale([1.0, 2.0], [2.0, 4.0]) == pytest.approx(2.0)
    # ratios p/m of 1/2 and 1: c = (0.5 + 1) / (0.25 + 1) = 1.2
    assert fit_scale([1.0, 3.0], [2.0, 3.0]) == pytest.approx(1.2)


def test_calibration_scales_the_table_and_is_saved(tiny, tmp_path):
    table = LatencyTable(LatencySetting(warmup=1, repeats=3))
    a, b = tiny.build((3, 3, 16, False, 5, 3, 16)), tiny.build((7, 6, 8, True, 5, 3, 16))
    summed = table.predict(a, (1, 4, 4))
    scale = table.calibrate([a, b], (1, 4, 4))
    assert scale > 0 and table.scale == scale
    assert table.predict(a, (1, 4, 4), measure=False) == pytest.approx(scale * summed)
    table.save(tmp_path / "t.json")
    assert LatencyTable.load(tmp_path / "t.json") == table
    with pytest.raises(ln.LayerNASError, match="at least one network"):
        table.calibrate([], (1, 4, 4))


def test_latency_table_cost_calibrates_on_seeded_networks(tiny, tmp_path):
    cost = LatencyCost(tiny, "latency_table", calibration=2, path=tmp_path / "t.json")
    assert cost.table.scale != 1.0 and "calibration=2" in cost.identity
    assert LatencyCost(tiny, "latency_table", path=tmp_path / "t.json").table == cost.table
    assert LatencyCost(tiny, "latency_table", calibration=0).table.scale == 1.0
    with pytest.raises(ln.LayerNASError, match="calibration must be"):
        LatencyCost(tiny, "latency_table", calibration=-1)


def test_training_problem_latency_table_cost(tmp_path):
    problem = TrainingProblem(cost="latency_table", latency_file=str(tmp_path / "table.json"),
                              input_shape=(1, 4, 4), num_classes=2,
                              blocks=[([8], 1)], stem_width=8, head_width=16)
    arch = (3, 1, 8, False)
    ms = problem.cost(arch)
    assert ms > 0 and (tmp_path / "table.json").exists()
    reloaded = TrainingProblem(cost="latency_table", latency_file=str(tmp_path / "table.json"),
                               input_shape=(1, 4, 4), num_classes=2,
                               blocks=[([8], 1)], stem_width=8, head_width=16)
    assert reloaded.cost(arch) == ms
