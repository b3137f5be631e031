"""A layerwise MobileNetV3-style space for small images (scikit-learn digits 1x8x8, MNIST).

Network (the MobileNetV2 space's network, :class:`MobileNetV2Net`, with V3 options): stem
conv3x3 (``stem_stride``) + BN + hard-swish; one inverted-residual block per entry of
``blocks`` (``(expansion options, width options, stride)``); head conv1x1 -> ``head_width``
+ BN + hard-swish, global average pool, linear -> ``num_classes``.

Searchable layers of block i, in this order:
  ``bi_kernel``  depthwise kernel, 3 / 5 / 7
  ``bi_expand``  expansion ratio, from the block's list (1: no pointwise expand conv)
  ``bi_width``   output channels, from the block's list
  ``bi_se``      squeeze-and-excitation after the depthwise conv, False / True
  ``bi_act``     activation of the expand and depthwise convs, "relu" / "hswish"
  ``bi_skip``    False / True, only for stride-1 blocks
Skipping follows the MobileNetV2 space's rule (identity, or a 1x1 conv + BN where the width
changes; the block's other options are then ignored). ``width_mult`` scales the stem, every
width option and the head to multiples of 8, as in the MobileNetV2 space.

MAdds (see :mod:`layernas.torch.spaces.blocks`): SE counts its two 1x1 convs, not its pool,
gate or multiply; activations count nothing, so ``bi_act`` never changes the cost.

Variants (width_mult 1.0, digits 1x8x8):
  ``small``: stem 16, blocks (1|3|4: 8|16, s1), (3|4|6: 16|24, s2), (3|4|6: 16|24, s1),
  (4|6: 32|40|48, s2), (4|6: 32|40|48, s1), head 128: 28 layers, 15,479,341,056
  architectures, 83,840 to 1,150,144 MAdds.
  ``large``: stem 16, blocks (1|3|4: 16|24, s1), (3|4|6: 24|32, s2), (3|4|6: 24|32, s1) x2,
  (3|4|6: 40|48|64, s2), (3|4|6: 40|48|64, s1) x2, head 192: 40 layers,
  1,083,306,204,463,104 architectures, 158,112 to 2,472,064 MAdds.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from torch import nn

from layernas.errors import LayerNASError
from layernas.space import Arch, Layer, SearchSpace
from layernas.torch.spaces.base import ModelSpace
from layernas.torch.spaces.blocks import make_divisible
from layernas.torch.spaces.mobilenet import KERNELS, SKIPS, BlockChoice, MobileNetV2Net

SES = (False, True)
ACTIVATIONS: dict[str, type[nn.Module]] = {"relu": nn.ReLU, "hswish": nn.Hardswish}
BlockSpec = tuple[Sequence[int], Sequence[int], int]  # expansion options, widths, stride
VARIANTS: dict[str, tuple[tuple[BlockSpec, ...], int, int]] = {  # blocks, stem, head
    "small": ((
        ((1, 3, 4), (8, 16), 1),
        ((3, 4, 6), (16, 24), 2),
        ((3, 4, 6), (16, 24), 1),
        ((4, 6), (32, 40, 48), 2),
        ((4, 6), (32, 40, 48), 1),
    ), 16, 128),
    "large": ((
        ((1, 3, 4), (16, 24), 1),
        ((3, 4, 6), (24, 32), 2),
        ((3, 4, 6), (24, 32), 1),
        ((3, 4, 6), (24, 32), 1),
        ((3, 4, 6), (40, 48, 64), 2),
        ((3, 4, 6), (40, 48, 64), 1),
        ((3, 4, 6), (40, 48, 64), 1),
    ), 16, 192),
}


def v3_block_choices(arch: Arch, strides: Sequence[int]) -> list[BlockChoice]:
    """Split an architecture tuple into per-block choices (skip only for stride-1 blocks)."""
    values = iter(arch)
    choices = []
    for stride in strides:
        kernel, expand, width, se, act = (next(values) for _ in range(5))
        skip = next(values) if stride == 1 else False
        choices.append(BlockChoice(kernel, expand, width, stride, skip, se, ACTIVATIONS[act]))
    return choices


def _network(arch: Arch, strides: tuple[int, ...], **kwargs: int) -> MobileNetV2Net:
    return MobileNetV2Net(v3_block_choices(arch, strides), act=nn.Hardswish, **kwargs)


def mobilenet_v3(variant: str = "small", input_shape: Sequence[int] = (1, 8, 8),
                 num_classes: int = 10, width_mult: float = 1.0,
                 blocks: Sequence[BlockSpec] | None = None, stem_width: int | None = None,
                 stem_stride: int = 1, head_width: int | None = None) -> ModelSpace:
    """A MobileNetV3-style space: ``variant``'s blocks, stem and head unless given here."""
    if variant not in VARIANTS:
        raise LayerNASError(f"unknown MobileNetV3 variant {variant!r}; use one of "
                            f"{sorted(VARIANTS)}")
    default_blocks, default_stem, default_head = VARIANTS[variant]
    spec = tuple((tuple(e), tuple(w), s) for e, w, s in (blocks or default_blocks))
    stem = default_stem if stem_width is None else stem_width
    head = default_head if head_width is None else head_width
    shape = tuple(input_shape)
    layers = []
    for i, (expansions, widths, stride) in enumerate(spec, start=1):
        scaled = tuple(dict.fromkeys(make_divisible(w * width_mult) for w in widths))
        layers += [Layer(f"b{i}_kernel", KERNELS), Layer(f"b{i}_expand", expansions),
                   Layer(f"b{i}_width", scaled), Layer(f"b{i}_se", SES),
                   Layer(f"b{i}_act", tuple(ACTIVATIONS))]
        if stride == 1:
            layers.append(Layer(f"b{i}_skip", SKIPS))
    return ModelSpace(
        name="mobilenet_v3",
        kwargs={
            "variant": variant, "input_shape": list(shape), "num_classes": num_classes,
            "width_mult": width_mult,
            "blocks": [[list(e), list(w), s] for e, w, s in spec],
            "stem_width": stem, "stem_stride": stem_stride, "head_width": head,
        },
        space=SearchSpace(layers),
        input_shape=shape,
        num_classes=num_classes,
        network=partial(
            _network, strides=tuple(s for _, _, s in spec), in_channels=shape[0],
            stem_width=make_divisible(stem * width_mult), stem_stride=stem_stride,
            head_width=make_divisible(head * width_mult), num_classes=num_classes,
        ),
    )
