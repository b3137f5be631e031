"""See a search or a study: a self-contained HTML report and a live dashboard.

``layernas report PATH -o report.html`` (PATH: a search journal or a ``layernas study --out``
directory) and ``layernas dashboard JOURNAL``. Modules: ``data`` (plain data from a journal or
a study directory), ``charts`` (plotly figures), ``page`` (the HTML page), ``dashboard`` (the
live server). plotly (and aiohttp for the dashboard) come with the ``report`` extra.
"""

import importlib.util

from layernas.errors import LayerNASError


def require(*modules: str) -> None:
    """Raise a clear error when the ``report`` extra (plotly, aiohttp) is not installed."""
    missing = [m for m in ("plotly", *modules) if importlib.util.find_spec(m) is None]
    if missing:
        raise LayerNASError(f"{', '.join(missing)} not installed: pip install 'layernas[report]'")
