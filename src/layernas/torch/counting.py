"""Cost counting for PyTorch modules: multiply-adds (MAdds) and parameter counts.

This module owns the counting conventions used by every model space.

``madds(module, input_shape)`` runs one forward pass of a single example (batch 1) under
:class:`torch.utils.flop_counter.FlopCounterMode` and returns the counted FLOPs halved, i.e.
the multiply-accumulates of convolutions (``k*k*C_in/groups`` per output element, padding
included), linear layers and matrix products. Nothing else counts: no bias adds, batch norm,
activations, pooling or residual additions. This is the MobileNet "MAdds" convention and
exactly NAS-Bench-Macro's ``flops`` column.

``bias_adds=True`` also counts one add per output element of every convolution and ``addmm``
(``nn.Linear``) that has a bias. This is the convention of NATS-Bench's counter, whose
official FLOPs for the size search space are ``madds(..., bias_adds=True)`` (its convolutions
have no bias, so the difference is the classifier's ``num_classes`` bias adds).

``input_shape`` is the shape of ONE example without the batch dimension, e.g. ``(3, 32, 32)``.
The module is counted in eval mode without gradients (its training flags are restored).
Counting is cheapest on a module built on the ``meta`` device (no memory, no arithmetic):
``with torch.device("meta"): model = ...``; the input is made on the module's own device.

``params(module)`` is the number of parameters (trainable or not), buffers such as batch-norm
running statistics excluded; shared parameters count once. Batch-norm affine weights count.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from math import prod
from typing import Any

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode, conv_flop_count

aten = torch.ops.aten


def _addmm_with_bias(bias_shape: Any, a_shape: Any, b_shape: Any, *, out_shape: Any,
                     **kwargs: Any) -> int:
    (m, k), (_, n) = a_shape, b_shape
    return 2 * m * k * n + 2 * m * n


def _conv_with_bias(x_shape: Any, w_shape: Any, bias_shape: Any, stride: Any, padding: Any,
                    dilation: Any, transposed: bool, *args: Any, out_shape: Any,
                    **kwargs: Any) -> int:
    flops = conv_flop_count(x_shape, w_shape, out_shape, transposed=transposed)
    return flops + (2 * prod(out_shape) if bias_shape is not None else 0)


_BIAS_ADDS = {aten.addmm: _addmm_with_bias, aten.convolution: _conv_with_bias}


def _device(module: nn.Module) -> torch.device:
    for tensor in module.parameters():
        return tensor.device
    for tensor in module.buffers():
        return tensor.device
    return torch.device("cpu")


@contextmanager
def eval_mode(module: nn.Module) -> Iterator[None]:
    """``module`` in eval mode inside the block; every submodule's training flag restored."""
    modes = [(m, m.training) for m in module.modules()]
    module.eval()
    try:
        yield
    finally:
        for m, training in modes:
            m.training = training


def madds(module: nn.Module, input_shape: Sequence[int], bias_adds: bool = False) -> int:
    """Multiply-adds of one forward pass of a single example of shape ``input_shape`` (C, H, W)."""
    x = torch.zeros(1, *input_shape, device=_device(module))
    counter = FlopCounterMode(display=False, custom_mapping=_BIAS_ADDS if bias_adds else None)
    with eval_mode(module), torch.no_grad(), counter:
        module(x)
    return counter.get_total_flops() // 2


def params(module: nn.Module) -> int:
    """Number of parameters (buffers excluded, shared parameters once)."""
    return sum(p.numel() for p in module.parameters())
