"""The MobileNetV2-style space: layers, skip/width semantics, and MAdds counted by hand."""

import pytest
import torch
from torch import nn

from layernas import LayerNASError
from layernas.torch.spaces import make, mobilenet_v2

pytestmark = pytest.mark.torch


@pytest.fixture
def tiny():
    # stem 1->8 at 4x4; block 1: width 8|16, stride 1; block 2: width 16, stride 2; head 16
    return mobilenet_v2(input_shape=(1, 4, 4), num_classes=2, blocks=[([8, 16], 1), ([16], 2)],
                        stem_width=8, head_width=16)


STEM = 4 * 4 * 8 * 9            # conv3x3 1->8 at 4x4
HEAD = 2 * 2 * 16 * 16 + 16 * 2  # conv1x1 16->16 at 2x2, linear 16->2
B2_E3_K3_FROM8 = 4 * 4 * 24 * 8 + 2 * 2 * 24 * 9 + 2 * 2 * 16 * 24  # expand, depthwise s2, project


def test_tiny_space_layers(tiny):
    assert tiny.space.names == ["b1_kernel", "b1_expand", "b1_width", "b1_skip",
                                "b2_kernel", "b2_expand", "b2_width"]
    assert tiny.space.size == 3 * 3 * 2 * 2 * 3 * 3 * 1


def test_madds_by_hand(tiny):
    block1 = 4 * 4 * 8 * 9 + 4 * 4 * 8 * 8  # expansion 1: depthwise 3x3 + project, residual
    assert tiny.cost((3, 1, 8, False, 3, 3, 16)) == STEM + block1 + B2_E3_K3_FROM8 + HEAD
    projection = 4 * 4 * 16 * 8  # skipped block that must widen 8 -> 16: conv1x1 + BN
    block2 = 2 * 2 * 16 * 25 + 2 * 2 * 16 * 16  # expansion 1, kernel 5, stride 2
    assert tiny.cost((7, 6, 16, True, 5, 1, 16)) == STEM + projection + block2 + HEAD
    assert tiny.cost((7, 6, 8, True, 3, 3, 16)) == STEM + 0 + B2_E3_K3_FROM8 + HEAD


def test_params_by_hand(tiny):
    stem = 9 * 8 + 2 * 8
    block1 = 9 * 8 + 2 * 8 + 8 * 8 + 2 * 8
    block2 = 8 * 24 + 2 * 24 + 9 * 24 + 2 * 24 + 24 * 16 + 2 * 16
    head = 16 * 16 + 2 * 16 + 16 * 2 + 2
    assert tiny.params((3, 1, 8, False, 3, 3, 16)) == stem + block1 + block2 + head


def test_skipped_block_ignores_kernel_and_expansion(tiny):
    a, b = tiny.build((3, 1, 8, True, 3, 3, 16)), tiny.build((7, 6, 8, True, 3, 3, 16))
    assert isinstance(a.blocks[0], nn.Identity) and isinstance(b.blocks[0], nn.Identity)
    assert str(a) == str(b)
    assert tiny.cost((3, 1, 8, True, 3, 3, 16)) == tiny.cost((7, 6, 8, True, 3, 3, 16))


def test_default_digits_space():
    space = mobilenet_v2()
    assert space.input_shape == (1, 8, 8) and space.num_classes == 10
    assert len(space.space) == 18 and space.space.size == 76_527_504
    largest = tuple(False if layer.name.endswith("skip") else layer.options[-1]
                    for layer in space.space.layers)
    cheapest = (3, 1, 16, True, 3, 1, 16, 3, 1, 16, True, 3, 1, 32, 3, 1, 32, True)
    assert space.cost(largest) == 1_567_744
    assert space.cost(cheapest) == 35_904
    assert space.build(largest)(torch.zeros(3, 1, 8, 8)).shape == (3, 10)


def test_width_multiplier_scales_stem_widths_and_head():
    space = mobilenet_v2(width_mult=1.4)
    assert space.space.layers[2].options == (16, 24)  # 8, 16 scaled to multiples of 8
    model = space.build(tuple(layer.options[0] for layer in space.space.layers))
    assert model.stem[0].out_channels == 24 and model.head[0].out_channels == 176


def test_make_rebuilds_from_json_kwargs(tiny):
    again = make(tiny.name, **tiny.kwargs)
    assert again.space == tiny.space and again.kwargs == tiny.kwargs
    with pytest.raises(LayerNASError, match="unknown model space"):
        make("resnet")
