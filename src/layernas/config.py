"""Search configs: a TOML file whose sections name the space, the search and the strategy.

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
out = "winner"                 # export the winner here
executor = "inline"            # inline | process | ray
timeout = 600                  # seconds per trial (process, ray)
retries = 0                    # re-runs of a trial that raised, gave NaN/inf or timed out
retry_failed = true            # on resume, train the journal's failed trials again
ray_address = "10.0.0.5:6379"  # join this Ray cluster (default: start a local Ray)
resources = { num_cpus = 1, num_gpus = 0 }   # per trial, on Ray

[strategy]
name = "layernas"              # a registered name (layernas.strategies.make) or module:Class
buckets = 4                    # the strategy's own options
keep = 1
```
This module owns the file's schema (one pydantic model per section, named after it), turning
entry points into callables with errors that name the file, merging command-line overrides
(:meth:`SearchConfig.with_overrides`), and running and exporting what a config describes.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import inspect
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field

from layernas import strategies
from layernas.errors import LayerNASError
from layernas.executors import EXECUTORS, make_executor
from layernas.problem import CostRange, MaxCostFraction
from layernas.runner import SearchResult, search
from layernas.space import Layer, SearchSpace
from layernas.strategies import Strategy
from layernas.trial import Trial
from layernas.validate import no_winner_in

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class _Section(BaseModel):
    # strict: a TOML value of the wrong type is an error, never silently converted
    model_config = ConfigDict(extra="forbid", strict=True)


class LayerEntry(_Section):
    """One entry of ``[space] layers``."""

    name: str
    options: list[Any]
    default: Any = None


class SpaceSection(_Section):
    """``[space]``: inline ``layers``, or a ``factory`` called with ``args``."""

    layers: list[LayerEntry] | None = None
    factory: str | None = None
    args: dict[str, Any] = Field(default_factory=dict)


class SearchSection(_Section):
    """``[search]``: what to search for and how to run it."""

    cost: str | None = None
    reward: str | None = None
    cost_range: list[float] | None = Field(default=None, min_length=2, max_length=2)
    max_cost_fraction: float | None = Field(default=None, gt=0, le=1)
    budget: int | None = Field(default=None, ge=1)
    seed: int = Field(default=0, ge=0)
    workers: int = Field(default=1, ge=1)
    journal: str | None = None
    out: str | None = None
    executor: Literal[EXECUTORS] | None = None  # type: ignore[valid-type]
    timeout: float | None = Field(default=None, gt=0)
    retries: int = Field(default=0, ge=0)
    retry_failed: bool = True
    ray_address: str | None = None
    resources: dict[str, Any] | None = None


class StrategySection(BaseModel):
    """``[strategy]``: a strategy ``name`` and its options (every other key)."""

    model_config = ConfigDict(extra="allow", strict=True)
    name: str = "layernas"

    @property
    def options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class ConfigFile(_Section):
    """The whole file."""

    space: SpaceSection
    search: SearchSection = Field(default_factory=SearchSection)
    strategy: StrategySection = Field(default_factory=StrategySection)


@dataclass(frozen=True)
class SearchConfig:
    """A loaded config: the space, cost, reward and strategy it names, its ``[search]``
    settings, and the factory's problem object (which may offer ``export``), or None."""

    path: Path
    space: SearchSpace
    cost: Callable
    reward: Callable
    strategy: Strategy
    search: SearchSection
    problem: Any = None

    @property
    def base(self) -> Path:
        """The config file's folder: relative paths in the file are relative to it."""
        return self.path.resolve().parent

    @property
    def journal(self) -> Path | None:
        return self._path(self.search.journal)

    @property
    def out(self) -> Path | None:
        return self._path(self.search.out)

    def _path(self, text: str | None) -> Path | None:
        """A path of the file: ``~`` expanded, relative ones relative to the file's folder."""
        return None if text is None else self.base / Path(text).expanduser()

    def with_overrides(
        self,
        *,
        cpus_per_trial: float | None = None,
        gpus_per_trial: float | None = None,
        journal: str | Path | None = None,
        out: str | Path | None = None,
        **settings: Any,
    ) -> SearchConfig:
        """This config with every given (not None) ``[search]`` setting replaced, checked as
        the file's are; ``cpus_per_trial``/``gpus_per_trial`` set Ray's per-trial resources.
        Paths given here are relative to the working directory, not to the config file."""
        given = {key: value for key, value in settings.items() if value is not None}
        for key, value in (("journal", journal), ("out", out)):
            if value is not None:
                given[key] = str(Path(value).absolute())
        resources = dict(self.search.resources or {})
        for key, value in (("num_cpus", cpus_per_trial), ("num_gpus", gpus_per_trial)):
            if value is not None:
                resources[key] = value
        if resources:
            given["resources"] = resources
        try:
            search = SearchSection.model_validate({**self.search.model_dump(), **given})
        except pydantic.ValidationError as exc:
            raise LayerNASError(f"{self.path}: {_problems(exc)}") from None
        changed = dataclasses.replace(self, search=search)
        changed.check_paths()
        return changed

    def check_paths(self) -> None:
        """A journal path must be a file, not a folder."""
        if self.journal is not None and self.journal.is_dir():
            raise LayerNASError(
                f"{self.path}: journal {self.journal} is a folder; give a file path, e.g. "
                f"journal = \"{Path(self.search.journal or '') / 'search.sqlite'}\""
            )

    @property
    def cost_range(self) -> CostRange:
        """``cost_range``, or ``max_cost_fraction`` of the largest model's cost."""
        if self.search.cost_range is not None:
            lo, hi = self.search.cost_range
            return lo, hi
        return MaxCostFraction(self.search.max_cost_fraction)

    def run(self, progress: bool | None = None) -> SearchResult:
        """Run the search this config describes (resuming from its journal, if any)."""
        s = self.search
        return search(
            self.space,
            reward=self.reward,
            cost=self.cost,
            cost_range=self.cost_range,
            strategy=self.strategy,
            budget=s.budget,
            seed=s.seed,
            workers=s.workers,
            journal=self.journal,
            progress=progress,
            executor=make_executor(s.executor, address=s.ray_address, resources=s.resources),
            timeout=s.timeout,
            retries=s.retries,
            retry_failed=s.retry_failed,
        )

    def export(self, best: Trial, out: Path, overwrite: bool = False) -> dict[str, Any]:
        """Write the winner to ``out`` and return the metrics its export measured; a folder
        that holds a winner already is refused unless ``overwrite``.

        A problem that exports itself (a :class:`~layernas.torch.problem.TrainingProblem`
        retrains the winner and writes its weights) does; otherwise ``arch.json`` holds the
        layer names and options, the cost and the reward, and there are no metrics.
        """
        no_winner_in(out, overwrite)
        export = getattr(self.problem, "export", None)
        if export is not None:
            takes = inspect.signature(export).parameters
            return dict(export(best, out, **({"overwrite": True} if "overwrite" in takes else {}))
                        or {})
        out.mkdir(parents=True, exist_ok=True)
        record = {"arch": dict(zip(self.space.names, best.arch)), "cost": best.cost,
                  "reward": best.reward}
        (out / "arch.json").write_text(json.dumps(record, indent=2) + "\n")
        return {}


