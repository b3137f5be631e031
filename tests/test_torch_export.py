"""Export round trip: the loaded module, and the TorchScript file loaded by plain torch, give
the exported module's outputs exactly; a folder holding a winner is not overwritten unasked."""

import json

import pytest
import torch

from layernas import LayerNASError
from layernas.torch.export import SCRIPT_FILE, WEIGHTS_FILE, export, load
from layernas.torch.spaces import mobilenet_v2, nats_sss

pytestmark = pytest.mark.torch


def test_round_trip(tmp_path):
    space = mobilenet_v2(width_mult=1.4)
    arch = (5, 3, 16, False, 3, 6, 24, 7, 1, 32, True, 3, 3, 48, 5, 6, 64, False)
    torch.manual_seed(0)
    module = space.build(arch)
    module(torch.randn(16, 1, 8, 8))  # train-mode pass: batch-norm statistics move
    module.eval()
    written = export(space, arch, module, tmp_path / "best", metrics={"val_accuracy": 97.5},
                     normalization=(0.5, 2.0))

    record = json.loads((tmp_path / "best" / "arch.json").read_text())
    assert record == written
    assert record["input"] == {"shape": [1, 8, 8], "mean": 0.5, "std": 2.0}
    assert record["space"] == "mobilenet_v2" and record["kwargs"]["width_mult"] == 1.4
    assert tuple(record["arch"]) == arch and record["layers"] == space.space.names
    assert (record["madds"], record["params"]) == (space.cost(arch), space.params(arch))
    assert record["metrics"] == {"val_accuracy": 97.5}

    loaded = load(tmp_path / "best")
    scripted = torch.jit.load(str(tmp_path / "best" / SCRIPT_FILE))
    x = torch.randn(4, 1, 8, 8)
    with torch.no_grad():
        assert torch.equal(loaded(x), module(x))
        assert torch.equal(scripted(x), module(x))


def test_a_winner_is_not_overwritten_unless_asked(tmp_path):
    space = nats_sss("cifar10", input_shape=(3, 8, 8))
    first, second = (8, 16, 24, 16, 8), (8, 8, 8, 8, 8)
    export(space, first, space.build(first).eval(), tmp_path)
    weights = (tmp_path / WEIGHTS_FILE).read_bytes()
    with pytest.raises(LayerNASError, match="already holds a winner.*overwrite"):
        export(space, second, space.build(second).eval(), tmp_path)
    assert (tmp_path / WEIGHTS_FILE).read_bytes() == weights
    export(space, second, space.build(second).eval(), tmp_path, overwrite=True)
    assert json.loads((tmp_path / "arch.json").read_text())["arch"] == list(second)


def test_round_trip_nats(tmp_path):
    space = nats_sss("cifar100", input_shape=(3, 8, 8))
    arch = (8, 16, 24, 16, 8)
    module = space.build(arch).eval()
    export(space, arch, module, tmp_path)
    x = torch.randn(2, 3, 8, 8)
    with torch.no_grad():
        assert torch.equal(load(tmp_path)(x), module(x))
        assert torch.equal(torch.jit.load(str(tmp_path / SCRIPT_FILE))(x), module(x))
