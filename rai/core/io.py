"""File I/O at the edges: reading tables, hashing inputs, writing outputs atomically.

Every output rai writes goes through `atomic_write_*` or `atomic_output_dir`, so a failed
command never leaves a half-written file behind (the founding design, "Conventions").
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import json
import math
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from rai.core.errors import InputError

TABLE_SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet", ".pq": "parquet"}
ERR_NO_FILE = "file not found"
ERR_FORMAT = "unsupported file type (expected .csv, .tsv, .jsonl or .parquet, optionally .gz for text formats)"
ERR_EMPTY = "the file has no rows"


def table_format(path: str | os.PathLike) -> str:
    """The table format of `path`, from its suffix (".csv.gz" counts as CSV)."""
    p = Path(path)
    suffixes = [s.lower() for s in p.suffixes]
    if suffixes and suffixes[-1] in (".gz", ".bz2", ".xz", ".zst"):
        suffixes = suffixes[:-1]
    fmt = TABLE_SUFFIXES.get(suffixes[-1]) if suffixes else None
    if fmt is None:
        raise InputError(ERR_FORMAT, where=str(path))
    return fmt


def _check_exists(path: str | os.PathLike) -> Path:
    p = Path(path)
    if not p.exists():
        raise InputError(ERR_NO_FILE, where=str(path))
    if p.is_dir():
        raise InputError("is a directory, expected a data file", where=str(path))
    return p


def check_columns(df_columns: Sequence[str], required: Sequence[str], where: str) -> None:
    """Raise one InputError naming every required column that is absent."""
    missing = [c for c in required if c not in df_columns]
    if missing:
        have = ", ".join(map(str, df_columns)) or "none"
        raise InputError(f"missing column(s) {', '.join(missing)} (columns present: {have})", where=where)


def read_table(path: str | os.PathLike, *, required_columns: Sequence[str] = (), allow_empty: bool = False) -> pd.DataFrame:
    """Read a CSV, TSV, JSONL or Parquet file into a DataFrame, with one-line errors.

    Text columns are kept as strings (no type guessing on ids or labels beyond pandas' default).
    """
    p = _check_exists(path)
    fmt = table_format(p)
    try:
        if fmt == "csv":
            df = pd.read_csv(p, keep_default_na=True)
        elif fmt == "tsv":
            df = pd.read_csv(p, sep="\t")
        elif fmt == "jsonl":
            df = pd.read_json(p, lines=True)
        else:
            df = pd.read_parquet(p)
    except pd.errors.EmptyDataError:
        raise InputError(ERR_EMPTY, where=str(path)) from None
    except (ValueError, pd.errors.ParserError, OSError, UnicodeDecodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"cannot read {fmt.upper()}: {first}", where=str(path)) from None
    check_columns(list(df.columns), required_columns, str(path))
    if len(df) == 0 and not allow_empty:
        raise InputError(ERR_EMPTY, where=str(path))
    return df


def iter_table_chunks(path: str | os.PathLike, *, columns: Sequence[str] | None = None, chunk_rows: int = 10_000) -> Iterator[pd.DataFrame]:
    """Stream a table in chunks of at most `chunk_rows` rows, in constant memory.

    Each chunk keeps the file's 0-based row numbers as its index, so findings can point
    back to the row they came from.
    """
    p = _check_exists(path)
    fmt = table_format(p)
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            pf = pq.ParquetFile(p)
            names = pf.schema_arrow.names
            if columns:
                check_columns(names, columns, str(path))
            start = 0
            for batch in pf.iter_batches(batch_size=chunk_rows, columns=list(columns) if columns else None):
                df = batch.to_pandas()
                df.index = range(start, start + len(df))
                start += len(df)
                yield df
            return
        if fmt in ("csv", "tsv"):
            reader = pd.read_csv(p, sep="\t" if fmt == "tsv" else ",", chunksize=chunk_rows, dtype=str, keep_default_na=False)
        else:
            reader = pd.read_json(p, lines=True, chunksize=chunk_rows, dtype=False)
        with reader:
            for chunk in reader:
                if columns:
                    check_columns(list(chunk.columns), columns, str(path))
                yield chunk
    except pd.errors.EmptyDataError:
        return
    except (ValueError, pd.errors.ParserError, OSError, UnicodeDecodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"cannot read {fmt.upper()}: {first}", where=str(path)) from None


def sha256_file(path: str | os.PathLike, *, block: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(block):
            h.update(chunk)
    return h.hexdigest()


def describe_input(path: str | os.PathLike, rows: int | None = None) -> dict[str, Any]:
    """Provenance of one input file: path, SHA-256 and row count (for audit.json)."""
    return {"path": str(path), "sha256": sha256_file(path), "rows": rows}


def _json_safe(obj: Any) -> Any:
    """Reject NaN/inf: JSON has no NaN or inf; callers must turn them into null."""
    if isinstance(obj, float) and not math.isfinite(obj):
        raise ValueError(f"non-finite number {obj!r} cannot be written to JSON; use None and a warning")
    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    if hasattr(obj, "item") and callable(obj.item) and getattr(obj, "shape", None) == ():
        return _json_safe(obj.item())  # numpy scalars
    return obj


def to_json_text(obj: Any) -> str:
    return json.dumps(_json_safe(obj), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write `data` to a temp file in the target's directory, fsync, then rename over `path`."""
    target = Path(path)
    if target.is_dir():
        raise InputError("is a directory, expected an output file name", where=str(path))
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get the usual permissions
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike, obj: Any) -> None:
    atomic_write_text(path, to_json_text(obj))


@contextlib.contextmanager
def atomic_output_dir(path: str | os.PathLike, *, replace: bool = False) -> Iterator[Path]:
    """Build a directory under a temporary name and rename it into place only on success.

    If the block raises, the temporary directory is removed and `path` is untouched.
    With `replace=False` an existing non-empty `path` is an input error.
    """
    target = Path(path)
    if target.exists() and not replace and (not target.is_dir() or any(target.iterdir())):
        raise InputError("output directory already exists and is not empty (choose another --out)", where=str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    os.chmod(tmp, 0o777 & ~_umask())
    try:
        yield tmp
        if not target.exists():
            os.replace(tmp, target)
        elif renameat2(tmp, target, RENAME_EXCHANGE):  # one atomic step: `target` is always the old or the new directory
            shutil.rmtree(tmp, ignore_errors=True)
        else:  # no exchange here: a kill between the two renames leaves the old one as .NAME.old-PID
            old = target.with_name(f".{target.name}.old-{os.getpid()}")
            os.replace(target, old)
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


RENAME_NOREPLACE, RENAME_EXCHANGE = 1, 2  # renameat2 flags (linux/fs.h)


def renameat2(a: Path, b: Path, flags: int) -> bool:
    """Linux renameat2(a, b, flags): rename without replacing, or swap two paths, atomically.
    False where the system, kernel or file system cannot; OSError on any other failure."""
    if sys.platform != "linux":
        return False
    fn = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)  # glibc >= 2.28
    if fn is None:
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_fdcwd = -100
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), flags) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):  # kernel or file system without this flag
        return False
    raise OSError(code, os.strerror(code), str(b))
