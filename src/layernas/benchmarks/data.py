"""Benchmark data files: where they are looked for, how they are downloaded and verified.

A file is looked for under these roots, in order: the ``data_dir`` argument, the directory
named by the ``LAYERNAS_DATA`` environment variable, and the user cache
(``$XDG_CACHE_HOME/layernas``, else ``~/.cache/layernas``). The first root holding the file
wins, and its sha256 must equal the pinned one. A file found under no root is downloaded from
its public URL into the cache (to a temporary file beside it, verified, then renamed), so the
cache only ever holds verified files; a failed download removes its temporary file and the
folders it created. Nothing is written anywhere else. ``locate_all`` finds a group of files that
must sit together (an archive folder) under one root.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path
from urllib.request import urlopen

from layernas.errors import LayerNASError

ENV_VAR = "LAYERNAS_DATA"
DOWNLOAD_TIMEOUT_S = 60.0
_CHUNK = 1 << 20


@dataclass(frozen=True)
class DataFile:
    """One public data file: its path below a data root, its URL and its pinned sha256."""

    path: str
    url: str
    sha256: str

    def how_to_get(self) -> str:
        """The manual fix, for error messages."""
        return (
            f"Download {self.url} (sha256 {self.sha256}) to <root>/{self.path} and set the "
            f"{ENV_VAR} environment variable to <root> (or pass data_dir=<root>)."
        )


def cache_dir() -> Path:
    """The user cache that downloads go to."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "layernas"


def data_roots(data_dir: str | os.PathLike[str] | None = None) -> list[Path]:
    """The roots searched for data files, in order."""
    roots = [Path(data_dir).expanduser()] if data_dir is not None else []
    if os.environ.get(ENV_VAR):
        roots.append(Path(os.environ[ENV_VAR]).expanduser())
    roots.append(cache_dir())
    return roots


def locate(file: DataFile, data_dir: str | os.PathLike[str] | None = None) -> Path:
    """Path of a verified copy of ``file``, downloading it into the cache if no root has it."""
    return locate_all([file], data_dir) / file.path


def locate_all(files: Sequence[DataFile], data_dir: str | os.PathLike[str] | None = None) -> Path:
    """The first root holding every one of ``files`` (each verified); if none does, the cache,
    after downloading into it the files it lacks."""
    roots = data_roots(data_dir)
    for root in roots:
        if all((root / file.path).is_file() for file in files):
            for file in files:
                _check_sha256(root / file.path, file)
            return root
    cache = cache_dir()
    for file in files:
        dest = cache / file.path
        if dest.is_file():
            _check_sha256(dest, file)
            continue
        try:
            _download(file, dest)
        except (OSError, HTTPException) as err:
            searched = ", ".join(str(root) for root in roots)
            raise LayerNASError(
                f"data file {file.path} was not found under {searched} and downloading it "
                f"from {file.url} failed ({err}). {file.how_to_get()}"
            ) from err
    return cache


def _check_sha256(path: Path, file: DataFile) -> None:
    stat = path.stat()
    actual = _sha256(str(path), stat.st_size, stat.st_mtime_ns)
    if actual != file.sha256:
        raise LayerNASError(
            f"data file {path} has sha256 {actual}, expected {file.sha256}: it is damaged or "
            f"not the published version; delete it. {file.how_to_get()}"
        )


@functools.cache
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    """sha256 of a file, hashed once per (path, size, mtime) in a process."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _download(file: DataFile, dest: Path) -> None:
    """Fetch ``file.url`` to ``dest`` atomically; a failure (network, checksum) leaves nothing
    behind, neither the partial file nor the folders made for it."""
    created = [d for d in (dest.parent, *dest.parent.parents) if not d.exists()]
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        _fetch(file, dest)
    except BaseException:
        for folder in created:  # deepest first; stops at one another process filled meanwhile
            try:
                folder.rmdir()
            except OSError:
                break
        raise


def _fetch(file: DataFile, dest: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, urlopen(file.url, timeout=DOWNLOAD_TIMEOUT_S) as response:
            for chunk in iter(lambda: response.read(_CHUNK), b""):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != file.sha256:
            raise LayerNASError(
                f"downloaded {file.url} has sha256 {digest.hexdigest()}, expected "
                f"{file.sha256}; nothing was saved. {file.how_to_get()}"
            )
        os.replace(tmp, dest)
    finally:
        Path(tmp).unlink(missing_ok=True)
