"""Export of a trained architecture, and loading it back as a ready module.

``export`` writes to ``out_dir`` and returns the record it wrote to ``arch.json``:
  ``arch.json``            the model space constructor (``space`` name and ``kwargs``), the
                           layer names and the ``arch``, its ``madds`` and ``params``, the
                           ``input`` it expects (shape; ``mean``/``std`` to standardise raw
                           pixels with, when known) and the given ``metrics``;
  ``weights.pt``           the module's ``state_dict``;
  ``model.torchscript.pt`` the module compiled with TorchScript: loads with plain torch
                           (``torch.jit.load``, or libtorch in C++), no layernas needed.
A folder that already holds a winner is refused unless ``overwrite=True``.
``load(out_dir)`` rebuilds the space from the JSON, builds the architecture, loads the
weights and returns the module in eval mode.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from layernas.space import Arch
from layernas.torch.spaces import ModelSpace, make
from layernas.validate import no_winner_in

ARCH_FILE = "arch.json"
WEIGHTS_FILE = "weights.pt"
SCRIPT_FILE = "model.torchscript.pt"


def export(model_space: ModelSpace, arch: Arch, module: nn.Module, out_dir: str | Path,
           metrics: Mapping[str, Any] | None = None, *, overwrite: bool = False,
           normalization: tuple[float, float] | None = None) -> dict[str, Any]:
    """Write ``arch.json``, ``weights.pt`` and ``model.torchscript.pt`` for ``module`` (the
    network of ``arch``, on the CPU); return the ``arch.json`` record."""
    arch = model_space.space.check(arch)
    out = Path(out_dir)
    no_winner_in(out, overwrite)
    out.mkdir(parents=True, exist_ok=True)
    module = module.eval()
    record = {
        "space": model_space.name,
        "kwargs": model_space.kwargs,
        "layers": model_space.space.names,
        "arch": list(arch),
        "madds": model_space.cost(arch),
        "params": model_space.params(arch),
        "input": {"shape": list(model_space.input_shape),
                  **({} if normalization is None
                     else {"mean": normalization[0], "std": normalization[1]})},
        "metrics": dict(metrics or {}),
    }
    torch.save(module.state_dict(), out / WEIGHTS_FILE)
    torchscript(module, model_space.input_shape).save(str(out / SCRIPT_FILE))
    (out / ARCH_FILE).write_text(json.dumps(record, indent=2) + "\n")  # last: marks it complete
    return record


def torchscript(module: nn.Module, input_shape: tuple[int, ...]) -> torch.jit.ScriptModule:
    """``module`` compiled by TorchScript, or, where its code does not compile, traced on one
    example input (fixed control flow)."""
    with warnings.catch_warnings():  # recent torch calls TorchScript deprecated; it still works
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            return torch.jit.script(module)
        except Exception:  # noqa: BLE001 - any compile failure: trace instead
            return torch.jit.trace(module, torch.zeros(1, *input_shape))


def load(out_dir: str | Path) -> nn.Module:
    """The exported module, rebuilt from ``arch.json`` with ``weights.pt`` loaded (eval mode)."""
    out = Path(out_dir)
    record = json.loads((out / ARCH_FILE).read_text())
    module = make(record["space"], **record["kwargs"]).build(tuple(record["arch"]))
    module.load_state_dict(torch.load(out / WEIGHTS_FILE, weights_only=True))
    return module.eval()
