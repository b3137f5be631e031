"""Checks of user-given settings: each rule, and the wording of its error, written once.

Every check returns the value it accepted (so ``self.keep = positive_int(keep, "...")``
reads as an assignment) or raises :class:`~layernas.errors.LayerNASError` naming the
setting (``what``), the rule and the value given. ``bool`` is never accepted as a number.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Collection
from pathlib import Path
from typing import Any, TypeVar

from layernas.errors import LayerNASError

T = TypeVar("T")


def positive_int(value: Any, what: str) -> int:
    """``value`` if it is an int >= 1."""
    return _int(value, what, 1)


def non_negative_int(value: Any, what: str) -> int:
    """``value`` if it is an int >= 0."""
    return _int(value, what, 0)


def optional_positive_int(value: Any, what: str) -> int | None:
    """``value`` if it is None or an int >= 1 (None: no limit)."""
    if value is None:
        return None
    if not _is_int(value) or value < 1:
        raise LayerNASError(f"{what} must be an integer >= 1 (or None for no limit), got {value!r}")
    return value


def number(
    value: Any,
    what: str,
    lo: float = -math.inf,
    hi: float = math.inf,
    lo_open: bool = False,
    hi_open: bool = False,
) -> float:
    """``value`` as a float if it is a real number in the interval ``lo..hi``.

    The bounds are inclusive unless ``lo_open`` / ``hi_open``; infinite bounds are always
    open, so no check accepts NaN or an infinity unless asked to.
    """
    ok = _is_real(value) and not math.isnan(value)
    if ok:
        ok = (value > lo if lo_open or lo == -math.inf else value >= lo) and (
            value < hi if hi_open or hi == math.inf else value <= hi
        )
    if not ok:
        raise LayerNASError(f"{what} must be {_interval(lo, hi, lo_open, hi_open)}, got {value!r}")
    return float(value)


def fraction(value: Any, what: str) -> float:
    """``value`` if it is a number in (0, 1]."""
    return number(value, what, 0, 1, lo_open=True)


def one_of(value: T, choices: Collection[T], what: str) -> T:
    """``value`` if it is one of ``choices``."""
    if value not in choices:
        raise LayerNASError(f"{what} must be one of {list(choices)}, got {value!r}")
    return value


def boolean(value: Any, what: str) -> bool:
    """``value`` if it is True or False."""
    if not isinstance(value, bool):
        raise LayerNASError(f"{what} must be True or False, got {value!r}")
    return value


def no_winner_in(out: str | os.PathLike[str], overwrite: bool) -> None:
    """Refuse an export folder that already holds a winner (``arch.json``) unless
    ``overwrite``: a new search must not silently replace the last one's result."""
    if not overwrite and (Path(out) / "arch.json").exists():
        raise LayerNASError(f"{out} already holds a winner (arch.json); pass --overwrite "
                            "(overwrite=True) to replace it, or choose another --out")


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _int(value: Any, what: str, minimum: int) -> int:
    if not _is_int(value) or value < minimum:
        raise LayerNASError(f"{what} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _interval(lo: float, hi: float, lo_open: bool, hi_open: bool) -> str:
    if hi == math.inf:
        if lo == -math.inf:
            return "a finite number"
        return f"a number {'>' if lo_open else '>='} {lo:g}"
    if lo == -math.inf:
        return f"a number {'<' if hi_open else '<='} {hi:g}"
    return f"a number in {'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"
