"""`layernas dashboard`: a live page of a search that is writing its journal, watched in
headless Chromium while `layernas search` runs in another process."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from layernas.cli import main
from layernas.errors import LayerNASError
from layernas.journal import read_journal

pytestmark = pytest.mark.data

SLOW = '''
import time
import layernas as ln

BENCH = ln.benchmarks.load("nats-sss", dataset="cifar10")

def space():
    return BENCH.space

def cost(arch):
    return BENCH.cost(arch)

def reward(arch):
    time.sleep(0.2)  # a slow training
    return BENCH.reward(arch)
'''

CONFIG = '''
[space]
factory = "slow:space"

[search]
cost = "slow:cost"
reward = "slow:reward"
max_cost_fraction = 0.5
budget = 70
journal = "run.sqlite"

[strategy]
name = "layernas"
buckets = 5
'''


def finished(journal) -> int:
    return sum(t.status != "running" for t in read_journal(journal).trials)


def wait_for(condition, seconds: float, what: str):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            if condition():
                return
        except LayerNASError:  # the journal is being created
            pass
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def start(args, cwd):
    return subprocess.Popen([sys.executable, "-m", "layernas.cli", *args], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def stop(process):
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=20)


@pytest.mark.slow
def test_dashboard_follows_a_running_search(tmp_path, tab):
    (tmp_path / "slow.py").write_text(SLOW)
    (tmp_path / "search.toml").write_text(CONFIG)
    journal = tmp_path / "run.sqlite"
    search = start(["search", "search.toml", "--no-progress"], tmp_path)
    dashboard = None
    try:
        wait_for(lambda: finished(journal) >= 1, 60, "the search's first trial")
        dashboard = start(["dashboard", str(journal), "--port", "0"], tmp_path)
        line = dashboard.stdout.readline()
        assert "http://127.0.0.1:" in line and "read-only" in line, line
        url = line.split(" at ")[1].split()[0]
        tab.page.goto(url)
        tab.page.wait_for_selector("#cost-reward .main-svg")
        first = int(tab.page.locator("#trial-count").text_content())
        # new trials appear without a reload (the page polls every 2 s)
        tab.page.wait_for_function(
            f"Number(document.getElementById('trial-count').textContent) > {first}",
            timeout=60_000)
        tab.shot(tmp_path / "live.png", keep="dashboard-live.png")
        assert search.wait(timeout=120) == 0, search.stdout.read()
        total = finished(journal)
        assert total > first
        tab.page.wait_for_function(
            f"document.getElementById('trial-count').textContent === '{total}'", timeout=60_000)
        charts = {c["id"]: c for c in tab.charts()}
        for name in ("cost-reward", "anytime", "kept"):
            assert charts[name]["visible"] and charts[name]["traces"] > 0, charts[name]
        best = read_journal(journal).best()
        assert f"winner #{best.number}" in charts["cost-reward"]["legend"]
        tab.shot(tmp_path / "done.png", keep="dashboard-done.png")
        assert tab.errors == []
    finally:
        stop(search)
        if dashboard is not None:
            stop(dashboard)


def test_dashboard_errors(tmp_path):
    missing = CliRunner().invoke(main, ["dashboard", str(tmp_path / "nope.sqlite")])
    assert missing.exit_code != 0 and "does not exist" in missing.output
    (tmp_path / "notes.txt").write_text("not a database")
    foreign = CliRunner().invoke(main, ["dashboard", str(tmp_path / "notes.txt")])
    assert foreign.exit_code != 0 and "is not a readable layernas journal" in foreign.output


def test_dashboard_port_in_use(tmp_path):
    config = tmp_path / "search.toml"
    (tmp_path / "slow.py").write_text(SLOW.replace("time.sleep(0.2)", "pass"))
    config.write_text(CONFIG.replace("budget = 70", "budget = 3"))
    ran = CliRunner().invoke(main, ["search", str(config), "--no-progress"])
    assert ran.exit_code == 0, ran.output
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = CliRunner().invoke(main, ["dashboard", str(tmp_path / "run.sqlite"),
                                         "--port", str(port)])
    assert busy.exit_code != 0 and f"port {port} on 127.0.0.1 is in use" in busy.output
