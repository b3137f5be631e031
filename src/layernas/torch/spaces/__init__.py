"""PyTorch model spaces: each pairs a SearchSpace with a network builder (see ``ModelSpace``).

``make(name, **kwargs)`` rebuilds a space from its constructor name and arguments, as saved
in ``ModelSpace.name`` / ``.kwargs`` (used by the reward function and by export). A name
``"module:function"`` is your own constructor (importable where trials run), see
docs/own-model.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from layernas.errors import LayerNASError
from layernas.torch.spaces.base import ModelSpace
from layernas.torch.spaces.macro import nas_bench_macro
from layernas.torch.spaces.mobilenet import mobilenet_v2
from layernas.torch.spaces.mobilenet_v3 import mobilenet_v3
from layernas.torch.spaces.nats import NatsSizeSpace, nats_sss

SPACES: dict[str, Callable[..., ModelSpace]] = {
    "nats_sss": nats_sss,
    "nas_bench_macro": nas_bench_macro,
    "mobilenet_v2": mobilenet_v2,
    "mobilenet_v3": mobilenet_v3,
}


def make(name: str, **kwargs: Any) -> ModelSpace:
    """The model space ``SPACES[name](**kwargs)``, or ``module:function``'s."""
    if ":" in name:
        from layernas.config import build_entry_point

        return build_entry_point(name, kwargs, ModelSpace, "model space",
                                 "layernas.torch.spaces.ModelSpace")
    if name not in SPACES:
        raise LayerNASError(f"unknown model space {name!r}; use one of {sorted(SPACES)} or "
                            "a 'module:function' returning a ModelSpace")
    return SPACES[name](**kwargs)


__all__ = ["SPACES", "ModelSpace", "NatsSizeSpace", "make", "mobilenet_v2", "mobilenet_v3",
           "nas_bench_macro",
           "nats_sss"]
