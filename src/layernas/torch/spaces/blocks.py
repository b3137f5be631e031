"""Building blocks shared by the model spaces: conv + BN (+ activation), the MobileNetV2
inverted-residual block, and the shortcut that stands in for a skipped block."""

from __future__ import annotations

from torch import Tensor, nn

Activation = type[nn.Module]


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


class InvertedResidual(nn.Module):
    """MobileNetV2 block: pointwise expand (x ``expand``, omitted when 1) + BN + act,
    depthwise kxk (stride) + BN + act, pointwise project + BN; a residual add when the
    input and output shapes match."""

    def __init__(self, c_in: int, c_out: int, kernel: int, expand: int, stride: int,
                 act: Activation = nn.ReLU) -> None:
        super().__init__()
        hidden = c_in * expand
        layers = [conv_bn(c_in, hidden, 1, act=act)] if expand != 1 else []
        layers += [
            conv_bn(hidden, hidden, kernel, stride, groups=hidden, act=act),
            conv_bn(hidden, c_out, 1),
        ]
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
