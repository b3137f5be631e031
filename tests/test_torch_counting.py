"""MAdds and params conventions of layernas.torch.counting, on modules small enough to count by hand."""

import pytest
import subprocess
import sys

import torch
from torch import nn

from layernas.torch import madds, params

pytestmark = pytest.mark.torch


def test_conv_counts_multiply_adds_per_output_element():
    conv = nn.Conv2d(3, 8, 3, padding=1)
    assert madds(conv, (3, 5, 5)) == 5 * 5 * 8 * 3 * 3 * 3
    assert madds(conv, (3, 5, 5), bias_adds=True) == 5 * 5 * 8 * (3 * 3 * 3 + 1)


def test_grouped_and_strided_conv_count_per_group_at_output_resolution():
    depthwise = nn.Conv2d(8, 8, 5, stride=2, padding=2, groups=8, bias=False)
    assert madds(depthwise, (8, 8, 8)) == 4 * 4 * 8 * 5 * 5
    assert madds(depthwise, (8, 8, 8), bias_adds=True) == 4 * 4 * 8 * 5 * 5


def test_linear_bias_adds_only_on_request():
    linear = nn.Linear(10, 4)
    assert madds(linear, (10,)) == 40
    assert madds(linear, (10,), bias_adds=True) == 44


def test_batch_norm_activation_pooling_and_adds_are_free():
    class AddSelf(nn.Module):
        def forward(self, x):
            return x + x

    module = nn.Sequential(nn.BatchNorm2d(4), nn.ReLU6(), nn.AvgPool2d(2), AddSelf(),
                           nn.AdaptiveAvgPool2d(1))
    assert madds(module, (4, 8, 8)) == 0
    assert madds(module, (4, 8, 8), bias_adds=True) == 0


def test_meta_and_cpu_counts_agree_and_training_flags_are_restored():
    def build():
        return nn.Sequential(nn.Conv2d(2, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.Linear(64, 3))

    cpu = build()
    cpu[1].eval()
    with torch.device("meta"):
        meta = build()
    assert madds(cpu, (2, 6, 6)) == madds(meta, (2, 6, 6)) == 16 * 4 * 18 + 64 * 3
    assert [m.training for m in cpu.modules()] == [True, True, False, True, True]


def test_params_count_affine_weights_not_buffers_and_shared_once():
    linear = nn.Linear(3, 3)
    module = nn.Sequential(nn.BatchNorm2d(5), linear, linear)
    assert params(module) == 2 * 5 + 3 * 3 + 3


def test_core_package_does_not_import_torch():
    code = "import sys, layernas; assert 'torch' not in sys.modules, 'layernas imported torch'"
    subprocess.run([sys.executable, "-c", code], check=True)
