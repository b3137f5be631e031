"""Tests of layernas.benchmarks on the real tables, found through the users' lookup (data dir,
LAYERNAS_DATA, cache, download with sha256; never skipped)."""

from __future__ import annotations

import itertools
import json
import os
import shutil
from pathlib import Path

import nats_bench
import numpy as np
import pytest

from oracles import ORACLES

from layernas import LayerNASError, SearchSpace
from layernas.benchmarks import BENCHMARKS, data, load, macro, nats_official, nats_sss

pytestmark = pytest.mark.data

NATS_DATASETS = ("cifar10", "cifar100", "ImageNet16-120")
INDICES = (0, 11, 284)

# Official records (get_cost_info) for NATS indices 0, 11, 284: MFLOPs and M params.
OFFICIAL_FLOPS = {
    "cifar10": (4.481114, 6.84065, 21.827994),
    "cifar100": (4.481924, 6.84362, 21.831684),
    "ImageNet16-120": (1.121336, 1.71404, 5.461816),
}
OFFICIAL_PARAMS = {
    "cifar10": (0.011714, 0.049202, 0.144834),
    "cifar100": (0.012524, 0.052172, 0.148524),
    "ImageNet16-120": (0.012704, 0.052832, 0.149344),
}
# (name, dataset) -> (max MFLOPs, max M params)
MAX_COSTS = {
    ("nats-sss", "cifar10"): (274.399882, 0.713674),
    ("nats-sss", "cifar100"): (274.405732, 0.719524),
    ("nats-sss", "ImageNet16-120"): (68.607608, 0.720824),
    ("nas-bench-macro", "cifar10"): (105.660928, 2.932586),
}


@pytest.fixture(scope="module")
def archive() -> Path:
    """The official three-record NATS-Bench sample archive."""
    return nats_official.sample_archive()


