"""Streamed outputs that appear all at once: written to temporary files next to their targets,
renamed into place only when the whole scan succeeded (DESIGN.md: a failed command leaves no
partial file). `rai.io.atomic_write_*` covers outputs built in memory; these are too large for that.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import lzma
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from rai.errors import InputError

# Compression suffix -> opener(path, mode) for text and binary streams.
OPENERS: dict[str, Callable[..., IO[Any]]] = {"": open, ".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
ERR_COMPRESSION = "compression {suffix} is not supported here (use none, .gz, .bz2 or .xz)"


def compression(path: str | os.PathLike) -> str:
    """The compression suffix of `path` ("" when uncompressed)."""
    suffix = Path(path).suffix.lower()
    if suffix in OPENERS:
        return suffix
    if suffix in (".zst", ".zip", ".tar"):
        raise InputError(ERR_COMPRESSION.format(suffix=suffix), where=str(path))
    return ""


def open_text(path: str | os.PathLike, mode: str, *, suffix_of: str | os.PathLike | None = None) -> IO[str]:
    """Open a possibly compressed text file; the compression comes from `suffix_of` (default `path`)."""
    opener = OPENERS[compression(suffix_of if suffix_of is not None else path)]
    return opener(path, mode + "t", encoding="utf-8", newline="")  # type: ignore[call-arg]


class StagedOutputs:
    """Temporary files for several outputs, committed together or not at all.

    with StagedOutputs() as staged:
        tmp = staged.temp_for("findings.jsonl")
        ...write tmp...
    # on success every temp file is renamed over its target; on error all are removed
    """

    def __init__(self) -> None:
        self._pending: list[tuple[Path, Path]] = []
        self._created_dirs: list[Path] = []

    def temp_for(self, target: str | os.PathLike) -> Path:
        target = Path(target)
        missing = [p for p in [target.parent, *target.parent.parents] if not p.exists()]
        target.parent.mkdir(parents=True, exist_ok=True)
        self._created_dirs.extend(missing)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
        self._pending.append((Path(tmp), target))
        return Path(tmp)

    def commit(self) -> None:
        for tmp, _ in self._pending:  # on disk before any rename, as rai.io.atomic_write_bytes does
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        for tmp, target in self._pending:
            os.replace(tmp, target)
        self._pending.clear()

    def discard(self) -> None:
        for tmp, _ in self._pending:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        self._pending.clear()
        for d in self._created_dirs:  # innermost first: only directories this run created, if empty
            with contextlib.suppress(OSError):
                d.rmdir()
        self._created_dirs.clear()

    def __enter__(self) -> "StagedOutputs":
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()
