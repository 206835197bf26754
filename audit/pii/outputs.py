"""Opening the scan's streamed outputs (findings, redacted copies), compressed or not.

They are staged and committed by `rai.core.outputs.CommandOutputs` with the command's other outputs.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from rai.core.errors import InputError

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
