"""layernas: cost-constrained neural architecture search in polynomial complexity."""

from layernas import benchmarks
from layernas.errors import LayerNASError
from layernas.runner import SearchResult, search
from layernas.space import Arch, Layer, SearchSpace
from layernas.strategies import (
    PPO,
    Exhaustive,
    LayerNAS,
    RandomSearch,
    RegularizedEvolution,
    Reinforce,
    Strategy,
    TrustRegionLayerNAS,
)
from layernas.trial import Trial

__all__ = [
    "PPO",
    "Arch",
    "Exhaustive",
    "Layer",
    "LayerNAS",
    "LayerNASError",
    "RandomSearch",
    "RegularizedEvolution",
    "Reinforce",
    "SearchResult",
    "SearchSpace",
    "Strategy",
    "Trial",
    "TrustRegionLayerNAS",
    "benchmarks",
    "search",
]
__version__ = "0.1.0"
