"""layernas: cost-constrained neural architecture search in polynomial complexity."""

from layernas import benchmarks
from layernas.errors import LayerNASError, SearchStopped, TrialsFailed
from layernas.problem import MaxCostFraction
from layernas.runner import SearchResult, search
from layernas.space import Arch, Layer, SearchSpace
from layernas.strategies import (
    PPO,
    Exhaustive,
    LayerNAS,
    OptunaGP,
    OptunaNSGA2,
    OptunaTPE,
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
    "MaxCostFraction",
    "OptunaGP",
    "OptunaNSGA2",
    "OptunaTPE",
    "RandomSearch",
    "RegularizedEvolution",
    "Reinforce",
    "SearchResult",
    "SearchStopped",
    "SearchSpace",
    "Strategy",
    "Trial",
    "TrialsFailed",
    "TrustRegionLayerNAS",
    "benchmarks",
    "search",
]
__version__ = "0.1.0"
