"""NAS-Bench-Macro networks: params and MAdds equal the table's params and flops, all 6,561.

The table is found through the users' lookup (``layernas.benchmarks.data``: data dir,
LAYERNAS_DATA, cache, download); the test fails (never skips) when it is not there. Layer i's module depends only on its option, so
each of the 8 x 3 layer modules is counted with torch once and every architecture's count is
their sum (plus stem and head); full-model counts of a random sample check the summation.
"""

import json

import numpy as np
import pytest
import torch
from torch import nn

from layernas.benchmarks import data, macro
from layernas.torch import madds, params
from layernas.torch.spaces import nas_bench_macro
from layernas.torch.spaces.macro import LAYERS, OPTIONS, MacroNet, layer

pytestmark = [pytest.mark.torch, pytest.mark.data]


@pytest.fixture(scope="module")
def table():
    return json.loads(data.locate(macro.TABLE).read_text())


def counted(module, shape):
    return np.array([madds(module, shape), params(module)])


def test_all_architectures_match_the_table(table):
    with torch.device("meta"):
        net = MacroNet(("identity",) * 8, 3, 10)
        fixed = counted(net.stem, (3, 32, 32)) + counted(
            nn.Sequential(net.head, net.pool, nn.Flatten(), net.classifier), (256, 4, 4))
        per_layer = []  # [layer][option] -> [madds, params]
        size = 32
        for c_in, c_out, stride in LAYERS:
            per_layer.append([counted(layer(o, c_in, c_out, stride), (c_in, size, size))
                              for o in OPTIONS])
            size //= stride
    keys = sorted(table)
    assert len(keys) == 3**8
    digits = np.array([[int(d) for d in key] for key in keys])
    counts = np.array(per_layer)  # (8, 3, 2)
    total = fixed + counts[np.arange(8), digits].sum(axis=1)
    expected = np.array([[table[k]["flops"], table[k]["params"]] for k in keys])
    mismatched = [k for k, t, e in zip(keys, total, expected) if (t != e).any()]
    assert not mismatched, f"{len(mismatched)} architectures differ, e.g. {mismatched[:5]}"


@pytest.mark.slow
def test_full_models_match_the_table(table):
    space = nas_bench_macro()
    assert space.space.names == [f"layer{i}" for i in range(1, 9)]
    assert space.space.size == len(table)
    rng = np.random.default_rng(0)
    for key in rng.choice(sorted(table), 50, replace=False):
        arch = tuple(OPTIONS[int(d)] for d in key)
        assert space.cost(arch) == table[key]["flops"], key
        assert space.params(arch) == table[key]["params"], key


def test_forward_shapes_and_residuals():
    space = nas_bench_macro(input_shape=(1, 8, 8), num_classes=3)
    model = space.build(("MB6_K5", "MB3_K3", "identity", "identity", "MB3_K3", "MB6_K5",
                         "identity", "MB3_K3"))
    assert model(torch.zeros(2, 1, 8, 8)).shape == (2, 3)
    assert [getattr(m, "residual", None) for m in model.layers] == [
        False, True, None, None, True, False, None, True]
    assert isinstance(model.layers[3], nn.Identity)
