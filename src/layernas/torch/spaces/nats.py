"""The NATS-Bench size search space (SSS) as PyTorch models.

Five searchable layers ``channels1``..``channels5``, each 8..64 step 8 (32,768 models), named
and ordered like the tabular ``nats-sss`` benchmark. The network is NATS-Bench's
``DynamicShapeTinyNet`` with the fixed cell of the size space, for channels (c0..c4):
stem conv3x3 (no bias) + BN; cell(c0->c0); residual block(c0->c1, stride 2); cell(c1->c2);
residual block(c2->c3, stride 2); cell(c3->c4); BN + ReLU, global average pool, linear.
Cell: node1 = conv(n0); node2 = conv(n0) + conv(n1); node3 = skip(n0) + conv(n1) + conv(n2),
each conv ReLU -> conv3x3 (no bias) -> BN; edges out of node 0 map C_in->C_out, the others
C_out->C_out; the skip is identity when C_in == C_out, else conv1x1 (no bias) + BN.
Residual block: ReLU-conv3x3(stride 2)-BN, ReLU-conv3x3-BN, plus a shortcut
AvgPool(2, 2) -> conv1x1 (no bias, no BN).

``cost`` is MAdds (see :mod:`layernas.torch.counting`); ``flops`` is NATS-Bench's official
FLOPs count (MAdds plus the classifier's bias adds; NATS reports it in millions), and
``params`` equals NATS-Bench's params (reported in millions).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from torch import Tensor, nn

from layernas.errors import LayerNASError
from layernas.space import Arch, Layer, SearchSpace
from layernas.torch.counting import madds
from layernas.torch.spaces.base import ModelSpace

CHANNELS = tuple(range(8, 65, 8))
DATASETS: dict[str, tuple[tuple[int, int, int], int]] = {
    "cifar10": ((3, 32, 32), 10),
    "cifar100": ((3, 32, 32), 100),
    "ImageNet16-120": ((3, 16, 16), 120),
}


class ReLUConvBN(nn.Sequential):
    """ReLU -> conv (no bias) -> BN."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int = 1) -> None:
        super().__init__(
            nn.ReLU(),
            nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, bias=False),
            nn.BatchNorm2d(c_out),
        )


class Cell(nn.Module):
    """The size space's fixed cell (three nodes, five 3x3 convs and one skip)."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv1_0 = ReLUConvBN(c_in, c_out, 3)
        self.conv2_0 = ReLUConvBN(c_in, c_out, 3)
        self.conv2_1 = ReLUConvBN(c_out, c_out, 3)
        self.conv3_1 = ReLUConvBN(c_out, c_out, 3)
        self.conv3_2 = ReLUConvBN(c_out, c_out, 3)
        self.skip3_0 = (
            nn.Identity()
            if c_in == c_out
            else nn.Sequential(nn.Conv2d(c_in, c_out, 1, bias=False), nn.BatchNorm2d(c_out))
        )

    def forward(self, x: Tensor) -> Tensor:
        n1 = self.conv1_0(x)
        n2 = self.conv2_0(x) + self.conv2_1(n1)
        return self.skip3_0(x) + self.conv3_1(n1) + self.conv3_2(n2)


class ResidualBlock(nn.Module):
    """Stride-2 ResNet basic block with an AvgPool + conv1x1 shortcut."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv_a = ReLUConvBN(c_in, c_out, 3, stride=2)
        self.conv_b = ReLUConvBN(c_out, c_out, 3)
        self.downsample = nn.Sequential(
            nn.AvgPool2d(2, 2), nn.Conv2d(c_in, c_out, 1, bias=False)
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.downsample(x) + self.conv_b(self.conv_a(x))


class NatsSizeNet(nn.Module):
    """NATS-Bench size-space network for channels (c0, c1, c2, c3, c4)."""

    def __init__(self, channels: Arch, in_channels: int, num_classes: int) -> None:
        super().__init__()
        c0, c1, c2, c3, c4 = channels
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, c0, 3, padding=1, bias=False), nn.BatchNorm2d(c0)
        )
        self.cells = nn.Sequential(
            Cell(c0, c0), ResidualBlock(c0, c1), Cell(c1, c2), ResidualBlock(c2, c3), Cell(c3, c4)
        )
        self.lastact = nn.Sequential(nn.BatchNorm2d(c4), nn.ReLU())
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c4, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        x = self.lastact(self.cells(self.stem(x)))
        return self.classifier(self.pool(x).flatten(1))


class NatsSizeSpace(ModelSpace):
    """A ModelSpace with NATS-Bench's official FLOPs convention next to MAdds."""

    def flops(self, arch: Arch) -> int:
        """NATS-Bench FLOPs of ``arch`` (a count, not millions): MAdds + bias adds."""
        return madds(self.build_meta(arch), self.input_shape, bias_adds=True)


def nats_sss(dataset: str = "cifar10", input_shape: Sequence[int] | None = None,
             num_classes: int | None = None) -> NatsSizeSpace:
    """The NATS-Bench size space for ``dataset`` ("cifar10", "cifar100", "ImageNet16-120");
    ``input_shape`` (C, H, W) and ``num_classes`` override the dataset's (e.g. for small data)."""
    if dataset not in DATASETS:
        raise LayerNASError(f"unknown NATS-Bench dataset {dataset!r}; use one of {list(DATASETS)}")
    shape, classes = DATASETS[dataset]
    shape = tuple(input_shape) if input_shape is not None else shape
    classes = num_classes if num_classes is not None else classes
    return NatsSizeSpace(
        name="nats_sss",
        kwargs={"dataset": dataset, "input_shape": list(shape), "num_classes": classes},
        space=SearchSpace([Layer(f"channels{i}", CHANNELS) for i in range(1, 6)]),
        input_shape=shape,
        num_classes=classes,
        network=partial(NatsSizeNet, in_channels=shape[0], num_classes=classes),
    )
