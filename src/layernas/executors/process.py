"""The local process pool: ``workers`` spawned processes on this machine, one trial each.

Each worker owns a pipe; the pool hands a trial only to an idle worker, so it always
knows which trial a worker runs, and it watches the pipes and the process sentinels
together (``multiprocessing.connection.wait``):

* a worker that exits mid-trial (``os._exit``, a signal, a segfault, the out-of-memory
  killer, ``kill -9`` from outside) gives that trial back as a *lost* outcome, and a new
  worker takes its place; an idle worker that dies is just replaced;
* a trial past its timeout (counted from when its worker starts it) has its worker
  killed and comes back as a timeout error;
* workers die with the driver (Linux ``PR_SET_PDEATHSIG``), so a driver killed by
  SIGKILL leaves no training behind; they ignore Ctrl-C, which stops the driver, and the
  driver ends them.

(A pool of our own rather than ``pebble``'s or ``concurrent.futures``': those lose track
of a task, or break the whole pool, when a worker is killed while idle or just as it
picks up a task.)
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import time
import traceback
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from layernas.errors import LayerNASError
from layernas.executors.base import Executor, Outcome, RewardFn, check_picklable, evaluate
from layernas.space import Arch

_READY, _STARTED, _DONE, _BROKEN = "ready", "started", "done", "broken"


def _die_with_parent(parent: int) -> None:
    """On Linux, have the kernel kill this worker when the driver dies."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # elsewhere: the worker ends when its pipe closes
        pass
    if os.getppid() != parent:  # the driver died before prctl took effect
        os._exit(1)


def _worker_main(conn: Connection, reward_bytes: bytes, parent: int) -> None:
    """A worker: load the reward function, then run trials until told to stop."""
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the driver, which ends us
    try:
        reward = pickle.loads(reward_bytes)
    except Exception:  # noqa: BLE001 - e.g. its module cannot be imported here
        conn.send((_BROKEN, traceback.format_exc(limit=4)))
        return
    conn.send((_READY, os.getpid()))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):  # the driver went away
            return
        if job is None:
            return
        number, arch = job
        conn.send((_STARTED, number))
        outcome = evaluate(reward, number, arch)
        try:
            conn.send((_DONE, outcome))
        except Exception as exc:  # noqa: BLE001 - the reward's value cannot be pickled
            conn.send((_DONE, Outcome(number, error=f"the reward function's value cannot be "
                                      f"sent back: {type(exc).__name__}: {exc}",
                                      duration=outcome.duration, worker=outcome.worker)))


@dataclass
class _Worker:
    process: Any  # multiprocessing.process.BaseProcess
    conn: Connection
    ready: bool = False
    job: int | None = None  # the trial it runs
    started: float | None = None  # when it reported starting it (monotonic)


