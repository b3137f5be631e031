"""The exceptions a search raises for its user; every message says what is wrong and what
to do, in one line (the checks of plain settings are in :mod:`layernas.validate`)."""

from __future__ import annotations

import signal
from typing import Any


class LayerNASError(ValueError):
    """Raised for invalid search spaces, cost ranges, cost/reward return values and configs."""


class TrialsFailed(LayerNASError):
    """Every trial of a search failed: the reward function, not the cost range, is the cause.

    ``result`` is the search's :class:`~layernas.runner.SearchResult` (its failed trials, with
    their errors).
    """

    def __init__(self, message: str, result: Any) -> None:
        super().__init__(message)
        self.result = result


class SearchStopped(KeyboardInterrupt):
    """A search stopped by Ctrl-C (SIGINT) or SIGTERM; what it trained is in its journal.

    A ``KeyboardInterrupt``, so code that handles Ctrl-C keeps working; ``exit_code`` is the
    shell's convention (130, 143).
    """

    def __init__(self, signum: int = signal.SIGINT, saved: int = 0,
                 journal: str | None = None) -> None:
        super().__init__(signum)
        self.signum, self.saved, self.journal = signum, saved, journal

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    def __str__(self) -> str:
        if self.journal is None:
            return (f"stopped; {self.saved} trials trained, none saved (no journal: give one to "
                    "make a search resumable)")
        return (f"stopped; {self.saved} trials saved in {self.journal}; run the same command "
                "to resume")

