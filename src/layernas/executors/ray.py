"""The Ray executor: trials as Ray tasks, on this machine or on a Ray cluster.

``RayExecutor(address=..., resources=...)`` holds Ray's settings, checked when it is made:
the cluster to join and what each trial reserves; started for a search, it is a
:class:`RayPool`. Without an address (and without ``RAY_ADDRESS`` set) the pool starts a
private local Ray with ``workers x num_cpus`` CPUs and stops it when the search ends; with
an address it joins that cluster (see docs/ray.md). If this process already called ``ray.init``, that Ray
is used as it is and left running.

Each trial is one task with the per-trial resources (``num_cpus``, ``num_gpus``,
``memory``, custom ``resources``). The task is a generator that first reports that it
started, so the per-trial timeout counts from the start of training, not from the time
spent queued for a free worker; a task past its timeout is cancelled with
``ray.cancel(force=True)`` (its worker is killed) and reported as a timeout error.

Worker deaths are left to the runner, not to Ray's own ``max_retries`` (set to 0): a
task whose worker died or whose node was lost comes back as a lost outcome, which the
runner re-runs without charging one of the user's retries, up to a cap, so a death is
visible and a candidate that kills every worker it touches cannot loop forever.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from layernas.errors import LayerNASError
from layernas.executors.base import Executor, Outcome, RewardFn, evaluate
from layernas.space import Arch
from layernas.validate import number

INSTALL_HINT = "Ray is not installed; install the extra with: pip install 'layernas[ray]'"
CONNECT_TIMEOUT = 5.0  # seconds to wait for a cluster's address to answer
PROBE_TIMEOUT = 120.0  # seconds to wait for a worker to load the reward function
STARTED = "started"
AUTH_MODE = "RAY_AUTH_MODE"

#: Per-trial resource keys a Ray task accepts (the names of ``ray.remote(...).options``).
RESOURCE_KEYS = ("num_cpus", "num_gpus", "memory", "resources")
# Ray's names of the per-trial requests in a node's resource table
_NODE_KEYS = {"num_cpus": "CPU", "num_gpus": "GPU", "memory": "memory"}


# -- the settings ---------------------------------------------------------------------
def parse_address(address: Any) -> tuple[str, int] | None:
    """``(host, port)`` of a Ray address ``HOST:PORT`` or ``ray://HOST:PORT``; None for
    ``auto`` and ``local`` (Ray resolves those itself)."""
    if address in ("auto", "local"):
        return None
    host, sep, port = str(address).split("://", 1)[-1].rpartition(":")
    if not isinstance(address, str) or not sep or not host or not port.isdigit():
        raise LayerNASError(
            f"Ray address {address!r} must look like 'HOST:PORT' (e.g. '10.0.0.5:6379', as "
            "printed by 'ray start --head'), 'ray://HOST:10001', 'auto' or 'local'"
        )
    return host.strip("[]"), int(port)


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


@dataclass(frozen=True)
class RayExecutor(Executor):
    """Trials as Ray tasks reserving ``resources`` each (default ``{"num_cpus": 1}``; also
    ``num_gpus``, ``memory`` and custom ``resources``), on a private local Ray started for
    the search or, with ``address`` (or ``RAY_ADDRESS``), on that cluster."""

    address: str | None = None
    resources: dict[str, Any] = field(default_factory=dict)

    name = "ray"

    def __post_init__(self) -> None:
        if self.address is not None:
            parse_address(self.address)
        object.__setattr__(self, "resources", check_resources(self.resources or None))

    def start(self, reward: RewardFn, workers: int, timeout: float | None) -> RayPool:
        return RayPool(reward, workers, timeout, self.address, self.resources)


def _import_ray():
    try:
        import ray
    except ImportError:
        raise LayerNASError(INSTALL_HINT) from None
    return ray


# -- in the worker ------------------------------------------------------------------
def _trial(reward: RewardFn, number: int, arch: Arch) -> Iterator[Any]:
    """One trial as a streaming task: a start marker, then the outcome."""
    yield STARTED
    yield evaluate(reward, number, arch)


def _load(reward: RewardFn) -> str:
    """A probe: can a worker unpickle the reward function? (Ray does that before the call.)"""
    return type(reward).__name__


# -- starting or joining Ray -----------------------------------------------------------
def user_paths() -> list[str]:
    """Folders on this process's ``sys.path`` outside the Python installation, given to
    workers so they import what the driver imports (a config's folder, a test folder)."""
    prefixes = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    paths = []
    for entry in sys.path:
        path = os.path.realpath(entry or os.getcwd())
        if os.path.isdir(path) and not any(
            path == p or path.startswith(p + os.sep) for p in prefixes
        ) and path not in paths:
            paths.append(path)
    return paths


def init_ray(address: str | None = None, num_cpus: int | None = None, **kwargs: Any) -> None:
    """``ray.init`` as layernas uses it: quiet, no dashboard, the driver's import paths
    shipped to workers; ``address`` joins a cluster (checked to answer within a few
    seconds first), else a local Ray with ``num_cpus`` CPUs starts.

    Call it yourself (e.g. once per test session) to keep one Ray across searches.
    """
    ray = _import_ray()
    if address == "local":
        address = None
    if address is not None:
        _check_reachable(address)
        _token_auth_for_local_cluster(ray, address)
    pythonpath = os.pathsep.join(user_paths() + [os.environ.get("PYTHONPATH", "")]).strip(os.pathsep)
    options: dict[str, Any] = {
        "logging_level": logging.ERROR,
        "runtime_env": {"env_vars": {"PYTHONPATH": pythonpath}} if pythonpath else None,
    }
    if address is None:
        options.update(num_cpus=num_cpus, include_dashboard=False)
    options.update(kwargs)
    try:
        ray.init(address=address or "local", **options)  # "local": never join by accident
    except LayerNASError:
        raise
    except Exception as exc:  # noqa: BLE001 - Ray raises ConnectionError, RuntimeError, ...
        where = f"the Ray cluster at {address!r}" if address else "a local Ray"
        hint = ""
        if address and os.environ.get(AUTH_MODE, "").lower() != "token":
            hint = (f"; if the cluster uses token authentication (the default of 'ray start'), "
                    f"set {AUTH_MODE}=token and give its token in RAY_AUTH_TOKEN or "
                    "~/.ray/auth_token (see docs/ray.md)")
        raise LayerNASError(
            f"could not start or join {where}: {type(exc).__name__}: {exc}{hint}"
        ) from None


def _token_auth_for_local_cluster(ray: Any, address: str) -> None:
    """Ray turns on token authentication for a cluster it finds on this machine itself
    (``auto``) when a token is at hand, but never for an explicit address; do the same for
    an explicit address of this machine, so ``--ray-address`` and ``auto`` behave alike
    (``RAY_AUTH_MODE``, when set, decides as always)."""
    if AUTH_MODE in os.environ or address == "auto":
        return
    host, _ = parse_address(address)
    try:
        ip = socket.gethostbyname(host)
        local = ip.startswith("127.") or ip in {ray.util.get_node_ip_address(),
                                                socket.gethostbyname(socket.gethostname())}
    except OSError:
        local = False
    if local:
        try:  # Ray's own rule for a cluster found on this machine (pinned Ray 2.60)
            from ray._private.authentication.authentication_token_setup import (
                maybe_enable_token_auth_if_token_available,
            )
        except ImportError:
            return
        quiet = logging.getLogger(maybe_enable_token_auth_if_token_available.__module__)
        level = quiet.level
        quiet.setLevel(logging.ERROR)
        try:
            maybe_enable_token_auth_if_token_available(warn_if_disabled=False)
        finally:
            quiet.setLevel(level)


def _check_reachable(address: str) -> None:
    """Fail fast (``CONNECT_TIMEOUT`` s) when nothing listens at ``host:port``: Ray itself
    keeps retrying an unreachable cluster for minutes."""
    host_port = parse_address(address)
    if host_port is None:
        return  # Ray resolves auto and local itself, and fails at once when there is nothing
    try:
        with socket.create_connection(host_port, timeout=CONNECT_TIMEOUT):
            pass
    except OSError as exc:
        raise LayerNASError(
            f"no Ray cluster answers at {address!r} ({exc}); start one with "
            "'ray start --head --port=6379' and pass the address it prints"
        ) from None


def check_resources_available(ray: Any, request: Mapping[str, Any]) -> None:
    """Refuse a per-trial request that no alive node of the cluster can ever hold."""
    need = {_NODE_KEYS[k]: v for k, v in request.items() if k in _NODE_KEYS and v}
    need.update({k: v for k, v in request.get("resources", {}).items() if v})
    nodes = [n.get("Resources", {}) for n in ray.nodes() if n.get("Alive")]
    if any(all(node.get(k, 0) >= v for k, v in need.items()) for node in nodes):
        return
    have = "; ".join(
        ", ".join(f"{k}={v:g}" for k, v in sorted(node.items())
                  if k in ("CPU", "GPU") or k in need)
        for node in nodes
    )
    asked = ", ".join(f"{k}={v:g}" for k, v in need.items())
    raise LayerNASError(
        f"no node of the Ray cluster has the resources one trial asks for ({asked}); "
        f"nodes have: {have or 'no alive nodes'}. Lower the per-trial resources or add "
        "nodes that have them (ray start --num-cpus/--num-gpus/--resources)"
    )


# -- the running pool -----------------------------------------------------------------
class RayPool:
    """Up to ``workers`` trials at once as Ray tasks with ``resources`` each."""

    def __init__(self, reward: RewardFn, workers: int, timeout: float | None,
                 address: str | None, resources: Mapping[str, Any]) -> None:
        ray = _import_ray()
        self._ray = ray
        self.workers = workers
        self.timeout = timeout
        self.resources = dict(resources)
        address = address or os.environ.get("RAY_ADDRESS") or None
        if address == "local":
            address = None
        # generator -> (trial number, time it was seen to start, or None while queued)
        self._running: dict[Any, tuple[int, float | None]] = {}
        self._owns_ray = not ray.is_initialized()
        if address is not None and not self._owns_ray:  # a wrong address is a mistake anyway
            _check_reachable(address)
        if self._owns_ray:
            cpus = self.resources.get("num_cpus", 1)
            init_ray(address, num_cpus=None if address else max(1, math.ceil(workers * cpus)))
        try:
            check_resources_available(ray, self.resources)
            self._task = ray.remote(max_retries=0, num_returns="streaming")(_trial).options(
                **self.resources
            )
            self._reward = ray.put(reward)
            self._probe(reward)
        except BaseException:
            self.close()
            raise

    def _probe(self, reward: RewardFn) -> None:
        """Load the reward function on a worker once, so a module the workers cannot
        import is an error before training starts, not a failure of every trial."""
        ray = self._ray
        probe = ray.remote(max_retries=0)(_load).options(num_cpus=0)
        try:
            ray.get(probe.remote(self._reward), timeout=PROBE_TIMEOUT)
        except ray.exceptions.GetTimeoutError:
            return  # a busy cluster: the trials will tell
        except Exception as exc:  # noqa: BLE001 - RayTaskError wrapping the import error
            cause = str(getattr(exc, "cause", None) or exc).strip().splitlines()[-1]
            raise LayerNASError(
                f"Ray workers cannot load the reward function {reward!r} ({cause}); its module "
                "must be importable on every node: install it there, or start the workers "
                "where it is on PYTHONPATH (docs/ray.md)"
            ) from None

    def submit(self, number: int, arch: Arch) -> None:
        self._running[self._task.remote(self._reward, number, arch)] = (number, None)

    def collect(self) -> list[Outcome]:
        ray = self._ray
        done: list[Outcome] = []
        while not done:
            now = time.monotonic()
            deadlines = [start + self.timeout for _, start in self._running.values()
                         if start is not None and self.timeout is not None]
            wait = None if not deadlines else max(0.0, min(deadlines) - now)
            ready, _ = ray.wait(list(self._running), num_returns=1, timeout=wait)
            if ready:  # take everything ready by now, not one per call
                ready, _ = ray.wait(list(self._running), num_returns=len(self._running),
                                    timeout=0)
            for gen in ready:
                outcome = self._advance(gen)
                if outcome is not None:
                    done.append(outcome)
            done.extend(self._expire())
        return done

    def _advance(self, gen: Any) -> Outcome | None:
        """Read the next item of a ready task: its start marker, or how it ended."""
        ray = self._ray
        number, _ = self._running[gen]
        try:
            item = ray.get(next(gen))
        except StopIteration:  # cannot happen: the outcome is read before the end
            del self._running[gen]
            return Outcome(number, error="the Ray task ended without an outcome", lost=True)
        except ray.exceptions.RayTaskError as exc:  # e.g. arguments could not be unpickled
            del self._running[gen]
            return Outcome(number, error=f"Ray task failed: {exc}")
        except ray.exceptions.RayError as exc:  # the worker or its node died
            del self._running[gen]
            first = (str(exc).strip().splitlines() or [""])[0]
            return Outcome(number, error=f"Ray worker died ({type(exc).__name__}: {first})",
                           lost=True)
        if item == STARTED:
            self._running[gen] = (number, time.monotonic())
            return None
        del self._running[gen]
        return item

    def _expire(self) -> list[Outcome]:
        """Cancel (and kill the workers of) tasks running past the timeout."""
        if self.timeout is None:
            return []
        now = time.monotonic()
        expired = [gen for gen, (_, start) in self._running.items()
                   if start is not None and now - start >= self.timeout]
        outcomes = []
        for gen in expired:
            number, _ = self._running.pop(gen)
            self._ray.cancel(gen, force=True)
            outcomes.append(Outcome(number, error=f"timed out after {self.timeout:g} s "
                                    "(Ray task cancelled, worker killed)"))
        return outcomes

    def close(self) -> None:
        for gen in self._running:
            self._ray.cancel(gen, force=True)
        if self._owns_ray and self._ray.is_initialized():
            self._ray.shutdown()