@pytest.fixture
def no_data(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No LAYERNAS_DATA and an empty cache under tmp_path. Returns the cache."""
    monkeypatch.delenv(data.ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "layernas"


def brute_force_tables(name: str, dataset: str) -> list[tuple[tuple, float, float]]:
    """(arch, final, MFLOPs) for every architecture, read straight from the raw files."""
    if name == "nas-bench-macro":
        raw = json.loads(data.locate(macro.TABLE).read_text())
        return [
            (
                tuple(macro.OPTIONS[int(digit)] for digit in key),
                sum(record["test_acc"]) / 3,
                record["flops"] / 1e6,
            )
            for key, record in raw.items()
        ]
    bench = load(name, dataset=dataset)
    strings = np.load(data.locate(nats_sss.ARCH_STRINGS)).tolist()
    accs = np.load(data.locate(nats_sss.ACCURACY[dataset])).tolist()
    rows = []
    for string, acc in zip(strings, accs):
        arch = tuple(int(c) for c in string.split(":"))
        rows.append((arch, acc, bench.cost(arch)))
    return rows


@pytest.mark.parametrize("dataset", NATS_DATASETS)
def test_nats_costs_equal_official_records(dataset: str) -> None:
    flops = load("nats-sss", dataset=dataset)
    params = load("nats-sss", dataset=dataset, cost="params")
    for i, want_flops, want_params in zip(
        INDICES, OFFICIAL_FLOPS[dataset], OFFICIAL_PARAMS[dataset]
    ):
        arch = flops.arch_at(i)
        assert flops.cost(arch) == pytest.approx(want_flops, rel=1e-12)
        assert params.cost(arch) == pytest.approx(want_params, rel=1e-12)
    assert (flops.units, params.units) == ("MFLOPs", "M params")


def test_readme_cifar10_values_by_arch() -> None:
    flops = load("nats-sss")
    params = load("nats-sss", cost="params")
    assert flops.cost((8, 8, 8, 8, 8)) == pytest.approx(4.481114)
    assert flops.cost((8, 8, 8, 16, 32)) == pytest.approx(6.84065)
    assert flops.cost((8, 8, 40, 32, 40)) == pytest.approx(21.827994)
    assert params.cost((8, 8, 8, 8, 8)) == pytest.approx(0.011714)
    assert params.cost((8, 8, 8, 16, 32)) == pytest.approx(0.049202)
    assert params.cost((8, 8, 40, 32, 40)) == pytest.approx(0.144834)


@pytest.mark.parametrize("hp", ["12", "90"])
def test_nats_costs_equal_nats_bench_api(archive: Path, hp: str) -> None:
    api = nats_bench.create(str(archive), "sss", fast_mode=True)
    for dataset, api_dataset in (
        ("cifar10", "cifar10-valid"),
        ("cifar10", "cifar10"),
        ("cifar100", "cifar100"),
        ("ImageNet16-120", "ImageNet16-120"),
    ):
        flops = load("nats-sss", dataset=dataset)
        params = load("nats-sss", dataset=dataset, cost="params")
        for i in INDICES:
            arch = flops.arch_at(i)
            assert api.arch(i) == ":".join(map(str, arch))
            info = api.get_cost_info(i, api_dataset, hp=hp)
            assert flops.cost(arch) == pytest.approx(info["flops"], rel=1e-12)
            assert params.cost(arch) == pytest.approx(info["params"], rel=1e-12)


@pytest.mark.parametrize(("name", "dataset"), list(MAX_COSTS))
def test_max_costs(name: str, dataset: str) -> None:
    max_flops, max_params = MAX_COSTS[name, dataset]
    flops = load(name, dataset=dataset)
    assert flops.max_cost == pytest.approx(max_flops, rel=1e-12)
    assert load(name, dataset=dataset, cost="params").max_cost == pytest.approx(max_params)
    assert flops.max_cost == flops.cost(tuple(layer.options[-1] for layer in flops.space.layers))


@pytest.mark.parametrize(("name", "dataset"), list(MAX_COSTS))
def test_oracle_matches_brute_force_and_pins(name: str, dataset: str) -> None:
    bench = load(name, dataset=dataset)
    rows = brute_force_tables(name, dataset)
    assert len(rows) == bench.space.size
    for fraction in (0.5, 0.25):
        hi = fraction * bench.max_cost
        best = None
        for arch, final, cost in rows:
            if cost <= hi and (best is None or (final, -cost) > (best[1], -best[2])):
                best = (arch, final, cost)
        got = bench.oracle((0.0, hi))
        assert got.arch == best[0]
        assert got.final == pytest.approx(best[1], abs=1e-9)
        assert got.cost == pytest.approx(best[2], rel=1e-12)
        arch, final, cost = ORACLES[name, dataset, fraction]
        assert got.arch == arch
        assert got.final == pytest.approx(final, abs=1e-9)
        assert got.cost == pytest.approx(cost, rel=1e-12)
        assert bench.final(got.arch) == got.final


def test_oracle_range_checks() -> None:
    bench = load("nats-sss")
    with pytest.raises(LayerNASError, match="no architecture"):
        bench.oracle((0.0, 1.0))
    with pytest.raises(LayerNASError, match="lo must be <= hi"):
        bench.oracle((10.0, 5.0))
    with pytest.raises(LayerNASError, match="pair"):
        bench.oracle(5.0)
    whole = bench.oracle((0.0, bench.max_cost))
    assert whole.final == bench.finals.max()


@pytest.mark.parametrize("name", ["nats-sss", "nas-bench-macro"])
def test_index_is_product_order(name: str) -> None:
    bench = load(name)
    for i, arch in enumerate(bench.space):
        assert bench.index(arch) == i
        assert bench.arch_at(i) == arch
    with pytest.raises(LayerNASError, match="layers"):
        bench.index(bench.arch_at(0)[:-1])
    with pytest.raises(LayerNASError, match="not one of its options"):
        bench.index(("nope",) + bench.arch_at(0)[1:])
    with pytest.raises(LayerNASError, match="outside"):
        bench.arch_at(bench.space.size)


def test_spaces() -> None:
    nats = load("nats-sss").space
    assert isinstance(nats, SearchSpace)
    assert nats.names == [f"channels{i}" for i in range(1, 6)]
    assert all(layer.options == tuple(range(8, 65, 8)) for layer in nats.layers)
    mac = load("nas-bench-macro").space
    assert mac.names == [f"layer{i}" for i in range(1, 9)]
    assert all(layer.options == ("identity", "MB3_K3", "MB6_K5") for layer in mac.layers)


@pytest.mark.parametrize(("name", "dataset"), list(MAX_COSTS))
@pytest.mark.parametrize("cost", ["flops", "params"])
def test_costs_strictly_increase_in_every_layer(name: str, dataset: str, cost: str) -> None:
    """Options are listed cheapest first whatever the other layers hold (LayerNAS relies on it)."""
    bench = load(name, dataset=dataset, cost=cost)
    grid = bench.costs.reshape([len(layer.options) for layer in bench.space.layers])
    for axis in range(grid.ndim):
        assert (np.diff(grid, axis=axis) > 0).all(), f"layer {axis + 1} of {name}/{cost}"


def test_macro_costs_are_additive() -> None:
    """NAS-Bench-Macro layers keep fixed shapes, so a layer's cost step ignores the others."""
    grid = load("nas-bench-macro").costs.reshape([3] * 8)
    for axis in range(8):
        steps = np.diff(grid, axis=axis)
        others = tuple(a for a in range(8) if a != axis)
        assert np.allclose(steps.min(axis=others), steps.max(axis=others))


def test_nats_reward_is_final() -> None:
    bench = load("nats-sss", dataset="cifar100")
    arch = (8, 8, 40, 32, 40)
    assert bench.reward(arch) == bench.final(arch) == pytest.approx(62.77999999389648)
    assert bench.with_seed(7).reward(arch) == bench.reward(arch)
    assert bench.metric == "90-epoch validation accuracy (%)"


def test_macro_reward_is_one_real_seed_fixed_per_run_seed() -> None:
    raw = json.loads(data.locate(macro.TABLE).read_text())
    bench = load("nas-bench-macro", seed=0)
    archs = [bench.arch_at(i) for i in range(0, bench.space.size, 37)]
    draws = {}
    for seed in range(5):
        run = bench.with_seed(seed)
        assert run.seed == seed and run.costs is bench.costs and run.finals is bench.finals
        draws[seed] = [run.reward(a) for a in archs]
        assert draws[seed] == [run.reward(a) for a in archs]  # repeat query, same number
        assert draws[seed] == [load("nas-bench-macro", seed=seed).reward(a) for a in archs]
        for arch, reward in zip(archs, draws[seed]):
            record = raw["".join(str(macro.OPTIONS.index(o)) for o in arch)]
            assert reward in record["test_acc"]
            assert bench.final(arch) == pytest.approx(np.mean(record["test_acc"]))
    for a, b in itertools.combinations(range(5), 2):
        assert draws[a] != draws[b]
    # every training seed gets drawn about a third of the time
    picks = np.argmin(np.abs(bench.seed_finals - bench.rewards[:, None]), axis=1)
    assert np.allclose(np.bincount(picks, minlength=3) / bench.space.size, 1 / 3, atol=0.05)


def test_bad_seed() -> None:
    with pytest.raises(LayerNASError, match="seed"):
        load("nas-bench-macro", seed=-1)


def test_metadata() -> None:
    bench = load("nas-bench-macro", cost="params")
    assert (bench.name, bench.dataset, bench.cost_name, bench.units) == (
        "nas-bench-macro",
        "cifar10",
        "params",
        "M params",
    )
    assert bench.license == "Apache-2.0" and bench.source.startswith("https://")
    assert bench.checksums == {macro.TABLE.path: macro.TABLE.sha256}
    nats = load("nats-sss", dataset="ImageNet16-120")
    assert set(nats.checksums) == {"nats-sss/arch_strings.npy", "nats-sss/ImageNet16-120.npy"}
    assert nats.license == "MIT"


def test_repeated_load_shares_tables() -> None:
    assert load("nats-sss").finals is load("nats-sss").finals
    assert load("nas-bench-macro").seed_finals is load("nas-bench-macro", seed=3).seed_finals


def test_bad_names_list_choices() -> None:
    with pytest.raises(LayerNASError, match="nats-sss.*nas-bench-macro"):
        load("nas-bench-301")
    with pytest.raises(LayerNASError, match=r"\['cifar10'\]"):
        load("nas-bench-macro", dataset="cifar100")
    with pytest.raises(LayerNASError, match="ImageNet16-120"):
        load("nats-sss", dataset="imagenet")
    with pytest.raises(LayerNASError, match=r"\['flops', 'params'\]"):
        load("nats-sss", cost="latency")
    assert set(BENCHMARKS) == {"nats-sss", "nas-bench-macro", "nats-sss-official"}


def test_checksum_mismatch_names_file_url_and_sha(tmp_path: Path) -> None:
    shutil.copytree(data.locate(nats_sss.ARCH_STRINGS).parent, tmp_path / "nats-sss")
    damaged = tmp_path / "nats-sss" / "cifar10_accs.npy"
    damaged.chmod(0o644)
    with damaged.open("r+b") as handle:
        handle.seek(-8, os.SEEK_END)
        handle.write(b"\0" * 8)
    file = nats_sss.ACCURACY["cifar10"]
    with pytest.raises(LayerNASError) as err:
        load("nats-sss", data_dir=tmp_path)  # data_dir is searched before LAYERNAS_DATA
    message = str(err.value)
    for part in (str(damaged), file.url, file.sha256, "LAYERNAS_DATA"):
        assert part in message


def test_root_without_the_file_falls_through_to_layernas_data(tmp_path: Path) -> None:
    assert load("nats-sss", data_dir=tmp_path).finals is load("nats-sss").finals


@pytest.mark.parametrize("dataset", NATS_DATASETS)
def test_official_adapter_agrees_with_table(dataset: str, archive: Path) -> None:
    official = load("nats-sss-official", dataset=dataset, data_dir=archive)
    by_parent = load("nats-sss-official", dataset=dataset, data_dir=archive.parent, cost="params")
    table = load("nats-sss", dataset=dataset)
    params = load("nats-sss", dataset=dataset, cost="params")
    assert official.available == frozenset(INDICES)
    for i in INDICES:
        arch = table.arch_at(i)
        assert (
            official.reward(arch)
            == official.final(arch)
            == pytest.approx(table.final(arch), abs=1e-9)
        )
        assert official.cost(arch) == pytest.approx(table.cost(arch), rel=1e-12)
        assert by_parent.cost(arch) == pytest.approx(params.cost(arch), rel=1e-12)
    assert official.max_cost == table.max_cost
    best = official.oracle((0.0, official.max_cost))
    assert best.arch == (8, 8, 40, 32, 40) and best.final == official.final(best.arch)
    assert official.oracle((0.0, table.cost((8, 8, 8, 16, 32)))).arch == (8, 8, 8, 16, 32)
    with pytest.raises(LayerNASError, match="not in the archive"):
        official.reward((64, 64, 64, 64, 64))


def test_official_adapter_found_through_layernas_data(
    monkeypatch: pytest.MonkeyPatch, archive: Path
) -> None:
    monkeypatch.setenv(data.ENV_VAR, str(archive.parent))
    bench = load("nats-sss-official", dataset="cifar10")
    assert bench.final((8, 8, 8, 16, 32)) == pytest.approx(83.72400000976563)


def test_official_adapter_missing_archive(
    no_data: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    with pytest.raises(LayerNASError, match="NATS-sss-v1_0-50262-simple.*data_dir"):
        load("nats-sss-official", data_dir=tmp_path)
