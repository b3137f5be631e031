"""Building blocks shared by the model spaces: conv + BN (+ activation), squeeze-and-
excitation, the MobileNetV2/V3 inverted-residual block, and the shortcut that stands in for
a skipped block.

MAdds (by :func:`layernas.torch.counting.madds`): squeeze-and-excitation counts its two 1x1
convolutions (``hidden*squeeze + squeeze*hidden``, bias adds not counted); its global average
pool, ReLU, hard-sigmoid and the channel-wise multiply count nothing, nor does any
activation (ReLU, ReLU6, hard-swish). This is what ``FlopCounterMode`` counts.
"""

from __future__ import annotations

from torch import Tensor, nn

Activation = type[nn.Module]


def make_divisible(value: float, divisor: int = 8) -> int:
    """Round to a multiple of ``divisor``, never more than 10% down (MobileNetV2's rule)."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def conv_bn(c_in: int, c_out: int, kernel: int, stride: int = 1, groups: int = 1,
            act: Activation | None = None) -> nn.Sequential:
    """Conv (no bias, 'same' padding) + BatchNorm, then ``act()`` when given."""
    layers: list[nn.Module] = [
        nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, groups=groups, bias=False),
        nn.BatchNorm2d(c_out),
    ]
    if act is not None:
        layers.append(act())
    return nn.Sequential(*layers)


class SqueezeExcite(nn.Module):
    """MobileNetV3 squeeze-and-excitation: global average pool, 1x1 conv (with bias) to
    ``make_divisible(channels / 4)`` + ReLU, 1x1 conv back + hard-sigmoid, scale the input."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        squeeze = make_divisible(channels / 4)
        self.gate = nn.Sequential(
            nn.AdaptiveAvgPool2d(1), nn.Conv2d(channels, squeeze, 1), nn.ReLU(),
            nn.Conv2d(squeeze, channels, 1), nn.Hardsigmoid(),
        )

    def forward(self, x: Tensor) -> Tensor:
        return x * self.gate(x)


class InvertedResidual(nn.Module):
    """MobileNetV2/V3 block: pointwise expand (x ``expand``, omitted when 1) + BN + act,
    depthwise kxk (stride) + BN + act, squeeze-and-excitation when ``se`` (MobileNetV3),
    pointwise project + BN; a residual add when the input and output shapes match."""

    def __init__(self, c_in: int, c_out: int, kernel: int, expand: int, stride: int,
                 act: Activation = nn.ReLU, se: bool = False) -> None:
        super().__init__()
        hidden = c_in * expand
        layers: list[nn.Module] = [conv_bn(c_in, hidden, 1, act=act)] if expand != 1 else []
        layers.append(conv_bn(hidden, hidden, kernel, stride, groups=hidden, act=act))
        if se:
            layers.append(SqueezeExcite(hidden))
        layers.append(conv_bn(hidden, c_out, 1))
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and c_in == c_out

    def forward(self, x: Tensor) -> Tensor:
        out = self.body(x)
        return x + out if self.residual else out


def shortcut(c_in: int, c_out: int, stride: int) -> nn.Module:
    """Identity, or a 1x1 conv (stride) + BN where the shape must change
    (NAS-Bench-Macro's rule for an identity layer that changes shape)."""
    if c_in == c_out and stride == 1:
        return nn.Identity()
    return conv_bn(c_in, c_out, 1, stride)
