"""Executors: where reward functions run (this process, a local process pool, or Ray).

``search(executor=...)`` takes an :class:`Executor` instance, which holds the executor's own
settings (``RayExecutor(address=..., resources=...)``), or one of the names in
:data:`EXECUTORS`. A started executor (a :class:`Pool`) takes jobs (trial number,
architecture), runs the reward function on them and hands back :class:`Outcome`s as they
complete, in any order; the runner restores the order. Failures come back as outcomes,
never as exceptions:

* the reward function raised, or ran past the per-trial timeout: ``error`` says why
  (the runner retries it up to ``retries`` times, then records it as failed);
* the worker running it died (killed, segfault, out of memory, a lost Ray node):
  ``lost`` is set as well; the runner re-runs the trial without charging a retry, up
  to :data:`layernas.runner.MAX_WORKER_DEATHS` deaths per trial.

One module per executor: :mod:`.inline`, :mod:`.process` (a spawned process pool), :mod:`.ray`
(Ray itself is imported only when a Ray executor starts: it is the optional extra
``layernas[ray]``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from layernas.errors import LayerNASError
from layernas.executors.base import Executor, Outcome, Pool, RewardFn, check_picklable, evaluate
from layernas.executors.inline import InlineExecutor
from layernas.executors.process import ProcessExecutor
from layernas.executors.ray import RayExecutor

_BY_NAME: dict[str, type[Executor]] = {
    cls.name: cls for cls in (InlineExecutor, ProcessExecutor, RayExecutor)
}
#: The executors' names, for configs and the command line.
EXECUTORS: tuple[str, ...] = tuple(_BY_NAME)


def default_executor(workers: int, timeout: float | None) -> Executor:
    """Inline for one worker without a timeout, else the local process pool."""
    return InlineExecutor() if workers == 1 and timeout is None else ProcessExecutor()


def make_executor(name: str | None = None, *, address: str | None = None,
                  resources: Mapping[str, Any] | None = None) -> Executor | None:
    """The executor a config or command line names, with Ray's settings (``address``,
    ``resources``) when it is Ray; giving those without a name picks Ray. None when
    nothing is named: ``search`` then picks by its workers and timeout."""
    ray_settings = address is not None or resources is not None
    if name is None and not ray_settings:
        return None
    name = "ray" if name is None else name
    if name not in _BY_NAME:
        raise LayerNASError(f"unknown executor {name!r}; choose one of {', '.join(EXECUTORS)}")
    if name == "ray":
        return RayExecutor(address=address, resources=dict(resources or {}))
    if ray_settings:
        raise LayerNASError(
            f"ray_address and resources apply to executor='ray', not executor={name!r}"
        )
    return _BY_NAME[name]()


__all__ = [
    "EXECUTORS",
    "Executor",
    "InlineExecutor",
    "Outcome",
    "Pool",
    "ProcessExecutor",
    "RayExecutor",
    "RewardFn",
    "check_picklable",
    "default_executor",
    "evaluate",
    "make_executor",
]
