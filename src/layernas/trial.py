"""Trials: one trained candidate with its cost, reward, status and timings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

OK = "ok"
FAILED = "failed"


@dataclass(frozen=True)
class Trial:
    """A trained candidate. ``reward`` is None when the training failed (see ``error``)."""

    number: int
    arch: tuple[Any, ...]
    cost: float
    reward: float | None
    status: str = OK
    error: str | None = None
    duration: float = 0.0
    attempts: int = 1

    @property
    def ok(self) -> bool:
        return self.status == OK
