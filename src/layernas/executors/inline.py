"""The inline executor: each trial runs in this process, when it is submitted.

No isolation: a reward function that hangs or kills its process hangs or kills the
search (use the process pool or Ray for timeouts and worker deaths).
"""

from __future__ import annotations

from dataclasses import dataclass

from layernas.errors import LayerNASError
from layernas.executors.base import Executor, Outcome, RewardFn, evaluate
from layernas.space import Arch


@dataclass(frozen=True)
class InlineExecutor(Executor):
    """One trial at a time in this process, without timeouts (the default for one worker)."""

    name = "inline"

    def check(self, reward: RewardFn, workers: int, timeout: float | None) -> None:
        if workers != 1 or timeout is not None:
            raise LayerNASError(
                "executor 'inline' runs one trial at a time without timeouts; "
                "use executor='process' (or 'ray') for workers > 1 or a timeout"
            )

    def start(self, reward: RewardFn, workers: int, timeout: float | None) -> InlinePool:
        return InlinePool(reward)


class InlinePool:
    """Runs each job in this process when submitted."""

    def __init__(self, reward: RewardFn) -> None:
        self.reward = reward
        self.workers = 1
        self._done: list[Outcome] = []

    def submit(self, number: int, arch: Arch) -> None:
        self._done.append(evaluate(self.reward, number, arch))

    def collect(self) -> list[Outcome]:
        done, self._done = self._done, []
        return done

    def close(self) -> None:
        pass
