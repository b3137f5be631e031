"""Executors: where reward functions run (this process, a local process pool, or Ray).

An executor takes jobs (trial number, architecture), runs the reward function on them
and hands back :class:`Outcome`s as they complete, in any order; the runner restores
the order. Failures come back as outcomes, never as exceptions:

* the reward function raised, or ran past the per-trial timeout: ``error`` says why
  (the runner retries it up to ``retries`` times, then records it as failed);
* the worker running it died (killed, segfault, out of memory, a lost Ray node):
  ``lost`` is set as well; the runner re-runs the trial without charging a retry, up
  to :data:`layernas.runner.MAX_WORKER_DEATHS` deaths per trial.

One module per executor: :mod:`.inline`, :mod:`.process` (a spawned process pool), :mod:`.ray`
(imported only when asked for, since Ray is the optional extra ``layernas[ray]``).
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from typing import Any

from layernas.errors import LayerNASError
from layernas.executors.base import Executor, Outcome, RewardFn, evaluate
from layernas.executors.inline import InlineExecutor
from layernas.executors.process import ProcessExecutor
from layernas.validate import number

EXECUTORS = ("inline", "process", "ray")

#: Per-trial resource keys a Ray task accepts (the names of ``ray.remote(...).options``).
RESOURCE_KEYS = ("num_cpus", "num_gpus", "memory", "resources")


def check_picklable(reward: RewardFn) -> None:
    """Workers in other processes receive the reward function pickled."""
    try:
        pickle.dumps(reward)
    except Exception as exc:  # noqa: BLE001 - pickling raises many types
        raise LayerNASError(
            f"the reward function {reward!r} cannot be sent to worker processes ({exc}); "
            "define it at module level (or as a picklable callable object)"
        ) from None


def check_resources(resources: Mapping[str, Any] | None) -> dict[str, Any]:
    """Validate per-trial Ray resources, e.g. ``{"num_cpus": 1, "num_gpus": 0.5}``."""
    if resources is None:
        return {"num_cpus": 1}
    if not isinstance(resources, Mapping):
        raise LayerNASError(
            f"resources must be a mapping like {{'num_cpus': 1, 'num_gpus': 0}}, got {resources!r}"
        )
    unknown = sorted(set(resources) - set(RESOURCE_KEYS))
    if unknown:
        raise LayerNASError(
            f"unknown per-trial resource(s) {', '.join(map(repr, unknown))}; use "
            f"{', '.join(RESOURCE_KEYS)} (custom Ray resources go in "
            "resources={'resources': {'name': amount}})"
        )
    checked: dict[str, Any] = {"num_cpus": 1}
    for key, value in resources.items():
        if key == "resources":
            if not isinstance(value, Mapping):
                raise LayerNASError(f"resources['resources'] must map names to amounts, got {value!r}")
            checked[key] = {str(k): _amount(f"resources['resources'][{k!r}]", v)
                            for k, v in value.items()}
        else:
            checked[key] = _amount(f"resources[{key!r}]", value)
    return checked


def _amount(what: str, value: Any) -> float:
    return number(value, what, 0)


def resolve_executor(
    name: str | None, workers: int, timeout: float | None,
    ray_address: str | None = None, resources: Mapping[str, Any] | None = None,
) -> str:
    """Check the executor settings without starting anything; return the executor's name.

    Default: ``ray`` when a Ray address or resources are given, else ``inline`` for one
    worker without a timeout, else ``process``.
    """
    ray_only = ray_address is not None or resources is not None
    if name is None:
        name = "ray" if ray_only else "inline" if workers == 1 and timeout is None else "process"
    if name not in EXECUTORS:
        raise LayerNASError(f"unknown executor {name!r}; choose one of {', '.join(EXECUTORS)}")
    if name == "inline" and (workers != 1 or timeout is not None):
        raise LayerNASError(
            "executor 'inline' runs one trial at a time without timeouts; "
            "use executor='process' (or 'ray') for workers > 1 or a timeout"
        )
    if name != "ray" and ray_only:
        raise LayerNASError(
            f"ray_address and resources apply to executor='ray', not executor={name!r}"
        )
    if ray_address is not None:
        check_address(ray_address)
    if name == "ray":
        check_resources(resources)
    return name


def check_address(address: Any) -> None:
    """A Ray address must be ``HOST:PORT``, ``ray://HOST:PORT``, ``auto`` or ``local``."""
    if address in ("auto", "local"):
        return
    host, sep, port = str(address).split("://", 1)[-1].rpartition(":")
    if not isinstance(address, str) or not sep or not host or not port.isdigit():
        raise LayerNASError(
            f"Ray address {address!r} must look like 'HOST:PORT' (e.g. '10.0.0.5:6379', as "
            "printed by 'ray start --head'), 'ray://HOST:10001', 'auto' or 'local'"
        )


def make_executor(
    name: str | None, reward: RewardFn, workers: int, timeout: float | None,
    ray_address: str | None = None, resources: Mapping[str, Any] | None = None,
) -> Executor:
    """The executor called ``name`` (see :func:`resolve_executor` for the default)."""
    name = resolve_executor(name, workers, timeout, ray_address, resources)
    if name == "inline":
        return InlineExecutor(reward)
    if name == "process":
        check_picklable(reward)
        return ProcessExecutor(reward, workers, timeout)
    from layernas.executors.ray import RayExecutor  # Ray is optional: import it on demand

    return RayExecutor(reward, workers, timeout, ray_address, check_resources(resources))


__all__ = [
    "EXECUTORS",
    "Executor",
    "InlineExecutor",
    "Outcome",
    "ProcessExecutor",
    "check_picklable",
    "check_resources",
    "evaluate",
    "make_executor",
    "resolve_executor",
]