def build_entry_point(spec: str, kwargs: dict[str, Any], kind: type, what: str,
                      public_name: str) -> Any:
    """Call the ``module:function`` factory ``spec`` (importable from the working folder) with
    ``kwargs`` and check that it made a ``kind`` (``public_name`` is how the error names it)."""
    made = load_entry_point(spec, Path.cwd())(**kwargs)
    if not isinstance(made, kind):
        raise LayerNASError(f"{what} {spec!r} returned {type(made).__name__}; "
                            f"return a {public_name}")
    return made


def load_entry_point(spec: str, base: Path, what: str = "entry point") -> Any:
    """Import ``module:attribute``; the config file's folder is importable."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise LayerNASError(f"{what} {spec!r} must look like 'module:function'")
    if str(base) not in sys.path:
        sys.path.insert(0, str(base))
    try:
        module = importlib.import_module(module_name)
    except SyntaxError as exc:
        raise LayerNASError(
            f"{what} {spec!r}: {exc.filename}, line {exc.lineno}: syntax error ({exc.msg}); "
            "fix the module and run again"
        ) from None
    except ModuleNotFoundError as exc:
        if exc.name is None or not module_name.startswith(exc.name):
            raise LayerNASError(_raised_on_import(what, spec, module_name, exc)) from None
        raise LayerNASError(
            f"cannot import module {module_name!r} for {what} {spec!r} ({exc}); "
            f"check the name and that it is importable from {base}"
        ) from None
    except Exception as exc:  # noqa: BLE001 - whatever the user's module raises on import
        raise LayerNASError(_raised_on_import(what, spec, module_name, exc)) from None
    try:
        return getattr(module, attr)
    except AttributeError:
        raise LayerNASError(f"module {module_name!r} has no attribute {attr!r} ({spec!r})") from None


def _raised_on_import(what: str, spec: str, module_name: str, exc: BaseException) -> str:
    found = importlib.util.find_spec(module_name.partition(".")[0])
    where = f" ({found.origin})" if found is not None and found.origin else ""
    return (
        f"{what} {spec!r}: importing module {module_name!r}{where} raised "
        f"{type(exc).__name__}: {exc}; fix the module and run again"
    )


def load_config(path: str | Path) -> SearchConfig:
    """Parse and check a TOML search config; every error names the file."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise LayerNASError(f"config file {path} does not exist") from None
    except IsADirectoryError:
        raise LayerNASError(f"{path} is a folder; give the path of a TOML config file") from None
    except tomllib.TOMLDecodeError as exc:
        raise LayerNASError(f"{path} is not valid TOML: {exc}") from None
    try:
        file = ConfigFile.model_validate(data)
    except pydantic.ValidationError as exc:
        raise LayerNASError(f"{path}: {_problems(exc)}") from None
    base = path.resolve().parent
    space_section, search = file.space, file.search
    if (space_section.layers is None) == (space_section.factory is None):
        raise LayerNASError(f"{path}: [space] needs exactly one of 'layers' or 'factory'")
    if (search.cost_range is None) == (search.max_cost_fraction is None):
        raise LayerNASError(f"{path}: [search] needs exactly one of cost_range or max_cost_fraction")
    try:
        strategy = _strategy(file.strategy, base)
        problem = None
        if space_section.layers is not None:
            space = SearchSpace([Layer(e.name, e.options, e.default) for e in space_section.layers])
        else:
            made = _call_factory(space_section.factory, space_section.args, base)
            problem, space = (None, made) if isinstance(made, SearchSpace) else (made, made.space)
        cost = _callable(search.cost, problem, "cost", base)
        reward = _callable(search.reward, problem, "reward", base)
    except LayerNASError as exc:
        raise LayerNASError(f"{path}: {exc}") from None
    config = SearchConfig(path, space, cost, reward, strategy, search, problem)
    config.check_paths()
    return config