def _exit_reason(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            pass
    return f"exit code {code}"


@dataclass(frozen=True)
class ProcessExecutor(Executor):
    """A local pool of spawned processes, one trial each (the default for several workers
    or a timeout)."""

    name = "process"

    def check(self, reward: RewardFn, workers: int, timeout: float | None) -> None:
        check_picklable(reward)

    def start(self, reward: RewardFn, workers: int, timeout: float | None) -> ProcessPool:
        return ProcessPool(reward, workers, timeout)


class ProcessPool:
    """A local pool of ``workers`` processes; a trial over ``timeout`` seconds is killed."""

    def __init__(self, reward: RewardFn, workers: int, timeout: float | None) -> None:
        self.workers = workers
        self.timeout = timeout
        self._reward = pickle.dumps(reward)
        self._context = multiprocessing.get_context("spawn")
        self._pool: list[_Worker] = []
        self._queue: list[tuple[int, Arch]] = []  # submitted, waiting for an idle worker
        self._done: list[Outcome] = []
        for _ in range(workers):
            self._pool.append(self._spawn())

    def _spawn(self) -> _Worker:
        ours, theirs = self._context.Pipe()
        process = self._context.Process(
            target=_worker_main, args=(theirs, self._reward, os.getpid()),
            name="layernas-worker",  # not a daemon: a training may start processes itself
        )
        process.start()
        theirs.close()
        return _Worker(process, ours)

    def submit(self, number: int, arch: Arch) -> None:
        self._queue.append((number, arch))
        self._dispatch()

    def _dispatch(self) -> None:
        for worker in self._pool:
            if not self._queue:
                return
            if worker.job is None:
                number, arch = self._queue.pop(0)
                worker.job, worker.started = number, None
                try:
                    worker.conn.send((number, arch))
                except (BrokenPipeError, OSError):
                    pass  # it died: its sentinel says so, and the trial comes back lost

    def collect(self) -> list[Outcome]:
        while not self._done:
            owner: dict[Any, _Worker] = {}
            for w in self._pool:
                owner[w.conn] = owner[w.process.sentinel] = w
            for ready in wait(list(owner), timeout=self._next_deadline()):
                worker = owner[ready]
                if worker not in self._pool:  # already replaced in this round
                    continue
                if ready is worker.conn:
                    self._read(worker)
                else:
                    self._died(worker)
            self._expire()
            self._dispatch()
        done, self._done = self._done, []
        return done

    def _read(self, worker: _Worker) -> None:
        try:
            while worker.conn.poll():
                kind, payload = worker.conn.recv()
                if kind == _READY:
                    worker.ready = True
                elif kind == _STARTED:
                    worker.started = time.monotonic()
                elif kind == _DONE:
                    self._done.append(payload)
                    worker.job, worker.started = None, None
                elif kind == _BROKEN:
                    self.close()
                    raise LayerNASError(
                        "worker processes cannot load the reward function; it must be "
                        f"importable in a fresh Python process:\n{payload}"
                    )
        except (EOFError, OSError):
            pass  # the worker died; its sentinel reports it

    def _died(self, worker: _Worker) -> None:
        """A worker exited: give back its trial as lost, and start another worker."""
        self._read(worker)  # an outcome it sent before dying is not lost
        worker.process.join()
        code = worker.process.exitcode
        reason = _exit_reason(code)
        if not worker.ready and code is not None and code > 0:  # not a signal from outside
            self.close()
            raise LayerNASError(
                f"a worker process died while starting ({reason}); if the search runs from "
                "a script, put the call under `if __name__ == '__main__':` (workers are "
                "spawned and import the main module)"
            )
        if worker.job is not None:
            self._done.append(Outcome(worker.job, error=f"worker process died ({reason})",
                                      worker=f"pid {worker.process.pid}", lost=True))
        self._replace(worker)

    def _replace(self, worker: _Worker) -> None:
        worker.conn.close()
        self._pool[self._pool.index(worker)] = self._spawn()

    def _next_deadline(self) -> float | None:
        starts = [w.started for w in self._pool if w.started is not None]
        if self.timeout is None or not starts:
            return None
        return max(0.0, min(starts) + self.timeout - time.monotonic())

    def _expire(self) -> None:
        """Kill the workers of trials running past the timeout."""
        if self.timeout is None:
            return
        now = time.monotonic()
        for worker in list(self._pool):
            if worker.started is not None and now - worker.started >= self.timeout:
                self._read(worker)  # it may have just finished
                if worker.job is None:
                    continue
                worker.process.kill()
                worker.process.join()
                self._done.append(Outcome(
                    worker.job, error=f"timed out after {self.timeout:g} s (worker killed)",
                    duration=now - worker.started, worker=f"pid {worker.process.pid}"))
                self._replace(worker)

    def close(self) -> None:
        pool, self._pool = self._pool, []
        for worker in pool:
            if worker.job is None and worker.process.is_alive():
                try:
                    worker.conn.send(None)
                except OSError:
                    pass
            else:
                worker.process.kill()
        for worker in pool:
            worker.process.join(timeout=2)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.conn.close()
