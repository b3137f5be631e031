"""Session set-up shared by every test module.

Tests marked ``data`` read the public benchmark files through the same lookup as users
(``data_dir``, ``LAYERNAS_DATA``, the cache, else a download checked against pinned sha256).
Before any of them runs, every file is found or downloaded once; when that is impossible (no
data and no network) the session stops with one line saying what to set, not one error per test.
"""

from __future__ import annotations

import pytest

from layernas.benchmarks import DATA_FILES, fetch_all
from layernas.benchmarks.data import ENV_VAR, cache_dir
from layernas.errors import LayerNASError


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "data: reads the public benchmark files (found or downloaded at session start)"
    )


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