def _strategy(section: StrategySection, base: Path) -> Strategy:
    """``[strategy]``: a registered name, or ``module:Class`` of your own (registered here)."""
    name = section.name
    if ":" in name:
        cls = load_entry_point(name, base, "[strategy] name")
        strategies.register(cls)
        name = cls.name
    return strategies.make(name, **section.options)


def _call_factory(spec: str, args: dict[str, Any], base: Path) -> Any:
    """``[space] factory`` called with ``args``; an unknown argument lists the accepted ones."""
    factory = load_entry_point(spec, base, "[space] factory")
    try:
        parameters = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):  # no signature to check (a builtin)
        return factory(**args)
    accepted = [p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    passes_on = any(p.kind is p.VAR_KEYWORD for p in parameters)
    unknown = [key for key in args if key not in accepted]
    if unknown and not passes_on:
        raise LayerNASError(
            f"[space] args: {spec} has no argument {unknown[0]!r}; it accepts: {', '.join(accepted)}"
        )
    try:
        return factory(**args)
    except TypeError as exc:
        if "unexpected keyword argument" not in str(exc):
            raise
        raise LayerNASError(
            f"[space] args: {exc}; check the argument names of {spec} and the functions it "
            f"passes them to{' (its own: ' + ', '.join(accepted) + ')' if accepted else ''}"
        ) from None


def _callable(spec: str | None, problem: Any, attr: str, base: Path) -> Callable:
    if spec is not None:
        return load_entry_point(spec, base, f"[search] {attr}")
    if problem is not None and callable(getattr(problem, attr, None)):
        return getattr(problem, attr)
    raise LayerNASError(f"[search] needs {attr} = 'module:function'")


def _problems(exc: pydantic.ValidationError) -> str:
    """One line for all of a pydantic error's complaints, with the value each one got."""
    return "; ".join(
        f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
        + (f" (got {e['input']!r})" if e["type"] not in ("extra_forbidden", "missing") else "")
        for e in exc.errors()
    )
