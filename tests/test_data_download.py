"""Finding and downloading the benchmark files, over real sockets: a local HTTP server stands
in for the public hosts, a closed local port for a machine without network. Never the internet.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import nats_bench
import pytest

from layernas import LayerNASError
from layernas.benchmarks import DATA_FILES, data, fetch_all, load, macro, nats_official

pytestmark = pytest.mark.data

TESTS = Path(__file__).parent


@dataclasses.dataclass
class Server:
    """A local HTTP server of ``root``; ``paths`` lists the requests it answered."""

    url: str
    root: Path
    paths: list[str]


@pytest.fixture(scope="module")
def roots() -> dict[str, Path]:
    """Where the real files are (found before a test hides LAYERNAS_DATA)."""
    return fetch_all()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    root = tmp_path / "www"
    root.mkdir()
    paths: list[str] = []

    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            paths.append(self.path)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=root))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{httpd.server_address[1]}", root, paths)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@pytest.fixture
def closed_url() -> str:
    """A URL on a local port nothing listens on: connecting fails at once, as offline."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No LAYERNAS_DATA and an empty cache; returns XDG_CACHE_HOME (not created)."""
    monkeypatch.delenv(data.ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg"


def served(file: data.DataFile, server: Server, payload: bytes) -> data.DataFile:
    """``file`` with its URL on ``server``, which serves ``payload``."""
    name = file.path.replace("/", "_")
    (server.root / name).write_bytes(payload)
    return dataclasses.replace(file, url=f"{server.url}/{name}")


def test_missing_file_without_network(
    xdg: Path, closed_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    table = dataclasses.replace(macro.TABLE, url=f"{closed_url}/nas-bench-macro_cifar10.json")
    monkeypatch.setattr(macro, "TABLE", table)
    with pytest.raises(LayerNASError) as err:
        load("nas-bench-macro", data_dir=tmp_path / "empty")
    message = str(err.value)
    for part in (table.path, table.url, table.sha256, "LAYERNAS_DATA", "refused"):
        assert part in message
    assert not xdg.exists()  # no empty cache folders left behind


def test_download_verifies_and_caches(roots: dict[str, Path], xdg: Path, server: Server,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    root = roots[macro.NAME]
    expected = load(macro.NAME, data_dir=root).oracle((0, 30))
    table = served(macro.TABLE, server, (root / macro.TABLE.path).read_bytes())
    monkeypatch.setattr(macro, "TABLE", table)
    cache = xdg / "layernas"
    got = load("nas-bench-macro", seed=1).oracle((0, 30))
    assert server.paths == [table.url.removeprefix(server.url)]
    assert [p.name for p in cache.rglob("*")] == ["nas-bench-macro", "nas-bench-macro_cifar10.json"]
    load("nas-bench-macro", seed=2)  # now found in the cache
    assert len(server.paths) == 1
    assert got == expected


def test_corrupt_download_leaves_nothing(xdg: Path, server: Server) -> None:
    table = served(macro.TABLE, server, b"<html>rate limited</html>")
    with pytest.raises(LayerNASError, match=table.sha256):
        data.locate(table)
    assert server.paths and not xdg.exists()


def test_sample_archive_is_downloaded_and_opens(roots: dict[str, Path], xdg: Path, server: Server,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    root = roots[nats_official.NAME]
    sample = tuple(served(file, server, (root / file.path).read_bytes())
                   for file in nats_official.SAMPLE)
    monkeypatch.setattr(nats_official, "SAMPLE", sample)
    archive = nats_official.sample_archive()
    assert archive == xdg / "layernas" / "nats-bench-fixtures/fake_torch_dir" / nats_official.ARCHIVE
    assert sorted(p.name for p in archive.iterdir()) == sorted(
        Path(f.path).name for f in nats_official.SAMPLE
    )
    assert len(server.paths) == 4
    api = nats_bench.create(str(archive), "sss", fast_mode=True, verbose=False)
    assert api.arch(284) == "8:8:40:32:40"
    assert nats_official.sample_archive() == archive and len(server.paths) == 4


def test_data_files_are_every_benchmark_file() -> None:
    paths = {f.path for files in DATA_FILES.values() for f in files}
    assert paths >= {macro.TABLE.path, *(f.path for f in nats_official.SAMPLE)}
    assert len(paths) == 4 + 1 + 4
    assert all(f.url.startswith("https://") and len(f.sha256) == 64
               for files in DATA_FILES.values() for f in files)


@pytest.mark.slow
def test_suite_without_data_or_network_stops_with_one_line(tmp_path: Path,
                                                           closed_url: str) -> None:
    """The README's test command on a machine with neither: one line saying what to set."""
    env = {k: v for k, v in os.environ.items()
           if k not in (data.ENV_VAR, "NO_PROXY", "no_proxy")}
    env["XDG_CACHE_HOME"] = str(tmp_path / "xdg")
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
        env[var] = closed_url  # every download goes to a port that refuses: no internet
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         str(TESTS / "test_benchmarks.py"), str(TESTS / "test_torch_macro.py")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 4, run.stdout + run.stderr
    errors = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and errors[0].startswith("ERROR: "), run.stderr
    for part in ("LAYERNAS_DATA", "nats-sss", "nas-bench-macro", "nats-bench-fixtures"):
        assert part in errors[0]
    assert not re.search(r"\d+ (passed|failed|errors?)\b", run.stdout), run.stdout
    assert not (tmp_path / "xdg").exists()
