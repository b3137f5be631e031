"""The trial journal: one SQLite file (WAL) per search, owned by one :class:`Journal`.

Opening a journal for a search checks, before anything is written: that the path is a
file and not someone else's SQLite database, that no other live search writes it (a lock
file beside it, ``JOURNAL.lock``, held with ``flock``: the OS releases it when its process
dies, so a killed search never blocks a resume), and the search's fingerprint (space, cost
range, strategy, seed, cost function, and the reward's settings when it declares them): a
journal of another search is refused with the settings that differ. Then it exposes what a
resume needs: the stored costs (it is the :class:`~layernas.problem.CostCache`'s store:
every cost the search computes is written as it is computed, so measured latencies are
taken once per architecture and a resume sees the costs the interrupted run saw) and the
completed trials. Every trial is written when it starts and again when it ends; the
strategy's snapshot (LayerNAS: its memorial tables) is stored whole, replacing the previous
one, whenever it changes. Readers (:func:`read_journal`, ``layernas show``) may open the
file while a search writes it.
"""

from __future__ import annotations

import json
import os
import platform
import socket
import sqlite3
import time
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import filelock

from layernas.errors import LayerNASError
from layernas.space import Arch, SearchSpace, arch_key
from layernas.strategies.base import KeptRow
from layernas.trial import Trial, best_in_range

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS trials (
    number INTEGER PRIMARY KEY,
    arch TEXT NOT NULL,
    cost REAL NOT NULL,
    reward REAL,
    status TEXT NOT NULL,
    error TEXT,
    attempts INTEGER NOT NULL,
    started REAL,
    finished REAL,
    duration REAL
);
CREATE TABLE IF NOT EXISTS kept (
    tbl INTEGER NOT NULL,
    rank INTEGER NOT NULL,
    round INTEGER NOT NULL,
    bucket_lo REAL,
    bucket_hi REAL,
    cost REAL NOT NULL,
    reward REAL NOT NULL,
    arch TEXT NOT NULL,
    PRIMARY KEY (tbl, rank)
);
CREATE TABLE IF NOT EXISTS costs (arch TEXT PRIMARY KEY, cost REAL NOT NULL);
"""

RUNNING = "running"
#: The journal's format (a journal without it was written before the cost was fingerprinted
#: on architectures of the space alone).
FORMAT = "2"


@dataclass(frozen=True)
class JournalRow:
    """A trial as stored, with the architecture as its JSON text (``arch_key``)."""

    number: int
    arch: str
    cost: float
    reward: float | None
    status: str
    error: str | None
    attempts: int
    duration: float | None
    started: float | None = None  # time.time() of the latest attempt's start
    finished: float | None = None


_ROW_COLUMNS = "number, arch, cost, reward, status, error, attempts, duration, started, finished"


def declared_identity(fn: Any, what: str) -> str | dict[str, Any] | None:
    """The ``identity`` a cost or reward function declares: a string, or a mapping of the
    settings its values depend on (e.g. a training reward's data set, epochs, learning rate),
    so a journal recognises it without calling it; None when it declares none."""
    identity = getattr(fn, "identity", None)
    if identity is None or isinstance(identity, str):
        return identity
    if isinstance(identity, Mapping):
        return json.loads(json.dumps(dict(identity), sort_keys=True, default=repr))
    raise LayerNASError(
        f"the {what} function's identity must be a string or a mapping of its settings, "
        f"got {type(identity).__name__}"
    )


def fingerprint(space: SearchSpace, cost: Any, reward: Any, cost_range: Any,
                strategy: dict[str, Any], seed: int) -> dict[str, Any]:
    """What identifies a search in its journal.

    The cost function by its declared identity, else by its own values on three
    architectures of the space (each layer's first option, last option, default); the reward
    by its declared identity, when it has one; ``cost_range`` as given (a pair, or a
    :class:`~layernas.problem.MaxCostFraction`'s fraction).
    """
    from layernas.problem import MaxCostFraction, evaluate_cost

    layers = space.layers
    probes = [tuple(layer.options[0] for layer in layers),
              tuple(layer.options[-1] for layer in layers),
              tuple(layer.options[0] if layer.default is None else layer.default
                    for layer in layers)]
    fp = {
        "space": space.describe(),
        "cost_range": ({"max_cost_fraction": cost_range.fraction}
                       if isinstance(cost_range, MaxCostFraction) else list(cost_range)),
        "strategy": strategy,
        "seed": seed,
        "cost": declared_identity(cost, "cost") or [evaluate_cost(cost, a) for a in probes],
    }
    reward_identity = declared_identity(reward, "reward")
    if reward_identity is not None:
        fp["reward"] = reward_identity
    return fp


def declared_units(cost: Any, reward: Any) -> dict[str, str]:
    """The ``units`` string attribute the cost and reward functions declare, when they do
    (``"MAdds"``, ``"ms"``, ``"%"``): display only, so not part of the fingerprint."""
    units = {what: getattr(fn, "units", None) for what, fn in (("cost", cost), ("reward", reward))}
    return {what: u for what, u in units.items() if isinstance(u, str)}


class Journal:
    """The journal of one running search: opened (and locked) once, closed at its end."""

    def __init__(self, path: str | os.PathLike[str], fingerprint: dict[str, Any]) -> None:
        self.path = Path(path).expanduser()
        self._writer = json.dumps(
            {"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()})
        self._db: sqlite3.Connection | None = None
        _check_is_ours(self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._lock = filelock.FileLock(f"{self.path}.lock")
            self._lock.acquire(timeout=0)
        except filelock.Timeout:
            raise LayerNASError(
                f"journal {self.path} is being written by another search "
                f"({_writer_of(self.path)}); wait for it to end or stop it, or give this "
                "search another journal path"
            ) from None
        except OSError as exc:
            raise _unwritable(self.path, exc) from None
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._open(fingerprint)
        except sqlite3.OperationalError as exc:
            self.close()
            raise _unwritable(self.path, exc) from None
        except BaseException:
            self.close()
            raise

    def _open(self, fingerprint: dict[str, Any]) -> None:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            for statement in SCHEMA.split(";"):
                db.execute(statement)
            self._check_fingerprint(fingerprint)
            db.execute("INSERT OR REPLACE INTO meta VALUES ('writer', ?)", (self._writer,))
            # a trial left running by a search that died holds no result: it is trained again
            db.execute("DELETE FROM trials WHERE status = ?", (RUNNING,))
            db.execute("DELETE FROM meta WHERE key='stopped'")  # the search runs (again)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        #: costs stored by earlier runs of this search (architecture key -> cost)
        self.costs: dict[str, float] = dict(db.execute("SELECT arch, cost FROM costs"))
        #: finished trials (ok or failed) by architecture key, for a resume to adopt
        self.completed: dict[str, JournalRow] = {
            row[1]: JournalRow(*row)
            for row in db.execute(f"SELECT {_ROW_COLUMNS} FROM trials ORDER BY number")
        }
        self._rows = dict(db.execute("SELECT number, arch FROM trials"))  # number -> arch
        self._numbers = {key: row.number for key, row in self.completed.items()}

    def _check_fingerprint(self, fingerprint: dict[str, Any]) -> None:
        current = json.loads(json.dumps(fingerprint, sort_keys=True, default=repr))
        row = self._db.execute("SELECT value FROM meta WHERE key='fingerprint'").fetchone()
        if row is None:
            self._db.execute("INSERT INTO meta VALUES ('fingerprint', ?)", (json.dumps(current),))
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('created', ?)",
                             (str(time.time()),))
            self._db.execute("INSERT OR REPLACE INTO meta VALUES ('format', ?)", (FORMAT,))
            return
        stored = json.loads(row[0])
        legacy = self._db.execute("SELECT 1 FROM meta WHERE key='format'").fetchone() is None
        if "reward" in current and "reward" not in stored:  # written before rewards declared
            stored["reward"] = current["reward"]           # settings: recognised from now on
            self._db.execute("UPDATE meta SET value=? WHERE key='fingerprint'",
                             (json.dumps(stored),))
        differ = _differences(stored, current)
        if differ:
            hint = ""
            if differ[0].startswith("cost") and len(differ) == 1 and isinstance(
                    current["cost"], list):
                hint = (" (this journal was written by an earlier layernas, which recognised a "
                        "cost by its values on other architectures: finish it with that version)"
                        if legacy else
                        " (a cost function whose values are measured, not computed, must "
                        "declare an 'identity' string so that a resume recognises it; see "
                        "layernas.problem)")
            raise LayerNASError(
                f"journal {self.path} belongs to a different search (it differs in: "
                f"{'; '.join(differ)}); resume with the original settings or use a new journal "
                f"path{hint}"
            )

    # -- costs: the CostCache's store ---------------------------------------------------
    def stored_cost(self, arch: Arch) -> float | None:
        return self.costs.get(arch_key(arch))

    def store_cost(self, arch: Arch, cost: float) -> None:
        key = arch_key(arch)
        self.costs[key] = cost
        self._db.execute("INSERT OR IGNORE INTO costs VALUES (?, ?)", (key, cost))

    def record_cost_range(self, cost_range: tuple[float, float]) -> None:
        """The target range in the cost's units (resolved when given as a fraction)."""
        self._db.execute("INSERT OR REPLACE INTO meta VALUES ('cost_range', ?)",
                         (json.dumps(list(cost_range)),))

    def record_versions(self) -> None:
        """The versions of the process writing the journal, for reports."""
        versions = {"python": platform.python_version(),
                    **{name: _version(name) for name in ("layernas", "numpy")}}
        self._db.execute("INSERT OR REPLACE INTO meta VALUES ('versions', ?)",
                         (json.dumps(versions),))

    def record_planned(self, total: int | None) -> None:
        """At most how many trials the search will have, as its runner last estimated it
        (budget, or what the strategy has left): ``layernas show`` tells what remains."""
        self._db.execute("INSERT OR REPLACE INTO meta VALUES ('planned', ?)", (json.dumps(total),))

    def record_units(self, units: dict[str, str]) -> None:
        """The units of costs and rewards (``declared_units``), for ``layernas show``."""
        self._db.execute("INSERT OR REPLACE INTO meta VALUES ('units', ?)", (json.dumps(units),))

    def record_stopped(self, reason: str) -> None:
        """Why the search ended (its stop reason, or an interruption), for ``layernas show``;
        cleared when the search is opened again. A killed search leaves none."""
        self._db.execute("INSERT OR REPLACE INTO meta VALUES ('stopped', ?)", (reason,))

    # -- trials ---------------------------------------------------------------------------
    def started(self, number: int, arch: Arch, cost: float, attempt: int) -> None:
        key = arch_key(arch)
        earlier = self._numbers.get(key)
        if earlier is not None and earlier != number:  # a stored failure, retried elsewhere
            self._db.execute("DELETE FROM trials WHERE number=?", (earlier,))
            del self._rows[earlier]
        self._make_room(number, key)
        self._db.execute(
            "INSERT OR REPLACE INTO trials (number, arch, cost, status, attempts, started) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (number, key, cost, RUNNING, attempt, time.time()),
        )
        self._rows[number], self._numbers[key] = key, number

    def adopted(self, number: int, key: str) -> None:
        """A stored trial is trial ``number`` of this run: renumber its row if it moved."""
        earlier = self._numbers[key]
        if earlier == number:
            return
        self._make_room(number, key)
        self._db.execute("UPDATE trials SET number=? WHERE number=?", (number, earlier))
        del self._rows[earlier]
        self._rows[number], self._numbers[key] = key, number

    def _make_room(self, number: int, key: str) -> None:
        """Move away a finished row of another architecture that holds ``number`` (left by
        an earlier run that went another way after a failure it had is now retried): its
        result is kept, at the end."""
        other = self._rows.get(number)
        if other is None or other == key:
            return
        end = max(self._rows) + 1
        self._db.execute("UPDATE trials SET number=? WHERE number=?", (end, number))
        self._rows[end], self._numbers[other] = other, end
        del self._rows[number]

    def finished(self, trial: Trial) -> None:
        self._db.execute(
            "UPDATE trials SET reward=?, status=?, error=?, attempts=?, finished=?, duration=? "
            "WHERE number=?",
            (trial.reward, trial.status, trial.error, trial.attempts, time.time(),
             trial.duration, trial.number),
        )

    def snapshot(self, rows: list[KeptRow]) -> None:
        """Replace the stored strategy snapshot with ``rows``, atomically."""
        with self._db:  # one transaction: readers see the old snapshot or the new one
            self._db.execute("BEGIN")
            self._db.execute("DELETE FROM kept")
            self._db.executemany(
                "INSERT INTO kept VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (r.table, r.rank, r.round, *(r.bucket or (None, None)), r.cost, r.reward,
                     arch_key(r.arch))
                    for r in rows
                ],
            )

    def saved(self) -> int:
        """Finished trials the file holds."""
        return self._db.execute("SELECT COUNT(*) FROM trials WHERE status != ?",
                                (RUNNING,)).fetchone()[0]

    def close(self) -> None:
        db = self._db
        if db is not None:
            try:
                db.execute("DELETE FROM meta WHERE key='writer' AND value=?", (self._writer,))
            except sqlite3.Error:
                pass
            db.close()
            self._db = None
        self._lock.release()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection (the path as a file URI, so any character in it is safe)."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)


def _check_is_ours(path: Path) -> None:
    """Refuse a folder, a file that is not SQLite, and an SQLite database of something else
    (layernas never adds its tables to another program's database)."""
    if path.is_dir():
        raise LayerNASError(
            f"journal path {path} is a folder; give a file path, e.g. {path / 'search.sqlite'}"
        )
    if not path.is_file() or path.stat().st_size == 0:
        return
    try:
        db = _read_only(path)
        try:
            tables = sorted(name for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type='table'"))
            ours = "meta" in tables and db.execute(
                "SELECT 1 FROM meta WHERE key='fingerprint'").fetchone() is not None
        finally:
            db.close()
    except sqlite3.DatabaseError:
        raise LayerNASError(
            f"{path} is not a layernas journal (not an SQLite database); give a new journal path"
        ) from None
    if tables and not ours:
        raise LayerNASError(
            f"{path} is an SQLite database of something else (tables: {', '.join(tables)}); "
            "layernas does not write into it: give a new journal path"
        )


def _unwritable(path: Path, exc: Exception) -> LayerNASError:
    return LayerNASError(f"cannot write the journal {path} ({exc}); give a journal path in a "
                         "folder you can write")


def _writer_of(path: Path) -> str:
    """Who writes a locked journal, as its writer recorded it (pid, host, since when)."""
    try:
        db = _read_only(path)
        try:
            row = db.execute("SELECT value FROM meta WHERE key='writer'").fetchone()
        finally:
            db.close()
        writer = json.loads(row[0])
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(writer["since"]))
        return f"pid {writer['pid']} on host {writer['host']}, since {since}"
    except (sqlite3.Error, TypeError, KeyError, ValueError):
        return "a process that is still starting"


def _differences(stored: dict[str, Any], current: dict[str, Any], prefix: str = "") -> list[str]:
    """The settings that differ, as ``name: journal X, now Y`` (nested by ``a.b``)."""
    out = []
    missing = object()
    for key in sorted(stored.keys() | current.keys()):
        was, now = stored.get(key, missing), current.get(key, missing)
        if was == now:
            continue
        name = f"{prefix}{key}"
        if isinstance(was, dict) and isinstance(now, dict):
            out += _differences(was, now, f"{name}.")
            continue
        shown = ["(none)" if v is missing else json.dumps(v, default=repr) for v in (was, now)]
        out.append(name if max(map(len, shown)) > 60
                   else f"{name}: journal {shown[0]}, now {shown[1]}")
    return out


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


@dataclass
class JournalView:
    """Read-only contents of a journal, for ``layernas show`` and reports."""

    fingerprint: dict[str, Any]
    trials: list[JournalRow]
    kept: list[KeptRow]  # the strategy's latest snapshot; ``arch`` is its JSON text
    costs: dict[str, float]  # every cost the search computed, by architecture key
    meta: dict[str, str]  # also 'writer' (JSON pid, host, since) while a search writes it

    @property
    def planned(self) -> int | None:
        """At most how many trials the search will have (its runner's latest estimate)."""
        return json.loads(self.meta.get("planned", "null"))

    @property
    def units(self) -> dict[str, str]:
        """The units the cost and reward declared (``{"cost": "MAdds", "reward": "%"}``)."""
        return json.loads(self.meta.get("units", "{}"))

    @property
    def stopped(self) -> str | None:
        """Why the search ended; None while it runs, or when it was killed."""
        return self.meta.get("stopped")

    @property
    def cost_range(self) -> tuple[float, float]:
        """The target range in the cost's units."""
        resolved = self.meta.get("cost_range")
        lo, hi = json.loads(resolved) if resolved else self.fingerprint["cost_range"]
        return float(lo), float(hi)

    def best(self) -> JournalRow | None:
        return best_in_range(self.trials, self.cost_range)


def read_journal(path: str | os.PathLike[str]) -> JournalView:
    """Open a journal read-only (safe while a search is writing it)."""
    path = Path(path)
    if not path.is_file():
        raise LayerNASError(f"journal {path} does not exist; pass the path given to --journal")
    db = _read_only(path)
    try:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
        meta = dict(db.execute("SELECT key, value FROM meta")) if "meta" in tables else {}
        if "fingerprint" not in meta:
            raise LayerNASError(f"{path} is not a layernas journal (no fingerprint)")
        trials = [JournalRow(*row) for row in db.execute(
            f"SELECT {_ROW_COLUMNS} FROM trials ORDER BY number")]
        kept = [
            KeptRow(tbl, rank, arch, cost, reward, None if lo is None else (lo, hi), rnd)
            for tbl, rank, rnd, lo, hi, cost, reward, arch in (
                db.execute("SELECT * FROM kept ORDER BY tbl, rank") if "kept" in tables else []
            )
        ]
        costs = dict(db.execute("SELECT arch, cost FROM costs")) if "costs" in tables else {}
    except sqlite3.DatabaseError as exc:
        raise LayerNASError(f"{path} is not a readable layernas journal: {exc}") from None
    finally:
        db.close()
    return JournalView(json.loads(meta["fingerprint"]), trials, kept, costs, meta)
