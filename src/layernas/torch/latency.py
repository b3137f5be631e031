"""Latency as a cost: measured CPU inference latency, and a per-block lookup-table predictor.

This module owns the measurement protocol and the table.

``measure_latency(module, input_shape)`` times the module on the CPU with a batch of one
zero example, in eval mode under ``torch.inference_mode`` (training flags restored): ``warmup``
untimed runs, then ``repeats`` timed runs (``time.perf_counter``); the result is their median in
milliseconds, with the min/max and the setting (threads, warm-up, repeats, batch, torch version).
``torch.set_num_threads(threads)`` is pinned for the measurement and restored afterwards.

``LatencyTable`` is a MnasNet/FBNet-style predictor: a network is split into its ``parts()``
(stem, each block, head + pool + classifier for the MobileNet spaces; the whole module when it
has no ``parts``); each part is keyed by its input shape and its module ``repr`` (type, channels,
kernel, stride, groups, activation, SE), measured once in isolation the first time that key is
seen, and the prediction is the sum of the parts' entries. Given its table the prediction is
deterministic (``measure=False`` refuses unknown parts); the table saves to and loads from JSON.
The plain sum reads low (a part timed alone runs with its weights in cache); ``calibrate``
removes that bias: it times a few whole networks and sets the table's ``scale`` (the ratio of
measured to summed latency with the least squared relative error), by which every prediction
is multiplied; the scale is saved with the table. Its accuracy (``bench/latency_predictor.py``)
is in docs/benchmarks.md, "Latency predictor".

Monotonicity: LayerNAS wants a layer's options to change the cost in the same direction
whatever the other layers hold. The table is additive over blocks, so a block's options
change only that block's entry (and the next block's input width). It is only roughly
monotone on tiny networks, where per-op overhead dominates (docs/benchmarks.md has the
count on digits MobileNetV2). Measured latency (``measure_latency`` of the whole network)
adds run-to-run noise on top.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from layernas.errors import LayerNASError
from layernas.space import Arch
from layernas.torch.counting import eval_mode
from layernas.torch.spaces.base import ModelSpace
from layernas.validate import non_negative_int


@dataclass(frozen=True)
class LatencySetting:
    """How a latency was measured."""

    threads: int = 1
    warmup: int = 10
    repeats: int = 50
    batch: int = 1
    device: str = "cpu"
    torch_version: str = torch.__version__


@dataclass(frozen=True)
class LatencyMeasurement:
    """Median (and spread) of repeated timed runs, in milliseconds, with its setting."""

    median_ms: float
    min_ms: float
    max_ms: float
    setting: LatencySetting

    @property
    def threads(self) -> int:
        return self.setting.threads

    @property
    def torch_version(self) -> str:
        return self.setting.torch_version


@contextmanager
def pinned_threads(threads: int) -> Iterator[None]:
    """``torch.set_num_threads(threads)`` inside the block, the previous value restored."""
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def measure_latency(module: nn.Module, input_shape: Sequence[int], threads: int = 1,
                    warmup: int = 10, repeats: int = 50) -> LatencyMeasurement:
    """CPU latency of one batch-1 forward pass of ``module`` (see the module docstring)."""
    setting = LatencySetting(threads=threads, warmup=warmup, repeats=repeats)
    x = torch.zeros(1, *input_shape)
    times = []
    with pinned_threads(threads), eval_mode(module), torch.inference_mode():
        for _ in range(warmup):
            module(x)
        for _ in range(repeats):
            start = time.perf_counter()
            module(x)
            times.append((time.perf_counter() - start) * 1e3)
    return LatencyMeasurement(statistics.median(times), min(times), max(times), setting)


def parts(module: nn.Module) -> list[nn.Module]:
    """The modules that, run in turn, make up ``module`` (its ``parts()``, else itself)."""
    split = getattr(module, "parts", None)
    return list(split()) if callable(split) else [module]


@dataclass
class LatencyTable:
    """Per-part latencies (median ms) keyed by input shape + module repr, and their setting."""

    setting: LatencySetting = field(default_factory=LatencySetting)
    entries: dict[str, float] = field(default_factory=dict)
    scale: float = 1.0

    def keyed_parts(self, module: nn.Module,
                    input_shape: Sequence[int]) -> list[tuple[str, nn.Module, tuple[int, ...]]]:
        """(key, part, input shape of one example) for each part of ``module``."""
        x = torch.zeros(1, *input_shape)
        keyed = []
        with eval_mode(module), torch.inference_mode():
            for part in parts(module):
                shape = tuple(x.shape[1:])
                keyed.append((f"{list(shape)} {' '.join(repr(part).split())}", part, shape))
                x = part(x)
        return keyed

    def predict(self, module: nn.Module, input_shape: Sequence[int],
                measure: bool = True) -> float:
        """Predicted latency (ms): ``scale`` times the sum of the parts' entries, measuring
        unknown parts once when ``measure`` (otherwise an unknown part raises ``KeyError``)."""
        total = 0.0
        for key, part, shape in self.keyed_parts(module, input_shape):
            if key not in self.entries:
                if not measure:
                    raise KeyError(f"no latency entry for {key}")
                s = self.setting
                self.entries[key] = measure_latency(part, shape, s.threads, s.warmup,
                                                    s.repeats).median_ms
            total += self.entries[key]
        return self.scale * total

    def calibrate(self, modules: Sequence[nn.Module], input_shape: Sequence[int]) -> float:
        """Set ``scale`` so that predictions match the measured latency of ``modules`` (whole
        networks, timed with the table's setting) with the least squared relative error;
        returns it."""
        if not modules:
            raise LayerNASError("calibrate needs at least one network to time")
        s = self.setting
        self.scale = 1.0
        summed = [self.predict(module, input_shape) for module in modules]
        measured = [measure_latency(module, input_shape, s.threads, s.warmup,
                                    s.repeats).median_ms for module in modules]
        self.scale = fit_scale(summed, measured)
        return self.scale

    def save(self, path: str | Path) -> None:
        data = {"setting": asdict(self.setting), "entries": self.entries, "scale": self.scale}
        Path(path).write_text(json.dumps(data, indent=1, sort_keys=True))

    @classmethod
    def load(cls, path: str | Path) -> LatencyTable:
        data = json.loads(Path(path).read_text())
        return cls(LatencySetting(**data["setting"]), dict(data["entries"]),
                   float(data.get("scale", 1.0)))


def fit_scale(predicted: Sequence[float], measured: Sequence[float]) -> float:
    """The ``c`` minimising the squared relative error ``sum((c * p / m - 1) ** 2)``."""
    ratios = [p / m for p, m in zip(predicted, measured, strict=True)]
    return sum(ratios) / sum(r * r for r in ratios)


@dataclass
class LatencyCost:
    """Latency (ms) of each architecture of a model space as a search cost.

    ``mode="latency"`` measures the built network (``measure_latency``); ``mode="latency_table"``
    predicts it with a ``LatencyTable``, calibrated first on ``calibration`` whole networks
    drawn uniformly from the space (seeded: the same networks each time; 0: uncalibrated).
    Either way the values are measured, so the cost declares an ``identity`` (mode, setting,
    torch version): a search's journal recognises the cost by it and stores every
    architecture's latency, which a resumed search reuses instead of measuring again. With ``path`` (table mode only) the table is read from that
    file when it exists and written back whenever it grows, so later searches reuse it.
    Networks are built under ``torch.random.fork_rng`` so costing never moves torch's RNG.
    """

    units = "ms"
    model_space: ModelSpace
    mode: str = "latency_table"
    threads: int = 1
    path: Path | None = None
    calibration: int = 5
    table: LatencyTable = field(init=False)

    def __post_init__(self) -> None:
        if self.mode not in ("latency", "latency_table"):
            raise LayerNASError(
                f"unknown latency cost {self.mode!r}; use 'latency' or 'latency_table'"
            )
        non_negative_int(self.calibration, "latency calibration")
        if self.path is not None and self.mode == "latency":
            raise LayerNASError(
                "a latency file holds a latency_table's per-block table; measured whole-network "
                "latencies are cached in the search's journal (give a journal path instead)"
            )
        self.table = LatencyTable(LatencySetting(threads=self.threads))
        if self.path is not None and self.path.exists():  # a saved table keeps its setting
            self.table = LatencyTable.load(self.path)  # and scale
        elif self.mode == "latency_table" and self.calibration > 0:
            rng = np.random.default_rng(0)
            with torch.random.fork_rng(devices=[]):
                networks = [self.model_space.build(self.model_space.space.sample(rng))
                            for _ in range(self.calibration)]
            self.table.calibrate(networks, self.model_space.input_shape)
            if self.path is not None:
                self.table.save(self.path)

    @property
    def identity(self) -> str:
        """The measurement protocol, which names this cost in journals."""
        s = self.table.setting
        calibrated = f", calibration={self.calibration}" if self.mode == "latency_table" else ""
        return (f"{self.mode}(threads={s.threads}, warmup={s.warmup}, repeats={s.repeats}, "
                f"batch={s.batch}, {s.device}, torch {s.torch_version}{calibrated})")

    def __call__(self, arch: Arch) -> float:
        with torch.random.fork_rng(devices=[]):
            module = self.model_space.build(arch)
        shape = self.model_space.input_shape
        if self.mode == "latency_table":
            known = len(self.table.entries)
            ms = self.table.predict(module, shape)
            if self.path is not None and len(self.table.entries) > known:
                self.table.save(self.path)
            return ms
        s = self.table.setting
        return measure_latency(module, shape, s.threads, s.warmup, s.repeats).median_ms
