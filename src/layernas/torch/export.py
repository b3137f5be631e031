"""Export of a trained architecture, and loading it back as a ready module.

``export`` writes to ``out_dir``:
  ``arch.json``   the model space constructor (``space`` name and ``kwargs``), the layer names
                  and the ``arch``, its ``madds`` and ``params``, and the given ``metrics``;
  ``weights.pt``  the module's ``state_dict``.
``load(out_dir)`` rebuilds the space from the JSON, builds the architecture, loads the
weights and returns the module in eval mode.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from layernas.space import Arch
from layernas.torch.spaces import ModelSpace, make

ARCH_FILE = "arch.json"
WEIGHTS_FILE = "weights.pt"


def export(model_space: ModelSpace, arch: Arch, module: nn.Module, out_dir: str | Path,
           metrics: Mapping[str, Any] | None = None) -> Path:
    """Write ``arch.json`` and ``weights.pt`` for ``module`` (the network of ``arch``)."""
    arch = model_space.space.check(arch)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    record = {
        "space": model_space.name,
        "kwargs": model_space.kwargs,
        "layers": model_space.space.names,
        "arch": list(arch),
        "madds": model_space.cost(arch),
        "params": model_space.params(arch),
        "metrics": dict(metrics or {}),
    }
    (out / ARCH_FILE).write_text(json.dumps(record, indent=2) + "\n")
    torch.save(module.state_dict(), out / WEIGHTS_FILE)
    return out


def load(out_dir: str | Path) -> nn.Module:
    """The exported module, rebuilt from ``arch.json`` with ``weights.pt`` loaded (eval mode)."""
    out = Path(out_dir)
    record = json.loads((out / ARCH_FILE).read_text())
    module = make(record["space"], **record["kwargs"]).build(tuple(record["arch"]))
    module.load_state_dict(torch.load(out / WEIGHTS_FILE, weights_only=True))
    return module.eval()
