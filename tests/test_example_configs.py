"""The digits example configs for the new spaces and the latency cost load and cost right."""

from pathlib import Path

import pytest

from layernas.config import load_config

pytestmark = pytest.mark.torch

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.parametrize(("name", "space", "layers"), [
    ("digits_v3_small.toml", "mobilenet_v3", 28),
    ("digits_v2_1.4x.toml", "mobilenet_v2", 18),
    ("digits_latency.toml", "mobilenet_v2", 18),
])
def test_config_loads(name, space, layers):
    cfg = load_config(EXAMPLES / name)
    assert cfg.problem.model_space.name == space and len(cfg.space) == layers
    assert cfg.search.max_cost_fraction in (0.75, 0.85) and cfg.search.budget == 40


def test_v3_large_config_loads():
    cfg = load_config(EXAMPLES / "digits_v3_large.toml")
    assert cfg.problem.model_space.kwargs["variant"] == "large" and len(cfg.space) == 40
    assert cfg.search.max_cost_fraction == 0.85 and cfg.search.budget == 80


def test_v2_1_4x_config_scales_widths():
    cfg = load_config(EXAMPLES / "digits_v2_1.4x.toml")
    assert cfg.problem.model_space.kwargs["width_mult"] == 1.4
    assert cfg.space.layers[2].options == (16, 24)


def test_latency_config_uses_the_table():
    cfg = load_config(EXAMPLES / "digits_latency.toml")
    assert cfg.problem.cost_name == "latency_table"
    assert cfg.problem.latency.table.setting.threads == 1
