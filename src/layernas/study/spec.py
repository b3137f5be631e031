"""What a study runs: the benchmark, cost range, runs, budget and strategies (plain data).

A study is ``runs`` seeded runs of every strategy on one tabular benchmark, each run capped at
``budget`` trained candidates. Run ``r`` uses the seed :func:`run_seed` ``(seed, r)`` for the
strategy, for the benchmark's reward draw (e.g. NAS-Bench-Macro's training seed) and for the
optional reward noise, so all strategies of one run face the same observed rewards.

Strategies are written ``name`` or ``name:option=value:option=value`` (e.g.
``layernas:buckets=50:keep=2``); the text is the strategy's label in every output.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from layernas.errors import LayerNASError
from layernas.problem import MaxCostFraction
from layernas.strategies import STRATEGIES, Strategy, make
from layernas.validate import non_negative_int, number, positive_int

# every registered strategy but brute force and Optuna's samplers (an optional extra; ask for
# them by name, e.g. --strategies layernas,optuna-tpe)
DEFAULT_STRATEGIES = tuple(
    name for name in STRATEGIES if name != "exhaustive" and not name.startswith("optuna-")
)
STUDY_MAX_STALL = 1_000


@dataclass(frozen=True)
class StrategySpec:
    """One strategy of a study: a registered name, its options, and the label it is shown by."""

    label: str
    name: str
    options: Mapping[str, Any] = field(default_factory=dict)

    def build(self) -> Strategy:
        try:
            return make(self.name, **self.options)
        except LayerNASError as exc:
            raise LayerNASError(f"in {self.label!r}: {exc}") from None

    @classmethod
    def parse(
        cls, text: str, defaults: Mapping[str, Mapping[str, Any]] | None = None
    ) -> StrategySpec:
        """``name[:key=value...]``; ``defaults[name]`` fills options the text leaves out."""
        name, *pairs = text.strip().split(":")
        options = dict((defaults or {}).get(name, {}))
        for pair in pairs:
            key, sep, value = pair.partition("=")
            if not sep or not key:
                raise LayerNASError(
                    f"strategy option {pair!r} in {text!r} must be written key=value, "
                    "e.g. layernas:buckets=50:keep=2"
                )
            options[key] = _value(value)
        spec = cls(text.strip(), name, options)
        spec.build()  # fail now, with the label, rather than in a worker
        return spec


def parse_strategies(
    texts: str | Sequence[str], defaults: Mapping[str, Mapping[str, Any]] | None = None
) -> tuple[StrategySpec, ...]:
    """Specs from ``"layernas,random"`` or a list of such entries; labels must be unique."""
    items = texts.split(",") if isinstance(texts, str) else list(texts)
    specs = tuple(StrategySpec.parse(item, defaults) for item in items if item.strip())
    if not specs:
        raise LayerNASError("give at least one strategy, e.g. layernas,random")
    labels = [s.label for s in specs]
    if len(set(labels)) != len(labels):
        raise LayerNASError(f"strategies are listed twice: {labels}")
    return specs


def _value(text: str) -> Any:
    """An option value: int, float, true/false/none, else the text itself."""
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "none":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def parse_benchmark(text: str) -> tuple[str, str]:
    """``"nats-sss:cifar100"`` -> ``("nats-sss", "cifar100")``; the dataset defaults to cifar10."""
    name, _, dataset = text.partition(":")
    return name, dataset or "cifar10"


def run_seed(seed: int, run: int) -> int:
    """The seed of run ``run`` of a study seeded ``seed`` (independent streams per run)."""
    return int(np.random.SeedSequence([seed, run]).generate_state(1)[0])


@dataclass(frozen=True)
class StudySpec:
    """Everything that decides a study's numbers (``workers`` does not, so it is not here).

    ``cost_range`` in the cost's units; when None it is ``[min_cost_fraction * max cost,
    max_cost_fraction * max cost]`` (a band when ``min_cost_fraction`` > 0).
    ``max_stall`` stops a run whose strategy proposes that many candidates in a row without
    training a new one (a converged policy re-proposing known architectures); the run then
    keeps its answer, like a strategy that finished below the budget.
    ``sim_workers``: run each search as that many workers would, in simulated time (see
    :mod:`layernas.study.simclock`); None runs it sequentially, without a clock.
    """

    benchmark: str = "nats-sss"
    dataset: str = "cifar10"
    cost: str = "flops"
    cost_range: tuple[float, float] | None = None
    max_cost_fraction: float = 0.5
    min_cost_fraction: float = 0.0
    runs: int = 100
    budget: int = 300
    strategies: tuple[StrategySpec, ...] = field(
        default_factory=lambda: parse_strategies(DEFAULT_STRATEGIES)
    )
    seed: int = 0
    reward_noise: float = 0.0
    max_stall: int = STUDY_MAX_STALL
    data_dir: str | None = None
    sim_workers: int | None = None

    def __post_init__(self) -> None:
        for name in ("runs", "budget", "max_stall"):
            positive_int(getattr(self, name), f"study {name}")
        non_negative_int(self.seed, "study seed")
        number(self.reward_noise, "reward_noise (accuracy points)", 0)
        MaxCostFraction(self.max_cost_fraction)  # checks it
        number(self.min_cost_fraction, "min_cost_fraction (a share of the largest model's cost)", 0)
        if self.min_cost_fraction >= self.max_cost_fraction:
            raise LayerNASError(
                f"min_cost_fraction {self.min_cost_fraction} must be below max_cost_fraction "
                f"{self.max_cost_fraction}: the target range is [min, max] x the largest cost"
            )
        if self.sim_workers is not None:
            positive_int(self.sim_workers, "study sim_workers")
        if not self.strategies:
            raise LayerNASError("a study needs at least one strategy")

    def range_for(self, max_cost: float) -> tuple[float, float]:
        """The target cost range, given the benchmark's largest cost."""
        if self.cost_range is not None:
            lo, hi = self.cost_range
            return float(lo), float(hi)
        _, hi = MaxCostFraction(self.max_cost_fraction).of(max_cost)
        return float(self.min_cost_fraction) * max_cost, hi

    def describe(self) -> dict[str, Any]:
        """Plain data for summary.json."""
        return {
            "benchmark": self.benchmark,
            "dataset": self.dataset,
            "cost": self.cost,
            "cost_range": None if self.cost_range is None else list(self.cost_range),
            "max_cost_fraction": None if self.cost_range is not None else self.max_cost_fraction,
            "min_cost_fraction": None if self.cost_range is not None else self.min_cost_fraction,
            "runs": self.runs,
            "budget": self.budget,
            "strategies": {s.label: s.build().config() for s in self.strategies},
            "seed": self.seed,
            "reward_noise": self.reward_noise,
            "max_stall": self.max_stall,
            "sim_workers": self.sim_workers,
        }
