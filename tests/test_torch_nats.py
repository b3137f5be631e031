"""The NATS-Bench size space: MAdds, official FLOPs and params for all 32,768 networks.

Every module of the network depends on at most two adjacent channel choices, so each module
is counted with torch once per channel pair; the full table is their sum, checked against the
closed form for all architectures. Full-model counts of a random sample check the summation.
"""

from functools import partial

import numpy as np
import pytest
import torch
from torch import nn

from layernas.torch import madds, params
from layernas.torch.spaces import nats_sss
from layernas.torch.spaces.nats import CHANNELS, Cell, NatsSizeNet, ResidualBlock

pytestmark = pytest.mark.torch

OFFICIAL_CIFAR10 = {  # arch: (FLOPs, params), NATS-Bench official records
    (8, 8, 8, 8, 8): (4_481_114, 11_714),
    (8, 8, 8, 16, 32): (6_840_650, 49_202),
    (8, 8, 40, 32, 40): (21_827_994, 144_834),
}


def closed_form(c, in_channels=3, size=32, classes=10):
    """(MAdds, params) from the data README's formula; ``c`` holds arrays c0..c4."""
    c0, c1, c2, c3, c4 = c

    def cell(a, b, r):  # two 3x3 a->b, three 3x3 b->b, skip 1x1 a->b when a != b
        return r * r * (18 * a * b + 27 * b * b + (a != b) * a * b), (
            2 * (9 * a * b + 2 * b) + 3 * (9 * b * b + 2 * b) + (a != b) * (a * b + 2 * b))

    def res(a, b, r):  # 3x3 stride 2 a->b, 3x3 b->b, shortcut 1x1 a->b (no BN) at r/2
        return (r // 2) ** 2 * (10 * a * b + 9 * b * b), 10 * a * b + 9 * b * b + 4 * b

    parts = [
        (size * size * 9 * in_channels * c0, 9 * in_channels * c0 + 2 * c0),
        cell(c0, c0, size), res(c0, c1, size), cell(c1, c2, size // 2),
        res(c2, c3, size // 2), cell(c3, c4, size // 4),
        (c4 * classes, 2 * c4 + c4 * classes + classes),
    ]
    return sum(p[0] for p in parts), sum(p[1] for p in parts)


def counted(build, shape):
    """[MAdds, params] of the module ``build()`` makes, built on the meta device."""
    with torch.device("meta"):
        module = build()
    return np.array([madds(module, shape), params(module)])


def per_channel(build, shape):
    """Counts of ``build(c)`` on input ``shape(c)`` for each channel choice: (2, 8)."""
    return np.stack([counted(partial(build, c), shape(c)) for c in CHANNELS], axis=1)


def per_pair(block, size):
    """Counts of ``block(a, b)`` on a (a, size, size) input for each channel pair: (2, 8, 8)."""
    return np.stack([np.stack([counted(partial(block, a, b), (a, size, size)) for b in CHANNELS],
                              axis=1) for a in CHANNELS], axis=1)


def head(c):
    net = NatsSizeNet((c,) * 5, 3, 10)
    return nn.Sequential(net.lastact, net.pool, nn.Flatten(), net.classifier)


def test_official_flops_and_params():
    space = nats_sss("cifar10")
    for arch, (flops, n_params) in OFFICIAL_CIFAR10.items():
        assert space.flops(arch) == flops
        assert space.params(arch) == n_params
        assert space.cost(arch) == flops - 10  # MAdds leave out the classifier's bias adds
        assert closed_form(arch) == (space.cost(arch), n_params)


@pytest.mark.slow
def test_all_architectures_by_summing_module_counts():
    s = 32
    stem = per_channel(lambda c: NatsSizeNet((c,) * 5, 3, 10).stem, lambda c: (3, s, s))
    cell0 = per_channel(lambda c: Cell(c, c), lambda c: (c, s, s))
    last = per_channel(head, lambda c: (c, s // 4, s // 4))
    res1, cell1 = per_pair(ResidualBlock, s), per_pair(Cell, s // 2)
    res2, cell2 = per_pair(ResidualBlock, s // 2), per_pair(Cell, s // 4)
    i0, i1, i2, i3, i4 = np.indices((len(CHANNELS),) * 5)
    table = (stem[:, i0] + cell0[:, i0] + res1[:, i0, i1] + cell1[:, i1, i2]
             + res2[:, i2, i3] + cell2[:, i3, i4] + last[:, i4])
    channels = np.array(CHANNELS)
    expected = closed_form([channels[i] for i in (i0, i1, i2, i3, i4)])
    assert table.shape == (2, 8, 8, 8, 8, 8)  # 32,768 architectures
    assert np.array_equal(table[0], expected[0])
    assert np.array_equal(table[1], expected[1])


@pytest.mark.parametrize("dataset,shape,classes", [
    ("cifar10", (3, 32, 32), 10), ("cifar100", (3, 32, 32), 100),
    ("ImageNet16-120", (3, 16, 16), 120),
])
@pytest.mark.slow
def test_full_models_match_closed_form(dataset, shape, classes):
    space = nats_sss(dataset)
    assert (space.input_shape, space.num_classes) == (shape, classes)
    rng = np.random.default_rng(0)
    for _ in range(50 if dataset == "cifar10" else 5):
        arch = space.space.sample(rng)
        expected = closed_form(arch, shape[0], shape[1], classes)
        assert (space.cost(arch), space.params(arch)) == expected
        assert space.flops(arch) == expected[0] + classes


def test_layers_and_small_inputs():
    space = nats_sss(input_shape=(1, 8, 8), num_classes=4)
    assert space.space.names == [f"channels{i}" for i in range(1, 6)]
    assert all(layer.options == tuple(range(8, 65, 8)) for layer in space.space.layers)
    assert space.space.size == 32_768
    model = space.build((8, 16, 24, 32, 40))
    assert model(torch.zeros(2, 1, 8, 8)).shape == (2, 4)
    assert space.cost((8, 16, 24, 32, 40)) == closed_form((8, 16, 24, 32, 40), 1, 8, 4)[0]
