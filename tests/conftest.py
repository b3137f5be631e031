"""Shared test set-up. Tests never import each other; what several need lives here or in
the helper modules beside this file (importable because pytest puts this folder on the path):

- ``synthetic.py``: random additive problems, brute force, and ``summary`` (what two runs of
  one search must agree on);
- ``faulty.py``: rewards that raise, hang, kill their worker or "crash" the driver;
- ``oracles.py``: the true optima of the real benchmark tables;
- ``optuna_search.py``, ``ray_tune_search.py``: an Optuna study and a Ray Tune experiment
  searching NATS-Bench with the integrations (also run as killed or parallel processes).

Markers (registered in pyproject.toml): ``torch``, ``ray``, ``optuna``, ``data`` and ``slow``
(seconds each); ``pytest -m "not slow and not ray and not torch"`` runs the fast core.

Tests marked ``data`` read the public benchmark files through the same lookup as users
(``data_dir``, ``LAYERNAS_DATA``, the cache, else a download checked against pinned sha256).
Before any of them runs, every file is found or downloaded once; when that is impossible (no
data and no network) the session stops with one line saying what to set, not one error per test.

Browser tests get ``tab``: a page of headless Debian chromium (``chromium``, session-wide, driven
by playwright; without /usr/bin/chromium they fail).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from layernas.benchmarks import DATA_FILES, fetch_all
from layernas.benchmarks.data import ENV_VAR, cache_dir
from layernas.errors import LayerNASError

TESTS = Path(__file__).parent
EXAMPLES = TESTS.parent / "examples"

BURGER = """
[space]
layers = [
  { name = "bun", options = ["lettuce wrap", "plain bun", "sesame bun", "brioche"] },
  { name = "patty", options = ["veggie", "chicken", "beef", "wagyu"], default = "veggie" },
  { name = "topping", options = ["no topping", "cheese", "bacon", "avocado"], default = "no topping" },
]

[search]
cost = "burger:price"
reward = "burger:taste"
cost_range = [7, 9]
journal = "JOURNAL"

[strategy]
name = "layernas"
buckets = 4
"""


@pytest.fixture
def burger_config(tmp_path):
    """``write(journal="burger.sqlite", **{old: new})``: the burger search config (cost and
    reward from examples/burger.py) in tmp_path, each ``old`` text replaced by ``new``."""

    def write(journal: str = "burger.sqlite", replace: dict[str, str] | None = None) -> Path:
        (tmp_path / "burger.py").write_text((EXAMPLES / "burger.py").read_text())
        text = BURGER.replace("JOURNAL", journal)
        for old, new in (replace or {}).items():
            assert old in text, f"{old!r} is not in the burger config"
            text = text.replace(old, new)
        path = tmp_path / "burger.toml"
        path.write_text(text)
        return path

    return write


@pytest.fixture(scope="module")
def ray_session():
    """One local Ray with 2 CPUs, shared by the Ray tests of a module."""
    import ray

    from layernas.executors.ray import init_ray

    if not ray.is_initialized():
        init_ray(num_cpus=2)
    yield ray
    ray.shutdown()


#: Debian's chromium (installed by .ci/run); a test that needs it fails without it.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
#: Screenshots are also kept here, to look at after a run.
SHOTS = Path("/tmp/report-shots")

#: Per chart div: visible, has plotly's SVG, and how many traces and drawn points it holds.
CHARTS_JS = """() => Array.from(document.querySelectorAll('.chart')).map(el => ({
  id: el.id,
  visible: el.style.display !== 'none',
  svg: el.querySelectorAll('.main-svg').length,
  traces: (el.data || []).length,
  points: el.querySelectorAll('.point, .scatterlayer path.js-line, .box path.box').length,
  gl: el.querySelectorAll('canvas').length,
  legend: Array.from(el.querySelectorAll('.legendtext')).map(t => t.textContent),
}))"""


@dataclass
class Tab:
    """A browser page with the console errors and uncaught exceptions it produced."""

    page: object
    errors: list[str] = field(default_factory=list)

    def charts(self) -> list[dict]:
        return self.page.evaluate(CHARTS_JS)

    def shot(self, path: Path, keep: str | None = None) -> None:
        self.page.screenshot(path=str(path), full_page=True)
        if keep:
            SHOTS.mkdir(exist_ok=True)
            shutil.copy(path, SHOTS / keep)


@pytest.fixture(scope="session")
def chromium():
    """Headless Debian chromium driven by playwright (fails, never skips, without it)."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).is_file(), f"{CHROMIUM} missing: apt-get install -y chromium"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def tab(chromium):
    """A fresh page that records console errors."""
    page = chromium.new_page(viewport={"width": 1300, "height": 900})
    opened = Tab(page)
    page.on("console", lambda m: opened.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: opened.errors.append(str(e)))
    yield opened
    page.close()


def pytest_collection_finish(session: pytest.Session) -> None:
    if not any(item.get_closest_marker("data") for item in session.items):
        return
    try:
        fetch_all()
    except LayerNASError as err:
        folders = ", ".join(f"{name}/" for name in sorted({
            file.path.split("/")[0] for files in DATA_FILES.values() for file in files}))
        raise pytest.UsageError(
            f"the benchmark files are neither found nor downloadable ({err.__cause__ or err}): "
            f"set {ENV_VAR} to a folder holding {folders} or allow downloads into {cache_dir()}"
        ) from None
