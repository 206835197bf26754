"""Where monitored outputs come from: JSON lines on stdin, table files, or a file followed as it grows.

The I/O edge of the monitor. Each source yields one tuple of texts per output (one per monitored
column); a followed file also yields `None` whenever it has nothing new, so the caller can close time
windows and stop on an idle limit. A line that is not a JSON object with the columns as text is an
`InputError` naming its line: an output that cannot be read is never skipped as if it were clean.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any

from rai.core.documents import loads_json
from rai.core.errors import InputError
from rai.core.io import iter_table_chunks

ERR_NOT_OBJECT = "line {line}: expected a JSON object with the column(s) {columns}"
ERR_MISSING = "line {line}: missing column {column!r}"
ERR_NOT_TEXT = "line {line}: column {column!r} must be text, got {kind}"
ERR_FOLLOW_FORMAT = "--follow reads JSON lines (.jsonl) only"
ERR_NOT_UTF8 = "line {line}: not UTF-8 text"
POLL_SECONDS = 0.1

Texts = tuple[str, ...]


def parse_line(line: str, number: int, columns: Sequence[str], where: str) -> Texts | None:
    """The texts of one JSON line (None for a blank line)."""
    if not line.strip():
        return None
    record: Any = loads_json(line, where=f"{where}:{number}")
    if not isinstance(record, dict):
        raise InputError(ERR_NOT_OBJECT.format(line=number, columns=", ".join(columns)), where=where)
    texts = []
    for c in columns:
        if c not in record:
            raise InputError(ERR_MISSING.format(line=number, column=c), where=where)
        value = record[c]
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise InputError(ERR_NOT_TEXT.format(line=number, column=c, kind=type(value).__name__), where=where)
        texts.append(value)
    return tuple(texts)


def stream_lines(stream: IO[str], columns: Sequence[str], where: str = "-") -> Iterator[Texts]:
    """JSON lines from a stream such as stdin, one output at a time (nothing waits for a batch)."""
    number = 0
    while True:
        try:
            line = stream.readline()
        except UnicodeDecodeError:
            raise InputError(ERR_NOT_UTF8.format(line=number + 1), where=where) from None
        if not line:
            return
        number += 1
        texts = parse_line(line, number, columns, where)
        if texts is not None:
            yield texts


def table_rows(path: str, columns: Sequence[str]) -> Iterator[Texts]:
    """Rows of a CSV, TSV, JSONL or Parquet file (`rai.core.io`); empty cells are empty texts."""
    for chunk in iter_table_chunks(path, columns=columns, chunk_rows=1000):
        values = chunk[list(columns)].astype(object).where(chunk[list(columns)].notna(), "")
        for row in values.itertuples(index=False, name=None):
            yield tuple(str(v) for v in row)


def follow_lines(path: str, columns: Sequence[str], *, stop: Callable[[], bool],
                 sleep: Callable[[float], None] = time.sleep) -> Iterator[Texts | None]:
    """A JSONL file like `tail -f`: what is there, then each line appended, until `stop()` says so.

    A line still being written (no newline yet) waits for its newline."""
    if not path.endswith(".jsonl"):
        raise InputError(ERR_FOLLOW_FORMAT, where=path)
    try:
        fh = open(path, "rb")  # bytes: a line is decoded whole, so an error names its own line
    except OSError as exc:
        raise InputError(exc.strerror or type(exc).__name__, where=path) from None
    with fh:
        number, pending = 0, b""
        while not stop():
            chunk = fh.readline()
            if not chunk:
                yield None
                sleep(POLL_SECONDS)
                continue
            pending += chunk
            if not pending.endswith(b"\n"):
                continue
            number += 1
            raw, pending = pending, b""
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise InputError(ERR_NOT_UTF8.format(line=number), where=path) from None
            texts = parse_line(line, number, columns, path)
            if texts is not None:
                yield texts
