"""The NAS-Bench-Macro search space as PyTorch models.

Eight searchable layers ``layer1``..``layer8``, each "identity", "MB3_K3" or "MB6_K5"
(the benchmark's key digits 0, 1, 2; 3^8 = 6,561 models). Network: stem conv3x3 3->32 + BN +
ReLU; three stages of 2, 3 and 3 layers whose first layer has stride 2 and doubles the
channels (32->64->128->256); "identity" is a 1x1 conv (stride s) + BN where the shape changes;
"MBt_Kk" is a MobileNetV2 inverted-residual block (expansion t, kernel k, ReLU) with a
residual add when shapes match; head conv1x1 256->1280 + BN + ReLU, global average pool,
linear 1280->classes.

With these conventions ``params`` (BN affine weights and the classifier bias counted) equals
the benchmark's ``params`` column and ``cost`` (MAdds, biases not counted) its ``flops``
column, for all 6,561 architectures.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from torch import Tensor, nn

from layernas.space import Arch, Layer, SearchSpace
from layernas.torch.spaces.base import ModelSpace
from layernas.torch.spaces.blocks import InvertedResidual, conv_bn, shortcut

OPTIONS = ("identity", "MB3_K3", "MB6_K5")
BLOCKS = {"MB3_K3": (3, 3), "MB6_K5": (6, 5)}  # option -> (expansion, kernel)
# (input channels, output channels, stride) of each searchable layer
LAYERS = ((32, 64, 2), (64, 64, 1),
          (64, 128, 2), (128, 128, 1), (128, 128, 1),
          (128, 256, 2), (256, 256, 1), (256, 256, 1))
HEAD_WIDTH = 1280


def layer(option: str, c_in: int, c_out: int, stride: int) -> nn.Module:
    """One searchable layer holding ``option``."""
    if option == "identity":
        return shortcut(c_in, c_out, stride)
    expand, kernel = BLOCKS[option]
    return InvertedResidual(c_in, c_out, kernel, expand, stride)


class MacroNet(nn.Module):
    """NAS-Bench-Macro network for one option per searchable layer."""

    def __init__(self, arch: Arch, in_channels: int, num_classes: int) -> None:
        super().__init__()
        self.stem = conv_bn(in_channels, LAYERS[0][0], 3, act=nn.ReLU)
        self.layers = nn.Sequential(*(layer(o, *shape) for o, shape in zip(arch, LAYERS)))
        self.head = conv_bn(LAYERS[-1][1], HEAD_WIDTH, 1, act=nn.ReLU)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(HEAD_WIDTH, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        x = self.head(self.layers(self.stem(x)))
        return self.classifier(self.pool(x).flatten(1))


def nas_bench_macro(input_shape: Sequence[int] = (3, 32, 32),
                    num_classes: int = 10) -> ModelSpace:
    """The NAS-Bench-Macro space (CIFAR-10 shape by default)."""
    shape = tuple(input_shape)
    return ModelSpace(
        name="nas_bench_macro",
        kwargs={"input_shape": list(shape), "num_classes": num_classes},
        space=SearchSpace([Layer(f"layer{i}", OPTIONS) for i in range(1, 9)]),
        input_shape=shape,
        num_classes=num_classes,
        network=partial(MacroNet, in_channels=shape[0], num_classes=num_classes),
    )
