"""The MobileNetV3-style space: layers, SE and activation options, MAdds counted by hand."""

import pytest
import torch
from torch import nn

from layernas import LayerNASError
from layernas.torch.spaces import make, mobilenet_v3
from layernas.torch.spaces.blocks import SqueezeExcite

pytestmark = pytest.mark.torch


@pytest.fixture
def one_block():
    # stem 1->8 at 4x4; one stride-1 block: expansion 3, width 8; head 16
    return mobilenet_v3(input_shape=(1, 4, 4), num_classes=2, blocks=[([3], [8], 1)],
                        stem_width=8, head_width=16)


STEM = 4 * 4 * 8 * 9            # conv3x3 1->8 at 4x4
HEAD = 4 * 4 * 16 * 8 + 16 * 2  # conv1x1 8->16 at 4x4, linear 16->2
BLOCK = 4 * 4 * 24 * 8 + 4 * 4 * 24 * 9 + 4 * 4 * 8 * 24  # expand 8->24, depthwise 3x3, project
SE = 24 * 8 + 8 * 24  # squeeze 24 -> make_divisible(24/4)=8 -> 24; pool, gate, multiply free


def test_layers(one_block):
    assert one_block.space.names == ["b1_kernel", "b1_expand", "b1_width", "b1_se", "b1_act",
                                     "b1_skip"]
    assert one_block.space.size == 3 * 1 * 1 * 2 * 2 * 2


def test_single_block_madds_by_hand_with_and_without_se(one_block):
    assert one_block.cost((3, 3, 8, False, "relu", False)) == STEM + BLOCK + HEAD
    assert one_block.cost((3, 3, 8, True, "relu", False)) == STEM + BLOCK + SE + HEAD
    assert one_block.cost((3, 3, 8, True, "hswish", False)) == STEM + BLOCK + SE + HEAD
    assert one_block.cost((7, 3, 8, True, "relu", True)) == STEM + HEAD  # skipped: identity


def test_options_build_the_right_modules(one_block):
    model = one_block.build((5, 3, 8, True, "hswish", False))
    block = model.blocks[0]
    assert block.residual and any(isinstance(m, SqueezeExcite) for m in block.modules())
    assert isinstance(block.body[0][2], nn.Hardswish) and isinstance(model.stem[2], nn.Hardswish)
    assert block.body[1][0].kernel_size == (5, 5)
    plain = one_block.build((3, 3, 8, False, "relu", False)).blocks[0]
    assert isinstance(plain.body[0][2], nn.ReLU)
    assert not any(isinstance(m, SqueezeExcite) for m in plain.modules())
    assert model(torch.zeros(2, 1, 4, 4)).shape == (2, 2)


@pytest.mark.parametrize(("variant", "layers", "lo", "hi"),
                         [("small", 28, 83_840, 1_150_144), ("large", 40, 158_112, 2_472_064)])
def test_variants(variant, layers, lo, hi):
    space = make("mobilenet_v3", variant=variant)
    assert len(space.space) == layers
    largest = tuple(False if layer.name.endswith("skip") else layer.options[-1]
                    for layer in space.space.layers)
    cheapest = tuple(True if layer.name.endswith("skip") else layer.options[0]
                     for layer in space.space.layers)
    assert space.cost(cheapest) == lo and space.cost(largest) == hi
    assert space.build(largest)(torch.zeros(1, 1, 8, 8)).shape == (1, 10)
    again = make(space.name, **space.kwargs)
    assert again.space == space.space and again.kwargs == space.kwargs
    with pytest.raises(LayerNASError, match="variant"):
        mobilenet_v3("huge")
