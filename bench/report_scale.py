"""Report and dashboard at scale: a 20,000-trial journal, its HTML report, and a live dashboard.

    python bench/report_scale.py [--trials 20000] [--out DIR]

1. Builds a journal of ``--trials`` trials with a real LayerNAS search on the NATS-sss CIFAR-10
   table (H=500, K=10 over the whole cost range, so the search is not done before the budget).
2. Writes its report and prints the file size and the time to write it.
3. Opens the report in headless Chromium (Debian's /usr/bin/chromium) and prints the render
   time: from navigation start until every chart is drawn (``window.layernasRendered``).
4. Runs the same search into a fresh journal twice, alone and with ``layernas dashboard``
   open in Chromium, and prints the search's trials/s both ways, and the dashboard's
   ``api/page`` answer times (polled every 0.5 s by this script) while the search ran.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import plotly.graph_objects as go

from layernas.report.data import Units
from layernas.report.page import Rendered, html_page, write_report

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]

SEARCH = """
import sys
import layernas as ln
bench = ln.benchmarks.load("nats-sss", dataset="cifar10")
result = ln.search(bench.space, reward=bench.reward, cost=bench.cost,
                   cost_range=(0, bench.max_cost), strategy=ln.LayerNAS(buckets=500, keep=10),
                   budget=int(sys.argv[2]), seed=0, journal=sys.argv[1], progress=False)
print(result.trained)
"""


def run_search(journal: Path, trials: int) -> float:
    """Run the search in a subprocess; its trials per second."""
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", SEARCH, str(journal), str(trials)],
                         check=True, capture_output=True, text=True).stdout
    seconds = time.perf_counter() - start
    assert int(out) == trials, f"the search trained {out.strip()}, not {trials}"
    return trials / seconds


def render_seconds(browser, url: str) -> float:
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url, timeout=120_000)
    page.wait_for_function("window.layernasRendered !== undefined", timeout=120_000)
    seconds = page.evaluate("window.layernasRendered") / 1000
    page.close()
    assert not errors, errors
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20_000)
    parser.add_argument("--out", type=Path, default=Path(tempfile.mkdtemp(prefix="report-scale-")))
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    journal = out / "scale.sqlite"
    journal.unlink(missing_ok=True)
    rate_alone = run_search(journal, args.trials)
    print(f"search alone: {args.trials} trials, {rate_alone:,.0f} trials/s")

    start = time.perf_counter()
    html = write_report(journal, out / "scale.html", Units("MFLOPs", "accuracy %"))
    print(f"report: {html.stat().st_size / 1e6:.2f} MB written in "
          f"{time.perf_counter() - start:.2f} s ({html})")

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        renders = [render_seconds(browser, html.as_uri()) for _ in range(3)]
        print("browser render (navigation start to every chart drawn): "
              + ", ".join(f"{s:.2f}" for s in renders) + f" s; load average {os.getloadavg()[0]:.1f}")
        floor = out / "floor.html"  # plotly.js and one two-point chart: what any report costs
        floor.write_text(html_page(Rendered("study", "floor", {}, {
            "study-anytime": go.Figure(go.Scatter(x=[1, 2], y=[1, 2])).to_json()})))
        print("the same for a page of plotly.js and one two-point chart: "
              + ", ".join(f"{render_seconds(browser, floor.as_uri()):.2f}" for _ in range(3)) + " s")

        rates = {}
        for name in ("alone", "dashboard"):
            live = out / f"live-{name}.sqlite"
            live.unlink(missing_ok=True)
            run_search(live, 10)  # creates the journal; the timed run resumes it
            if name == "alone":
                rates[name] = run_search(live, args.trials)
                continue
            server = subprocess.Popen([sys.executable, "-m", "layernas.cli", "dashboard",
                                       str(live), "--port", "0"], stdout=subprocess.PIPE, text=True)
            try:
                url = server.stdout.readline().split(" at ")[1].split()[0]
                page = browser.new_page(viewport={"width": 1300, "height": 900})
                page.goto(url)
                page.wait_for_function("window.layernasRendered !== undefined")
                searching = subprocess.Popen([sys.executable, "-c", SEARCH, str(live),
                                              str(args.trials)], stdout=subprocess.PIPE, text=True)
                start, answers = time.perf_counter(), []
                while searching.poll() is None:
                    asked = time.perf_counter()
                    with urllib.request.urlopen(url + "api/page", timeout=60) as answer:
                        answer.read()
                    answers.append(time.perf_counter() - asked)
                    time.sleep(0.5)
                rates[name] = args.trials / (time.perf_counter() - start)
                assert int(searching.stdout.read()) == args.trials
                page.wait_for_function(
                    f"document.getElementById('trial-count').textContent === '{args.trials}'",
                    timeout=60_000)
                page.close()
            finally:
                server.terminate()
                server.wait()
        rate_live = rates["dashboard"]
        print(f"search resumed to {args.trials} trials alone: {rates['alone']:,.0f} trials/s")
        print(f"search with the dashboard open in Chromium: {rate_live:,.0f} trials/s "
              f"({rate_live / rates['alone']:.0%} of alone); the page then showed all "
              f"{args.trials} trials")
        if answers:
            print(f"dashboard api/page answers while searching: {len(answers)}, median "
                  f"{statistics.median(answers) * 1000:.0f} ms, max {max(answers) * 1000:.0f} ms")
        browser.close()


if __name__ == "__main__":
    main()
