"""Search strategies behind one ask/tell contract (see :mod:`layernas.strategies.base`), and
the one registry that configs, studies and the CLI build them from by name.

``make("layernas", buckets=20)`` builds a registered strategy with its options checked;
``register`` adds a strategy class under its ``name`` (a decorator, for your own strategies).
"""

from __future__ import annotations

import difflib
import inspect
from typing import Any

from layernas.errors import LayerNASError
from layernas.strategies.base import KeptRow, Strategy
from layernas.strategies.evolution import RegularizedEvolution
from layernas.strategies.exhaustive import Exhaustive
from layernas.strategies.layernas import LayerNAS
from layernas.strategies.optuna import OptunaGP, OptunaNSGA2, OptunaTPE
from layernas.strategies.ppo import PPO
from layernas.strategies.random import RandomSearch
from layernas.strategies.reinforce import Reinforce
from layernas.strategies.trust_region import TrustRegionLayerNAS

STRATEGIES: dict[str, type[Strategy]] = {}


def register(cls: type[Strategy]) -> type[Strategy]:
    """Make ``cls`` buildable by its ``name`` (``make``, TOML ``[strategy] name``, studies)."""
    if not (isinstance(cls, type) and issubclass(cls, Strategy)):
        raise LayerNASError(f"only Strategy subclasses can be registered, got {cls!r}")
    known = STRATEGIES.get(cls.name)
    if known is not None and known is not cls:
        raise LayerNASError(
            f"strategy name {cls.name!r} is taken by {known.__qualname__}; "
            f"give {cls.__qualname__} another 'name'"
        )
    STRATEGIES[cls.name] = cls
    return cls


def options(name: str) -> list[str]:
    """The option names strategy ``name`` accepts (its constructor's parameters)."""
    return list(inspect.signature(_lookup(name)).parameters)


def make(name: str, **settings: Any) -> Strategy:
    """A new strategy ``name`` with ``settings``; a clear error for an unknown name or option."""
    cls = _lookup(name)
    valid = options(name)
    for key in settings:
        if key not in valid:
            close = difflib.get_close_matches(key, valid, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise LayerNASError(
                f"strategy {name!r} has no option {key!r}; {hint}"
                f"its options are: {', '.join(valid) or 'none'}"
            )
    return cls(**settings)


def _lookup(name: str) -> type[Strategy]:
    cls = STRATEGIES.get(name)
    if cls is None:
        raise LayerNASError(f"unknown strategy {name!r}; choose one of {', '.join(STRATEGIES)}")
    return cls


for _cls in (LayerNAS, TrustRegionLayerNAS, RandomSearch, RegularizedEvolution, Reinforce, PPO,
             Exhaustive, OptunaTPE, OptunaNSGA2, OptunaGP):
    register(_cls)

__all__ = [
    "PPO",
    "STRATEGIES",
    "Exhaustive",
    "KeptRow",
    "LayerNAS",
    "OptunaGP",
    "OptunaNSGA2",
    "OptunaTPE",
    "RandomSearch",
    "RegularizedEvolution",
    "Reinforce",
    "Strategy",
    "TrustRegionLayerNAS",
    "make",
    "options",
    "register",
]
