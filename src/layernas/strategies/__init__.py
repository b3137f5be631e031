"""Search strategies behind one ask/tell contract (see :mod:`layernas.strategies.base`)."""

from layernas.strategies.base import Strategy
from layernas.strategies.evolution import RegularizedEvolution
from layernas.strategies.exhaustive import Exhaustive
from layernas.strategies.layernas import LayerNAS
from layernas.strategies.ppo import PPO
from layernas.strategies.random import RandomSearch
from layernas.strategies.reinforce import Reinforce
from layernas.strategies.trust_region import TrustRegionLayerNAS

STRATEGIES: dict[str, type[Strategy]] = {
    cls.name: cls
    for cls in (LayerNAS, TrustRegionLayerNAS, RandomSearch, RegularizedEvolution, Reinforce, PPO, Exhaustive)
}

__all__ = [
    "PPO",
    "STRATEGIES",
    "Exhaustive",
    "LayerNAS",
    "RandomSearch",
    "RegularizedEvolution",
    "Reinforce",
    "Strategy",
    "TrustRegionLayerNAS",
]
