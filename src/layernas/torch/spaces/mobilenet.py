"""A layerwise MobileNetV2-style space for small images (scikit-learn digits 1x8x8, MNIST).

Network: stem conv3x3 (``stem_stride``) + BN + ReLU6; one inverted-residual block per entry
of ``blocks`` (``(width options, stride)``); head conv1x1 -> ``head_width`` + BN + ReLU6,
global average pool, linear -> ``num_classes``.

Searchable layers of block i, in this order:
  ``bi_kernel``  depthwise kernel, 3 / 5 / 7
  ``bi_expand``  expansion ratio, 1 / 3 / 6 (1: no pointwise expand conv, as in MobileNetV2)
  ``bi_width``   output channels, from the block's list
  ``bi_skip``    False / True, only for stride-1 blocks
A block is a MobileNetV2 block (residual add when its input and output shapes match). Skipping
replaces it by a shortcut: identity when its input width equals ``bi_width``, otherwise a
1x1 conv + BN that only changes the width (NAS-Bench-Macro's rule for an identity that must
change shape). So width and skip are independent layers and every architecture is valid;
a skipped block ignores its kernel and expansion (architectures differing only there are
the same network, with the same cost).

``width_mult`` scales the stem, every width option and the head, rounded to a multiple of 8
(MobileNetV2's ``_make_divisible``); the width options are the scaled channel counts.

Default space (digits, width_mult 1.0): stem 16, blocks (8|16, s1), (16|24|32, s2),
(16|24|32, s1), (32|48|64, s2), (32|48|64, s1), head 128: 18 layers,
36 * 27 * 54 * 27 * 54 = 76,527,504 architectures, 35,904 to 1,567,744 MAdds
(67,520 to 2,938,528 with width_mult 1.4).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

from torch import Tensor, nn

from layernas.space import Arch, Layer, SearchSpace
from layernas.torch.spaces.base import ModelSpace
from layernas.torch.spaces.blocks import (
    Activation,
    InvertedResidual,
    conv_bn,
    make_divisible,
    shortcut,
)

KERNELS = (3, 5, 7)
EXPANSIONS = (1, 3, 6)
SKIPS = (False, True)
DIGITS_BLOCKS = (
    ((8, 16), 1),
    ((16, 24, 32), 2),
    ((16, 24, 32), 1),
    ((32, 48, 64), 2),
    ((32, 48, 64), 1),
)


@dataclass(frozen=True)
class BlockChoice:
    """The options one architecture holds for one block (``se``/``act``: MobileNetV3)."""

    kernel: int
    expand: int
    width: int
    stride: int
    skip: bool
    se: bool = False
    act: Activation = nn.ReLU6


def block_choices(arch: Arch, strides: Sequence[int]) -> list[BlockChoice]:
    """Split an architecture tuple into per-block choices (skip only for stride-1 blocks)."""
    values = iter(arch)
    choices = []
    for stride in strides:
        kernel, expand, width = next(values), next(values), next(values)
        skip = next(values) if stride == 1 else False
        choices.append(BlockChoice(kernel, expand, width, stride, skip))
    return choices


class MobileNetV2Net(nn.Module):
    """Stem, one block per choice, head (``act`` in stem and head: ReLU6, V3: hard-swish)."""

    def __init__(self, blocks: Sequence[BlockChoice], in_channels: int, stem_width: int,
                 stem_stride: int, head_width: int, num_classes: int,
                 act: Activation = nn.ReLU6) -> None:
        super().__init__()
        self.stem = conv_bn(in_channels, stem_width, 3, stem_stride, act=act)
        layers: list[nn.Module] = []
        c_in = stem_width
        for b in blocks:
            layers.append(
                shortcut(c_in, b.width, b.stride) if b.skip
                else InvertedResidual(c_in, b.width, b.kernel, b.expand, b.stride, b.act, b.se)
            )
            c_in = b.width
        self.blocks = nn.Sequential(*layers)
        self.head = conv_bn(c_in, head_width, 1, act=act)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(head_width, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        x = self.head(self.blocks(self.stem(x)))
        return self.classifier(self.pool(x).flatten(1))

    def parts(self) -> list[nn.Module]:
        """Stem, each block, then head + pool + classifier: run in turn, they are the network
        (the units of :class:`layernas.torch.latency.LatencyTable`)."""
        tail = nn.Sequential(self.head, self.pool, nn.Flatten(), self.classifier)
        return [self.stem, *self.blocks, tail]


def _network(arch: Arch, strides: tuple[int, ...], **kwargs: int) -> MobileNetV2Net:
    return MobileNetV2Net(block_choices(arch, strides), **kwargs)


def mobilenet_v2(input_shape: Sequence[int] = (1, 8, 8), num_classes: int = 10,
                 blocks: Sequence[tuple[Sequence[int], int]] = DIGITS_BLOCKS,
                 stem_width: int = 16, stem_stride: int = 1, head_width: int = 128,
                 width_mult: float = 1.0) -> ModelSpace:
    """A MobileNetV2-style space; ``blocks`` lists (width options, stride) per block."""
    shape = tuple(input_shape)
    blocks = tuple((tuple(widths), stride) for widths, stride in blocks)
    layers = []
    for i, (widths, stride) in enumerate(blocks, start=1):
        scaled = tuple(dict.fromkeys(make_divisible(w * width_mult) for w in widths))
        layers += [Layer(f"b{i}_kernel", KERNELS), Layer(f"b{i}_expand", EXPANSIONS),
                   Layer(f"b{i}_width", scaled)]
        if stride == 1:
            layers.append(Layer(f"b{i}_skip", SKIPS))
    return ModelSpace(
        name="mobilenet_v2",
        kwargs={
            "input_shape": list(shape), "num_classes": num_classes,
            "blocks": [[list(widths), stride] for widths, stride in blocks],
            "stem_width": stem_width, "stem_stride": stem_stride, "head_width": head_width,
            "width_mult": width_mult,
        },
        space=SearchSpace(layers),
        input_shape=shape,
        num_classes=num_classes,
        network=partial(
            _network, strides=tuple(stride for _, stride in blocks), in_channels=shape[0],
            stem_width=make_divisible(stem_width * width_mult), stem_stride=stem_stride,
            head_width=make_divisible(head_width * width_mult), num_classes=num_classes,
        ),
    )
