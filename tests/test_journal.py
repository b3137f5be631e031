"""The journal owns its file: one writer at a time (a killed one never blocks a resume), the
fingerprint checked before anything is written, and files that are not journals left alone."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from synthetic import additive, summary

import layernas as ln
from layernas.cli import main
from layernas.journal import read_journal

TESTS = Path(__file__).parent

WRITER = """
import sys
sys.path.insert(0, {tests!r})
from synthetic import Table, additive
import layernas as ln
space, cost, reward, cost_range = additive(9, layers=5, options=4)
ln.search(space, Table(reward.values, sleep={sleep}), cost, cost_range,
          strategy=ln.LayerNAS(buckets=6), seed=0, journal={journal!r}, progress=False)
"""


def finished(journal: Path) -> int:
    try:
        with sqlite3.connect(journal) as db:
            return db.execute("SELECT COUNT(*) FROM trials WHERE status='ok'").fetchone()[0]
    except sqlite3.Error:
        return 0


def start_writer(tmp_path: Path, journal: Path, sleep: float) -> subprocess.Popen:
    script = tmp_path / "writer.py"
    script.write_text(WRITER.format(tests=str(TESTS), journal=str(journal), sleep=sleep))
    proc = subprocess.Popen([sys.executable, str(script)])
    deadline = time.time() + 60
    while finished(journal) < 3 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None and finished(journal) >= 3, "the writer did not get going"
    return proc


@pytest.mark.slow
def test_a_second_search_on_a_live_journal_is_refused_and_a_killed_one_does_not_block(tmp_path):
    journal = tmp_path / "j.sqlite"
    space, cost, reward, cost_range = additive(9, layers=5, options=4)
    writer = start_writer(tmp_path, journal, sleep=0.05)
    try:
        calls = []
        start = time.perf_counter()
        with pytest.raises(ln.LayerNASError) as refused:
            ln.search(space, lambda a: calls.append(a) or reward(a), cost, cost_range,
                      strategy=ln.LayerNAS(buckets=6), seed=0, journal=str(journal),
                      progress=False)
        assert time.perf_counter() - start < 5, "refused at once, not after waiting"
        assert not calls
        message = str(refused.value)
        assert f"being written by another search (pid {writer.pid} on host " \
               f"{socket.gethostname()}" in message, message
        assert "another journal path" in message
        before = finished(journal)
        time.sleep(0.3)
        assert finished(journal) > before, "the refused search disturbed the running one"
    finally:
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
    # the killed writer's lock (file and row) is left behind; a resume is not blocked by it
    assert Path(f"{journal}.lock").exists()
    resumed = ln.search(space, reward, cost, cost_range, strategy=ln.LayerNAS(buckets=6), seed=0,
                        journal=str(journal), progress=False)
    clean = ln.search(space, reward, cost, cost_range, strategy=ln.LayerNAS(buckets=6), seed=0,
                      progress=False)
    assert summary(resumed) == summary(clean)
    assert 0 < resumed.from_journal < resumed.trained


@pytest.mark.slow
def test_the_cli_refuses_a_journal_another_search_writes(tmp_path, burger_config):
    journal = tmp_path / "j.sqlite"
    writer = start_writer(tmp_path, journal, sleep=0.05)
    try:
        config = burger_config(journal=str(journal))
        out = CliRunner().invoke(main, ["search", str(config), "--no-progress"])
    finally:
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
    assert out.exit_code == 1
    assert f"being written by another search (pid {writer.pid}" in out.output, out.output


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_refused_journal_is_left_as_it_was(tmp_path):
    space, cost, reward, cost_range = additive(4, layers=3, options=3)
    journal = tmp_path / "j.sqlite"
    ln.search(space, reward, cost, cost_range, seed=1, journal=str(journal), progress=False)
    before = digest(journal)
    other_cost = lambda a: cost(a) + 1  # noqa: E731 - another cost function
    with pytest.raises(ln.LayerNASError, match=r"differs in: cost: journal \[21.0, 22.0, 21.0\], now "
                                                r"\[22.0, 23.0, 22.0\]; seed: journal 1, now 2\)"):
        ln.search(space, reward, other_cost, cost_range, seed=2, journal=str(journal),
                  progress=False)
    assert digest(journal) == before, "costs of the other search were written into the journal"


def test_a_foreign_sqlite_database_is_never_written(tmp_path):
    path = tmp_path / "inventory.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE items (name TEXT)")
        db.execute("INSERT INTO items VALUES ('bolt')")
    db.close()
    before = digest(path)
    space, cost, reward, cost_range = additive(4, layers=3, options=3)
    with pytest.raises(ln.LayerNASError,
                       match=r"^.*inventory.db is an SQLite database of something else "
                             r"\(tables: items\); layernas does not write into it: give a new "
                             r"journal path$"):
        ln.search(space, reward, cost, cost_range, journal=path, progress=False)
    assert digest(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inventory.db"]


@pytest.mark.parametrize("make, message", [
    (lambda p: p.mkdir(), r"journal path .*j.sqlite is a folder; give a file path, e.g. "),
    (lambda p: p.write_text("not a database, just text\n" * 100),
     r"j.sqlite is not a layernas journal \(not an SQLite database\)"),
])
def test_journal_paths_that_are_not_journals(tmp_path, make, message):
    path = tmp_path / "j.sqlite"
    make(path)
    space, cost, reward, cost_range = additive(4, layers=3, options=3)
    with pytest.raises(ln.LayerNASError, match=message):
        ln.search(space, reward, cost, cost_range, journal=str(path), progress=False)


def test_the_cli_says_a_journal_path_is_a_folder(tmp_path, burger_config):
    (tmp_path / "runs").mkdir()
    config = burger_config(journal="runs")
    out = CliRunner().invoke(main, ["search", str(config), "--no-progress"])
    assert out.exit_code == 1
    assert out.output.count("\n") == 1 and "is a folder; give a file path" in out.output


class Trainer:
    """A training reward that declares the settings its values depend on."""

    def __init__(self, reward, epochs, lr=0.1):
        self.reward, self.epochs, self.lr = reward, epochs, lr

    @property
    def identity(self):
        return {"epochs": self.epochs, "lr": self.lr}

    def __call__(self, arch):
        return self.reward(arch) * self.epochs


def test_a_journal_of_other_training_settings_is_refused_naming_the_setting(tmp_path):
    space, cost, reward, cost_range = additive(4, layers=3, options=3)
    journal = str(tmp_path / "j.sqlite")
    ln.search(space, Trainer(reward, 4), cost, cost_range, journal=journal, progress=False)
    with pytest.raises(ln.LayerNASError, match=r"differs in: reward.epochs: journal 4, now 1\)"):
        ln.search(space, Trainer(reward, 1), cost, cost_range, journal=journal, progress=False)
    again = ln.search(space, Trainer(reward, 4), cost, cost_range, journal=journal,
                      progress=False)
    assert again.trained_now == 0


@pytest.mark.torch
def test_the_torch_reward_declares_its_training_settings(tmp_path):
    from layernas.torch.reward import TrainingReward
    from layernas.torch.train import TrainSettings

    four = TrainingReward(settings=TrainSettings(epochs=4)).identity
    one = TrainingReward(settings=TrainSettings(epochs=1, threads=4)).identity
    assert four["epochs"] == 4 and four["dataset"] == "digits" and four["lr"] == 0.01
    assert {k for k in four if four[k] != one[k]} == {"epochs"}, "threads must not matter"


def test_journals_in_odd_places(tmp_path, monkeypatch, burger_config):
    """Folders with spaces, '#', '?' and '%' in their names, not yet made, or under ~."""
    space, cost, reward, cost_range = additive(4, layers=3, options=3)
    odd = tmp_path / "runs #1 ?50% done" / "new folder" / "j.sqlite"
    first = ln.search(space, reward, cost, cost_range, journal=odd, progress=False)
    again = ln.search(space, reward, cost, cost_range, journal=str(odd), progress=False)
    assert again.trained_now == 0 and summary(again) == summary(first)
    assert read_journal(odd).best().number == first.best.number
    shown = CliRunner().invoke(main, ["show", str(odd)])
    assert shown.exit_code == 0 and "best in range: #" in shown.output
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    config = burger_config(journal="~/runs/burger.sqlite")
    out = CliRunner().invoke(main, ["search", str(config), "--no-progress"])
    assert out.exit_code == 0, out.output
    assert (tmp_path / "home" / "runs" / "burger.sqlite").is_file()


def test_a_journal_under_a_file_is_a_one_line_error(tmp_path):
    (tmp_path / "notes.txt").write_text("a file, not a folder\n")
    space, cost, reward, cost_range = additive(4, layers=3, options=3)
    with pytest.raises(ln.LayerNASError,
                       match=r"^cannot write the journal .*notes.txt/j.sqlite \(.*\); give a "
                             r"journal path in a folder you can write$"):
        ln.search(space, reward, cost, cost_range, journal=tmp_path / "notes.txt" / "j.sqlite",
                  progress=False)


DIGITS = """
[space]
factory = "layernas.torch.problem:TrainingProblem"
args = {{ space = "mobilenet_v2", dataset = "digits", epochs = {epochs}, final_epochs = 1 }}
[search]
max_cost_fraction = 0.5
budget = 1
journal = "j.sqlite"
[strategy]
name = "layernas"
buckets = 2
"""


@pytest.mark.torch
@pytest.mark.slow
def test_a_digits_journal_refuses_other_training_epochs(tmp_path):
    config = tmp_path / "digits.toml"
    config.write_text(DIGITS.format(epochs=1))
    first = CliRunner().invoke(main, ["search", str(config), "--no-progress"])
    assert first.exit_code == 0, first.output
    config.write_text(DIGITS.format(epochs=2))
    refused = CliRunner().invoke(main, ["search", str(config), "--no-progress"])
    assert refused.exit_code == 1
    assert "differs in: reward.epochs: journal 1, now 2)" in refused.output, refused.output


def test_a_journal_of_an_earlier_format_says_so(tmp_path):
    space, cost, reward, cost_range = additive(4, layers=3, options=3)
    journal = tmp_path / "j.sqlite"
    ln.search(space, reward, cost, cost_range, journal=journal, progress=False)
    with sqlite3.connect(journal) as db:  # as written before: no format, cost on other archs
        db.execute("DELETE FROM meta WHERE key='format'")
        fp = json.loads(db.execute("SELECT value FROM meta WHERE key='fingerprint'").fetchone()[0])
        fp["cost"] = [1.0, 2.0, 3.0]
        db.execute("UPDATE meta SET value=? WHERE key='fingerprint'", (json.dumps(fp),))
    db.close()
    with pytest.raises(ln.LayerNASError, match="written by an earlier layernas.*that version"):
        ln.search(space, reward, cost, cost_range, journal=journal, progress=False)
