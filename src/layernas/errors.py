"""The one exception type for bad input: every message says what is wrong and what to do."""


class LayerNASError(ValueError):
    """Raised for invalid search spaces, cost ranges, cost/reward return values and configs."""
