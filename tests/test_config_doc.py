"""docs/config.md documents every config key with its true default, and its example loads.

The expected tables are read from the code, generically: the pydantic config models field by
field (recursing into nested section models, whatever their class names), each registered
strategy's options, and ``TrainingProblem``'s arguments.
"""

from __future__ import annotations

import inspect
import json
import re
import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from layernas import config, strategies
from layernas.config import load_config

DOC = (Path(__file__).parents[1] / "docs" / "config.md").read_text()
UNSET = "unset"


def cell(value: Any) -> str:
    """How the doc writes a default: unset, or the TOML/JSON value in backticks."""
    if value is None:
        return UNSET
    if isinstance(value, tuple):
        value = list(value)
    return f"`{json.dumps(value)}`"


def nested_models(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models inside a field's type (``X``, ``X | None``, ``list[X]``, ...)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in nested_models(arg)]


def model_tables(model: type[BaseModel], path: str) -> dict[str, dict[str, str]]:
    """section path -> {key: default cell}, for ``model`` and every model nested in it."""
    keys, tables = {}, {}
    for name, field in model.model_fields.items():
        default = None if field.is_required() else field.get_default(call_default_factory=True)
        keys[name] = ("required" if field.is_required()
                      else "a table" if isinstance(default, BaseModel) else cell(default))
        for sub in nested_models(field.annotation):
            tables.update(model_tables(sub, f"{path}.{name}" if path else name))
    return {path: keys, **tables}


def signature_table(function: Any) -> dict[str, str]:
    parameters = inspect.signature(function).parameters.values()
    return {p.name: "required" if p.default is inspect.Parameter.empty else cell(p.default)
            for p in parameters
            if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}


def file_model() -> type[BaseModel]:
    """The config's top-level model, found by its sections (whatever its class is called)."""
    models = [m for m in vars(config).values() if isinstance(m, type)
              and issubclass(m, BaseModel) and {"space", "search", "strategy"} <= set(m.model_fields)]
    assert len(models) == 1, models
    return models[0]


def expected() -> dict[str, dict[str, str]]:
    from layernas.torch.problem import TrainingProblem

    tables = model_tables(file_model(), "")
    del tables[""]  # the file itself: its keys are the sections
    for name in strategies.STRATEGIES:
        tables[f"strategy.{name}"] = signature_table(strategies.STRATEGIES[name])
    tables["training-problem"] = signature_table(TrainingProblem)
    return tables


def documented() -> dict[str, dict[str, str]]:
    """schema id -> {key: default cell} from the tables after each ``<!-- schema: ID -->``."""
    tables: dict[str, dict[str, str]] = {}
    current = None
    for line in DOC.splitlines():
        marker = re.fullmatch(r"<!-- schema: (\S+) -->", line)
        if marker:
            current = marker.group(1)
            assert current not in tables, f"{current} documented twice"
            tables[current] = {}
            continue
        row = re.fullmatch(r"\| `(\w+)` \| ([^|]+?) \| .+ \|", line)
        if row and current is not None:
            assert row.group(1) not in tables[current], f"{current}.{row.group(1)} twice"
            tables[current][row.group(1)] = row.group(2)
        elif not line.startswith("|") and line.strip() and not line.startswith("<!--"):
            current = None if line.startswith("#") else current
    return tables


def test_every_key_is_documented_with_its_default() -> None:
    want, have = expected(), documented()
    assert set(have) == set(want), "documented tables differ from the schema's sections"
    for section, keys in want.items():
        assert have[section] == keys, f"docs/config.md, table {section}"


def test_the_check_can_fail() -> None:
    """A renamed section model or a changed default is noticed (the check is generic)."""

    class Renamed(BaseModel):
        budget: int | None = None
        seed: int = 7

    class Outer(BaseModel):
        search: Renamed
        extra: list[Renamed] | None = None

    tables = model_tables(Outer, "")
    assert tables["search"] == {"budget": UNSET, "seed": "`7`"}
    assert "extra" in tables and documented()["search"]["seed"] != tables["search"]["seed"]


@pytest.mark.torch
def test_the_example_loads(tmp_path: Path) -> None:
    example = re.search(r"```toml\n(.*?)```", DOC, re.DOTALL).group(1)
    (tmp_path / "example.toml").write_text(example)
    cfg = load_config(tmp_path / "example.toml")
    assert cfg.space.size > 1 and cfg.search.budget == 160
    settings = cfg.problem.reward.settings
    assert (settings.optimizer, settings.device, settings.epochs) == ("adamw", "auto", 4)
    assert isinstance(cfg.strategy, strategies.LayerNAS) and cfg.strategy.buckets == 4
