"""Search configs: a TOML file that names the space, cost, reward, range, strategy and run.

```toml
[space]                        # either inline layers ...
layers = [
  { name = "bun", options = ["plain", "sesame"], default = "sesame" },
]
# factory = "module:function"  # ... or a function returning a SearchSpace, or a problem
# args = { ... }               #     object with .space, .cost, .reward (and .export)

[search]
cost = "module:function"       # optional when the factory's problem has .cost
reward = "module:function"     # optional when the factory's problem has .reward
cost_range = [7, 9]            # or max_cost_fraction = 0.5 (of the largest model's cost)
budget = 100
seed = 0
workers = 1
journal = "run.sqlite"         # relative paths are relative to the config file
executor = "inline"            # inline | process | ray
timeout = 600                  # seconds per trial (process, ray)
retries = 0                    # re-runs of a trial that raised, gave NaN/inf or timed out
ray_address = "10.0.0.5:6379"  # join this Ray cluster (default: start a local Ray)
resources = { num_cpus = 1, num_gpus = 0 }   # per trial, on Ray

[strategy]
name = "layernas"              # layernas | random | evolution | reinforce | ppo | exhaustive
buckets = 4
keep = 1
```
This module owns parsing, validation (pydantic) and turning entry points into callables.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field

from layernas.errors import LayerNASError
from layernas.executors import EXECUTORS
from layernas.space import Layer, SearchSpace
from layernas import strategies
from layernas.strategies import Strategy

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LayerConfig(_Strict):
    name: str
    options: list[Any]
    default: Any = None


class SpaceConfig(_Strict):
    layers: list[LayerConfig] | None = None
    factory: str | None = None
    args: dict[str, Any] = Field(default_factory=dict)


class RunConfig(_Strict):
    cost: str | None = None
    reward: str | None = None
    cost_range: tuple[float, float] | None = None
    max_cost_fraction: float | None = Field(default=None, gt=0)
    budget: int | None = Field(default=None, ge=1)
    seed: int = 0
    workers: int = Field(default=1, ge=1)
    journal: str | None = None
    executor: Literal[EXECUTORS] | None = None  # type: ignore[valid-type]
    timeout: float | None = Field(default=None, gt=0)
    retries: int = Field(default=0, ge=0)
    ray_address: str | None = None
    resources: dict[str, Any] | None = None
    out: str | None = None


class FileConfig(_Strict):
    space: SpaceConfig
    search: RunConfig = Field(default_factory=RunConfig)
    strategy: dict[str, Any] = Field(default_factory=lambda: {"name": "layernas"})


@dataclass
class SearchConfig:
    """A loaded config: everything ``layernas.search`` needs, plus the problem object."""

    space: SearchSpace
    cost: Callable
    reward: Callable
    cost_range: tuple[float, float] | None
    max_cost_fraction: float | None
    strategy: Strategy
    run: RunConfig
    problem: Any  # the factory's object (may offer .export), or None
    base: Path


def load_entry_point(spec: str, base: Path) -> Any:
    """Import ``module:attribute``; the config file's folder is importable."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise LayerNASError(f"entry point {spec!r} must look like 'module:function'")
    if str(base) not in sys.path:
        sys.path.insert(0, str(base))
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise LayerNASError(
            f"cannot import module {module_name!r} for entry point {spec!r} ({exc}); "
            f"check the name and that it is importable from {base}"
        ) from None
    try:
        return getattr(module, attr)
    except AttributeError:
        raise LayerNASError(f"module {module_name!r} has no attribute {attr!r} ({spec!r})") from None


def make_strategy(options: dict[str, Any]) -> Strategy:
    """A strategy from ``{"name": ..., **options}``."""
    options = dict(options)
    return strategies.make(options.pop("name", "layernas"), **options)


def load_config(path: str | Path) -> SearchConfig:
    """Parse and validate a TOML search config."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise LayerNASError(f"config file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise LayerNASError(f"{path} is not valid TOML: {exc}") from None
    try:
        cfg = FileConfig.model_validate(data)
    except pydantic.ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()
        )
        raise LayerNASError(f"{path}: {problems}") from None
    base = path.resolve().parent
    problem = None
    if (cfg.space.layers is None) == (cfg.space.factory is None):
        raise LayerNASError(f"{path}: [space] needs exactly one of 'layers' or 'factory'")
    if cfg.space.layers is not None:
        space = SearchSpace([Layer(lc.name, lc.options, lc.default) for lc in cfg.space.layers])
    else:
        made = load_entry_point(cfg.space.factory, base)(**cfg.space.args)
        if isinstance(made, SearchSpace):
            space = made
        else:
            problem, space = made, made.space
    cost = _callable(cfg.search.cost, problem, "cost", base, path)
    reward = _callable(cfg.search.reward, problem, "reward", base, path)
    if (cfg.search.cost_range is None) == (cfg.search.max_cost_fraction is None):
        raise LayerNASError(f"{path}: [search] needs exactly one of cost_range or max_cost_fraction")
    return SearchConfig(
        space=space,
        cost=cost,
        reward=reward,
        cost_range=cfg.search.cost_range,
        max_cost_fraction=cfg.search.max_cost_fraction,
        strategy=make_strategy(cfg.strategy),
        run=cfg.search,
        problem=problem,
        base=base,
    )


def _callable(spec: str | None, problem: Any, attr: str, base: Path, path: Path) -> Callable:
    if spec is not None:
        return load_entry_point(spec, base)
    if problem is not None and callable(getattr(problem, attr, None)):
        return getattr(problem, attr)
    raise LayerNASError(f"{path}: [search] needs {attr} = 'module:function'")
