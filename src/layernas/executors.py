"""Executors: where reward functions run (in this process, or a local process pool).

An executor takes jobs (trial number, architecture), runs the reward function on them
and hands back :class:`Outcome`s as they complete, in any order; the runner restores
the order. Failures (an exception, a timeout, a worker that died) come back as
outcomes with an error, never as exceptions. The process pool is ``pebble``'s, which
kills a timed-out trial's worker and replaces dead workers.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import pickle
import socket
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import pebble

from layernas.errors import LayerNASError
from layernas.space import Arch

RewardFn = Callable[[Arch], Any]


@dataclass(frozen=True)
class Outcome:
    """What one attempt at training a candidate gave: a raw value, or an error."""

    number: int
    value: Any = None
    error: str | None = None
    duration: float = 0.0
    worker: str = ""


def evaluate(reward: RewardFn, number: int, arch: Arch) -> Outcome:
    """Run ``reward(arch)``, turning an exception into an error outcome (runs in workers)."""
    worker = f"{socket.gethostname()}:{os.getpid()}"
    start = time.perf_counter()
    try:
        value = reward(arch)
    except Exception:  # noqa: BLE001 - any training error is recorded, not raised
        return Outcome(number, error=traceback.format_exc(limit=8), worker=worker,
                       duration=time.perf_counter() - start)
    return Outcome(number, value=value, duration=time.perf_counter() - start, worker=worker)


class Executor(Protocol):
    workers: int

    def submit(self, number: int, arch: Arch) -> None: ...

    def collect(self) -> list[Outcome]:
        """Block until at least one submitted job has completed; return the completed ones."""
        ...

    def close(self) -> None: ...


class InlineExecutor:
    """Runs each job in this process when submitted (no timeouts)."""

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


class ProcessExecutor:
    """A local pool of ``workers`` processes; a job over ``timeout`` seconds is killed."""

    def __init__(self, reward: RewardFn, workers: int, timeout: float | None) -> None:
        self.reward = reward
        self.workers = workers
        self.timeout = timeout
        self._pool = pebble.ProcessPool(
            max_workers=workers, context=multiprocessing.get_context("spawn")
        )
        self._futures: dict[concurrent.futures.Future, int] = {}

    def submit(self, number: int, arch: Arch) -> None:
        future = self._pool.schedule(evaluate, args=(self.reward, number, arch), timeout=self.timeout)
        self._futures[future] = number

    def collect(self) -> list[Outcome]:
        done, _ = concurrent.futures.wait(
            list(self._futures), return_when=concurrent.futures.FIRST_COMPLETED
        )
        return [self._outcome(future, self._futures.pop(future)) for future in done]

    def _outcome(self, future: concurrent.futures.Future, number: int) -> Outcome:
        try:
            return future.result()
        except concurrent.futures.TimeoutError:
            return Outcome(number, error=f"timed out after {self.timeout} s (worker killed)")
        except pebble.ProcessExpired as exc:
            return Outcome(number, error=f"worker process died (exit code {exc.exitcode})")
        except Exception as exc:  # noqa: BLE001 - e.g. the reward function cannot be pickled
            return Outcome(number, error=f"{type(exc).__name__}: {exc}")

    def close(self) -> None:
        self._pool.stop()
        self._pool.join()


EXECUTORS = ("inline", "process")


def check_picklable(reward: RewardFn) -> None:
    """Workers in other processes receive the reward function pickled."""
    try:
        pickle.dumps(reward)
    except Exception as exc:  # noqa: BLE001 - pickling raises many types
        raise LayerNASError(
            f"the reward function {reward!r} cannot be sent to worker processes ({exc}); "
            "define it at module level (or as a picklable callable object)"
        ) from None


def make_executor(
    name: str | None, reward: RewardFn, workers: int, timeout: float | None
) -> Executor:
    """The executor called ``name`` (default: inline for one worker, else processes)."""
    if name is None:
        name = "inline" if workers == 1 and timeout is None else "process"
    if name == "inline":
        if workers != 1 or timeout is not None:
            raise LayerNASError(
                "executor 'inline' runs one trial at a time without timeouts; "
                "use executor='process' for workers > 1 or a timeout"
            )
        return InlineExecutor(reward)
    if name == "process":
        check_picklable(reward)
        return ProcessExecutor(reward, workers, timeout)
    raise LayerNASError(f"unknown executor {name!r}; choose one of {', '.join(EXECUTORS)}")
