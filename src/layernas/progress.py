"""What a running search reports as it goes: a bar on a terminal, one line per trial in a log.

Progress goes to standard error, results to standard output. ``progress=None`` (the
default) shows a tqdm bar when standard error is a terminal and, when it is not (a batch job
writing to a log file), one line per finished trial instead: trial number, cost, reward,
best so far, elapsed time. The bar's total is the number
of trials the search will train at most: the budget, or fewer when the strategy knows how
many it has left (:meth:`~layernas.strategies.Strategy.remaining`); a resumed search says
so and counts the trials it takes from its journal at once.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from tqdm.auto import tqdm

from layernas.trial import Trial


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


class Progress:
    """Reports a search's trials; ``mode`` is "bar", "log" or "off"."""

    def __init__(self, progress: bool | None, name: str, total: int | None) -> None:
        if progress is None:
            progress = sys.stderr.isatty()
            self.mode = "bar" if progress else "log"
        else:
            self.mode = "bar" if progress else "off"
        self.name = name
        self.total = total
        self.done = 0
        self.start = time.monotonic()
        self._bar: Any = None
        if self.mode == "bar":
            self._bar = tqdm(total=total, unit="trial", desc=name, disable=False)

    def say(self, text: str) -> None:
        """A line for the user (above the bar, if there is one)."""
        if self.mode == "bar":
            self._bar.write(text)
        elif self.mode == "log":
            print(text, file=sys.stderr, flush=True)

    def resuming(self, count: int) -> None:
        if count:
            self.say(f"resuming: {count} trials from the journal")

    def set_total(self, total: int | None) -> None:
        if total != self.total:
            self.total = total
            if self._bar is not None:
                self._bar.total = total
                self._bar.refresh()

    def trial(self, trial: Trial, best: Trial | None, adopted: bool,
              counters: dict[str, Any]) -> None:
        """One finished trial (``adopted``: taken from the journal, not trained now)."""
        self.done += 1
        if self.mode == "bar":
            self._bar.update(1)
            self._bar.set_postfix(counters, refresh=False)
        elif self.mode == "log" and not adopted:
            result = (f"reward {trial.reward:.6g}" if trial.ok
                      else f"failed ({trial.reason})")
            of = f"/{self.total}" if self.total is not None else ""
            best_text = "-" if best is None else f"{best.reward:.6g} (#{best.number})"
            print(f"{self.name}: trial {trial.number} [{self.done}{of}] cost {trial.cost:.6g}, "
                  f"{result}, best so far {best_text}, elapsed {_clock(time.monotonic() - self.start)}",
                  file=sys.stderr, flush=True)

    def note(self, counters: dict[str, Any]) -> None:
        """Counters shown beside the bar (best, rejected, worker deaths)."""
        if self._bar is not None:
            self._bar.set_postfix(counters, refresh=False)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
