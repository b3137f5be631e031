"""layernas: cost-constrained neural architecture search in polynomial complexity."""

from layernas.errors import LayerNASError
from layernas.space import Arch, Layer, SearchSpace
from layernas.trial import Trial

__all__ = ["Arch", "Layer", "LayerNASError", "SearchSpace", "Trial"]
__version__ = "0.1.0"
