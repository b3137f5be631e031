"""How numbers and architectures are written for people: costs and rewards with units and SI
prefixes (``1.23M MAdds``, ``97.50%``), durations (``5m 04s``) and architectures with their
layer names (``bun=brioche, patty=beef``)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

_PREFIXES = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K"))


def number(value: float) -> str:
    """``value`` with 3-4 significant digits and an SI prefix from a thousand up."""
    if not math.isfinite(value):
        return str(value)
    for scale, prefix in _PREFIXES:
        if abs(value) >= scale:
            return f"{value / scale:.3g}{prefix}" if abs(value) < 100 * scale else (
                f"{value / scale:.0f}{prefix}")
    return f"{value:.4g}"


def quantity(value: float | None, units: str | None = None) -> str:
    """``value`` in ``units``: percentages with two decimals, anything else via :func:`number`."""
    if value is None:
        return "-"
    if units == "%":
        return f"{value:.2f}%"
    return number(value) if not units else f"{number(value)} {units}"


def duration(seconds: float) -> str:
    """``40ms``, ``12.3s``, ``5m 04s``, ``2h 03m``."""
    if seconds < 1:
        return f"{seconds * 1e3:.0f}ms"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def arch(names: Sequence[str], values: Sequence[Any]) -> str:
    """``name=value`` per layer."""
    return ", ".join(f"{name}={value}" for name, value in zip(names, values))
