"""`layernas report`: the HTML report of a real search and of a real study, opened in headless
Chromium (Debian's package; the tests fail without it)."""

from __future__ import annotations

import base64
import json
import platform
import re
import sqlite3
from importlib.metadata import version

import numpy as np
import pytest
from click.testing import CliRunner

import layernas as ln
from layernas.cli import main
from layernas.journal import read_journal
from layernas.report.data import Units, pareto_front, search_data, strategy_name

pytestmark = pytest.mark.data

LAYER_FAILS = 24  # channels2 = 24 makes the reward raise: real failures with their error text


class FlakyTable:
    """The NATS-sss CIFAR-10 reward, raising for one option of one layer."""

    units = "accuracy %"  # the journal records units for reports

    def __init__(self, bench):
        self.bench = bench

    def __call__(self, arch):
        if arch[1] == LAYER_FAILS:
            raise RuntimeError(f"out of memory training {arch} (injected)")
        return self.bench.reward(arch)


@pytest.fixture(scope="module")
def searched(tmp_path_factory):
    """A LayerNAS search on the real NATS-sss table with a journal, some trials failing."""
    bench = ln.benchmarks.load("nats-sss", dataset="cifar10")
    journal = tmp_path_factory.mktemp("search") / "nats.sqlite"
    def flops(arch):
        return bench.cost(arch)

    flops.units = "MFLOPs"
    result = ln.search(bench.space, reward=FlakyTable(bench), cost=flops,
                       cost_range=(0, 0.5 * bench.max_cost), strategy=ln.LayerNAS(buckets=5),
                       budget=300, seed=0, journal=str(journal), progress=False)
    return journal, result


def report(path, out, *extra):
    result = CliRunner().invoke(main, ["report", str(path), "-o", str(out), *extra])
    assert result.exit_code == 0, result.output
    return out


def typed(array):
    """A plotly typed array ({dtype, bdata, shape}) of a figure's JSON as numpy."""
    values = np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"])
    shape = array.get("shape")
    return values.reshape([int(n) for n in str(shape).split(",")]) if shape else values


def embedded(tab):
    return json.loads(tab.page.locator("#page-parts").text_content())


def test_search_data_matches_the_journal(searched):
    journal, result = searched
    data = search_data(journal)
    view = read_journal(journal)
    assert data["bound"] == result.bound and len(data["trials"]["number"]) == result.trained
    assert data["best"]["number"] == result.best.number and data["best"]["reward"] == result.best.reward
    assert data["counts"]["failed"] == len(result.failed) > 0
    assert data["units"] == {"cost": "MFLOPs", "reward": "accuracy %"}
    assert search_data(journal, Units(cost="GFLOPs"))["units"]["cost"] == "GFLOPs"  # overridden
    assert dict(data["settings"])["versions (of the last process that wrote the journal)"] == (
        f"python {platform.python_version()}, layernas {version('layernas')}, "
        f"numpy {np.__version__}")
    assert dict(data["settings"])["ended"] == result.stop_reason
    assert all("injected" in f["error"] for f in data["failures"])
    # the Pareto front, against a brute-force check of every ok trial
    ok = [t for t in view.trials if t.status == "ok"]
    dominated = {t.number for t in ok for u in ok
                 if (u.cost, -u.reward) < (t.cost, -t.reward) and u.reward >= t.reward}
    assert pareto_front(view.trials) == [t.number for t in sorted(ok, key=lambda t: t.cost)
                                         if t.number not in dominated]
    # anytime: the steps of the best in-range reward so far, rising to the winner's
    steps = data["anytime"]
    assert steps["best"][-1] == result.best.reward and steps["total"] == result.trained
    assert steps["best"] == sorted(steps["best"]) and steps["trained"] == sorted(steps["trained"])
    finished = [t for t in view.trials if t.status != "running"]
    for n, best in zip(steps["trained"], steps["best"]):
        assert best == max(t.reward for t in finished[:n] if t.status == "ok"
                           and data["cost_range"][0] <= t.cost <= data["cost_range"][1])
    # every memorial row of layers 1..4 that LayerNAS kept was expanded in the next layer
    # (children of an arch with channels2 = 24 fail, but are trained trials all the same)
    tables = data["kept"]
    assert [k["layer"] for k in tables] == [f"channels{i}" for i in range(1, 6)]
    assert all(c > 0 for k in tables[:-1] for c in k["children"])
    assert all(c == 0 for c in tables[-1]["children"])
    assert len(view.kept) == sum(len(k["rank"]) for k in tables)


