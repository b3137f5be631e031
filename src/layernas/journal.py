"""The trial journal: an SQLite file (WAL) with one row per trial, written as trials change.

It owns durability and resume: the search's fingerprint (space, cost range, strategy,
seed, cost and reward functions) is stored once and a journal of another search is
refused; every trial is written when it starts and again when it ends, so after a
crash the completed trials are read back and not trained again. Every cost the search
computes (candidates, rejected ones, reachable-range probes) is stored as it is computed,
so a resumed search reuses it: measured latencies are taken once per architecture and a
resume sees the same costs as the interrupted run. The strategy's snapshot (LayerNAS:
its memorial tables) is stored whole, replacing the previous one, whenever it changes.
Readers (``layernas show``) may open the
file while a search is writing it.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from layernas.errors import LayerNASError
from layernas.space import Arch, arch_key
from layernas.strategies.base import KeptRow
from layernas.trial import Trial

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


@dataclass(frozen=True)
class JournalRow:
    """A trial as stored, with the architecture as its JSON text."""

    number: int
    arch: str
    cost: float
    reward: float | None
    status: str
    error: str | None
    attempts: int
    duration: float | None


class Journal:
    """Append-style writer used by the runner."""

    def __init__(self, path: str | Path, fingerprint: dict[str, Any]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._check_fingerprint(fingerprint)

    def _check_fingerprint(self, fingerprint: dict[str, Any]) -> None:
        text = json.dumps(fingerprint, sort_keys=True, default=repr)
        row = self._db.execute("SELECT value FROM meta WHERE key='fingerprint'").fetchone()
        if row is None:
            self._db.execute("INSERT INTO meta VALUES ('fingerprint', ?)", (text,))
            self._db.execute("INSERT INTO meta VALUES ('created', ?)", (str(time.time()),))
            return
        stored = json.loads(row[0])
        current = json.loads(text)
        differ = sorted(k for k in stored.keys() | current.keys() if stored.get(k) != current.get(k))
        if differ:
            hint = (
                " (a cost function whose values are measured, not computed, must declare an "
                "'identity' string so that a resume recognises it; see layernas.problem)"
                if differ == ["cost"] and not isinstance(current["cost"], str) else ""
            )
            raise LayerNASError(
                f"journal {self.path} belongs to a different search (it differs in: "
                f"{', '.join(differ)}); resume with the original settings or use a new journal "
                f"path{hint}"
            )

    def add_cost(self, arch: Arch, cost: float) -> None:
        """Store a newly computed cost (the first value stored for an architecture wins)."""
        self._db.execute("INSERT OR IGNORE INTO costs VALUES (?, ?)", (arch_key(arch), cost))

    def add_costs(self, costs: dict[Arch, float]) -> None:
        """Store costs computed before the journal was opened."""
        self._db.executemany(
            "INSERT OR IGNORE INTO costs VALUES (?, ?)",
            [(arch_key(arch), cost) for arch, cost in costs.items()],
        )

    def completed(self) -> dict[str, Trial]:
        """Finished trials (ok or failed) by architecture key, to be reused on resume."""
        rows = self._db.execute(
            "SELECT number, arch, cost, reward, status, error, duration, attempts FROM trials "
            "WHERE status != ?",
            (RUNNING,),
        ).fetchall()
        return {
            arch: Trial(number, (), cost, reward, status, error, duration or 0.0, attempts)
            for number, arch, cost, reward, status, error, duration, attempts in rows
        }

    def started(self, number: int, arch: Arch, cost: float, attempts: int) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO trials (number, arch, cost, status, attempts, started) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (number, arch_key(arch), cost, RUNNING, attempts, time.time()),
        )

    def finished(self, trial: Trial) -> None:
        self._db.execute(
            "UPDATE trials SET reward=?, status=?, error=?, attempts=?, finished=?, duration=? "
            "WHERE number=?",
            (
                trial.reward,
                trial.status,
                trial.error,
                trial.attempts,
                time.time(),
                trial.duration,
                trial.number,
            ),
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

    def close(self) -> None:
        self._db.close()


@dataclass
class JournalView:
    """Read-only contents of a journal, for ``layernas show``."""

    fingerprint: dict[str, Any]
    trials: list[JournalRow]
    kept: list[KeptRow]  # the strategy's latest snapshot; ``arch`` is its JSON text

    @property
    def cost_range(self) -> tuple[float, float]:
        lo, hi = self.fingerprint["cost_range"]
        return float(lo), float(hi)

    def best(self) -> JournalRow | None:
        lo, hi = self.cost_range
        ok = [t for t in self.trials if t.status == "ok" and lo <= t.cost <= hi]
        return max(ok, key=lambda t: (t.reward, -t.number), default=None)


def read_costs(path: str | Path) -> dict[str, float]:
    """The costs a journal holds (architecture key -> cost); empty when there is no file.

    Read before the fingerprint is checked, so the caller must still open the journal
    with :class:`Journal` before trusting a search's outcome.
    """
    path = Path(path)
    if not path.is_file():
        return {}
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
        if "costs" not in tables:  # written before journals stored costs: nothing to reuse
            return {}
        return dict(db.execute("SELECT arch, cost FROM costs").fetchall())
    except sqlite3.DatabaseError as exc:
        raise LayerNASError(f"{path} is not a readable layernas journal: {exc}") from None
    finally:
        db.close()


def read_journal(path: str | Path) -> JournalView:
    """Open a journal read-only (safe while a search is writing it)."""
    path = Path(path)
    if not path.is_file():
        raise LayerNASError(f"journal {path} does not exist; pass the path given to --journal")
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        if "fingerprint" not in meta:
            raise LayerNASError(f"{path} is not a layernas journal (no fingerprint)")
        trials = [
            JournalRow(*row)
            for row in db.execute(
                "SELECT number, arch, cost, reward, status, error, attempts, duration "
                "FROM trials ORDER BY number"
            )
        ]
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
        kept = [
            KeptRow(tbl, rank, arch, cost, reward, None if lo is None else (lo, hi), rnd)
            for tbl, rank, rnd, lo, hi, cost, reward, arch in (
                db.execute("SELECT * FROM kept ORDER BY tbl, rank") if "kept" in tables else []
            )
        ]
    except sqlite3.DatabaseError as exc:
        raise LayerNASError(f"{path} is not a readable layernas journal: {exc}") from None
    finally:
        db.close()
    return JournalView(json.loads(meta["fingerprint"]), trials, kept)
