"""layernas: cost-constrained neural architecture search in polynomial complexity."""

from layernas import benchmarks
from layernas.errors import LayerNASError
from layernas.runner import SearchResult, search
from layernas.space import Arch, Layer, SearchSpace
from layernas.strategies import (
    Exhaustive,
    LayerNAS,
    RandomSearch,
    RegularizedEvolution,
    Reinforce,
    Strategy,
)
from layernas.trial import Trial

__all__ = [
    "Arch",
    "benchmarks",
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
    "search",
]
__version__ = "0.1.0"