@pytest.mark.slow
def test_search_report_in_browser(searched, tmp_path, tab):
    journal, result = searched
    out = report(journal, tmp_path / "search.html")  # units as the journal recorded them
    page_html = out.read_text()
    assert not re.search(r"<script[^>]+src=", page_html)  # plotly.js inlined, nothing fetched
    tab.page.goto(out.as_uri())
    tab.page.wait_for_function("document.querySelectorAll('.chart .main-svg').length >= 3")
    charts = {c["id"]: c for c in tab.charts()}
    assert set(charts) == {"cost-reward", "anytime", "kept"}
    for chart in charts.values():
        assert chart["visible"] and chart["svg"] > 0 and chart["traces"] > 0, chart
        assert chart["points"] > 0, chart
    legend = charts["cost-reward"]["legend"]
    assert f"winner #{result.best.number}" in legend
    assert f"failed, no reward ({len(result.failed)})" in legend
    assert any(name.startswith("Pareto front") for name in legend)
    assert tab.page.locator("#trial-count").text_content() == str(result.trained)
    assert tab.page.locator("table.failures tbody tr").count() == len(result.failed)
    assert "injected" in tab.page.locator("table.failures").text_content()
    settings = tab.page.locator("table.settings").text_content()
    assert '"buckets": 5' in settings and "layer channels1" in settings
    axes = tab.page.locator("#cost-reward .xtitle").text_content()
    assert axes == "cost (MFLOPs)"
    # the plotted points are the journal's: cost and reward of every ok trial
    traces = embedded(tab)["figures"]["cost-reward"]["data"][:2]
    plotted = [(x, y, int(c[0])) for trace in traces
               for x, y, c in zip(typed(trace["x"]), typed(trace["y"]), typed(trace["customdata"]))]
    assert sorted(plotted) == sorted((t.cost, t.reward, t.number) for t in result.trials if t.ok)
    tab.shot(tmp_path / "search.png", keep="search-report.png")
    assert tab.errors == []


@pytest.mark.slow
def test_study_report_in_browser(tmp_path, tab):
    out_dir = tmp_path / "study"
    out = tmp_path / "study.html"
    ran = CliRunner().invoke(main, ["study", "--runs", "3", "--budget", "30", "--workers", "1",
                                    "--out", str(out_dir), "--no-progress", "--report", str(out)])
    assert ran.exit_code == 0, ran.output
    assert f"report: {out}" in ran.output
    tab.page.goto(out.as_uri())
    tab.page.wait_for_function("document.querySelectorAll('.chart .main-svg').length >= 2")
    charts = {c["id"]: c for c in tab.charts()}
    assert set(charts) == {"study-anytime", "study-regret"}
    summary = json.loads((out_dir / "summary.json").read_text())
    names = [strategy_name(s["config"]) for s in summary["strategies"].values()]
    assert {"LayerNAS H=100", "random", "evolution", "REINFORCE", "PPO"} <= set(names)
    assert charts["study-anytime"]["legend"] == names
    assert charts["study-anytime"]["traces"] == 3 * len(names)  # band low, band high, median
    assert charts["study-regret"]["traces"] == len(names) and charts["study-regret"]["points"] > 0
    rows = tab.page.locator("table.summary tbody tr")
    assert rows.count() == len(names)
    assert rows.nth(0).locator("td").nth(3).text_content() == (
        f"{summary['strategies']['layernas']['p_oracle']:.2f}")
    assert "MFLOPs" in tab.page.locator("table.settings").text_content()
    # the median at the budget is the summary's final regret median (oracle - regret)
    median = embedded(tab)["figures"]["study-anytime"]["data"][2]["y"][-1]
    stats = summary["strategies"]["layernas"]["regret"]
    assert median == pytest.approx(summary["oracle"]["final"] - stats["median"])
    tab.shot(tmp_path / "study.png", keep="study-report.png")
    assert tab.errors == []


def test_report_errors(tmp_path):
    missing = CliRunner().invoke(main, ["report", str(tmp_path / "nope.sqlite")])
    assert missing.exit_code != 0 and "does not exist" in missing.output
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE x (y)").connection.close()
    bad = CliRunner().invoke(main, ["report", str(other), "-o", str(tmp_path / "r.html")])
    assert bad.exit_code != 0 and "is not a layernas journal" in bad.output
    empty = CliRunner().invoke(main, ["report", str(tmp_path), "-o", str(tmp_path / "r.html")])
    assert empty.exit_code != 0 and "is not a study directory" in empty.output



def test_search_says_where_the_report_is(tmp_path, burger_config):
    config = burger_config()
    said = CliRunner().invoke(main, ["search", str(config), "--no-progress"])
    assert said.exit_code == 0, said.output
    journal = tmp_path / "burger.sqlite"
    assert f"report: layernas report {journal} -o report.html" in said.output
    html = tmp_path / "burger.html"
    wrote = CliRunner().invoke(main, ["search", str(config), "--no-progress", "--report", str(html)])
    assert wrote.exit_code == 0 and f"report: {html}" in wrote.output, wrote.output
    assert "winner #" in html.read_text()
    config = burger_config(replace={'journal = "burger.sqlite"': ""})
    refused = CliRunner().invoke(main, ["search", str(config), "--report", str(html)])
    assert refused.exit_code != 0 and "--report needs a journal" in refused.output
