"""Scanning files: streaming chunks, worker processes, findings file, redacted copies, the report.

Memory stays constant: chunks are read with `rai.core.io.iter_table_chunks`, at most `2 * workers`
chunks are in flight, findings go straight to a staged file. Results are consumed in input order,
so any number of workers gives exactly the result of one. Nothing is renamed into place until
every file was scanned: the findings file and redacted copies are staged in the command's
`rai.core.outputs.CommandOutputs`, which also refuses an output that is an input or an existing file.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections import Counter, deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from rai.audit.pii.config import ScanConfig
from rai.audit.pii.engine import Scanner
from rai.audit.pii.outputs import open_text
from rai.audit.pii.recognizer import Finding
from rai.audit.pii.redact import RedactionSink, open_sink, placeholder, redact_text
from rai.audit.pii.summary import FileStats, PiiReport
from rai.core.errors import InputError
from rai.core.io import ERR_EMPTY, iter_table_chunks, table_format
from rai.core.outputs import ERR_WRITE, CommandOutputs
from rai.core.progress import progress

ERR_DUPLICATE_INPUT = "the same file is given twice"
ERR_REDACT_FORMAT = "the redacted copy must have the input's format ({fmt}); name it like the input, e.g. {example}"
ERR_REDACT_NAMES = "two inputs share the file name {name}; redact them in separate runs"
ERR_REDACT_DIR = "with several inputs --redact must be a directory (it is created if missing)"
ERR_SCANNER = ("internal error in the PII scanner ({kind}); details are withheld because they may contain PII "
               "(rerun with --reveal --debug to see them)")

# (row position in chunk, start, end, entity, score, preview)
ChunkFinding = tuple[int, int, int, str, float, str]
Chunk = tuple[pd.DataFrame, list[list[str]]]  # the rows, and the text of each scanned column


@dataclass(frozen=True)
class ScanRequest:
    paths: tuple[Path, ...]
    columns: tuple[str, ...] = ("text",)
    config: ScanConfig = ScanConfig()
    workers: int = 1
    chunk_rows: int = 10_000
    findings_path: Path | None = None
    redact_path: Path | None = None
    reveal: bool = False
    examples: int = 3


def column_texts(series: pd.Series) -> list[str]:
    """The cells of one column as text: missing -> "", bytes decoded, numbers and objects as str()."""
    missing = series.isna().to_numpy()
    out = []
    for value, na in zip(series.to_numpy(dtype=object), missing, strict=True):
        if na:
            out.append("")
        elif isinstance(value, str):
            out.append(value)
        elif isinstance(value, bytes):
            out.append(value.decode("utf-8", errors="replace"))
        else:
            out.append(str(value))
    return out


def scan_columns(scanner: Scanner, texts: Sequence[Sequence[str]], *, reveal: bool = False) -> list[list[ChunkFinding]]:
    """Findings of each column of one chunk, with masked previews. Runs in a worker or inline.

    An unexpected error is re-raised without its message unless `reveal`: a library's error
    text can quote the input (`ipaddress` does), and raw values must not reach the terminal.
    """
    try:
        out = []
        for column in texts:
            found = []
            for row, (text, findings) in enumerate(zip(column, scanner.scan(column), strict=True)):
                found.extend((row, f.start, f.end, f.entity, f.score, scanner.mask(f.entity, text[f.start:f.end])) for f in findings)
            out.append(found)
        return out
    except Exception as exc:
        if reveal:
            raise
        raise RuntimeError(ERR_SCANNER.format(kind=type(exc).__name__)) from None


_WORKER: dict[str, Any] = {}


def _init_worker(config: ScanConfig, reveal: bool) -> None:
    _WORKER["scanner"] = config.build()
    _WORKER["reveal"] = reveal


def _scan_in_worker(texts: list[list[str]]) -> list[list[ChunkFinding]]:
    return scan_columns(_WORKER["scanner"], texts, reveal=_WORKER["reveal"])


def _chunks(path: Path, columns: Sequence[str], chunk_rows: int) -> Iterator[Chunk]:
    for chunk in iter_table_chunks(path, columns=columns, chunk_rows=chunk_rows):
        yield chunk, [column_texts(chunk[c]) for c in columns]


def _results(chunks: Iterator[Chunk], scanner: Scanner | None, executor: Executor | None, window: int,
             reveal: bool) -> Iterator[tuple[pd.DataFrame, list[list[str]], list[list[ChunkFinding]]]]:
    """Scan chunks inline or in workers, yielding results in input order with a bounded backlog."""
    if executor is None:
        assert scanner is not None
        for chunk, texts in chunks:
            yield chunk, texts, scan_columns(scanner, texts, reveal=reveal)
        return
    pending: deque[tuple[pd.DataFrame, list[list[str]], Future]] = deque()
    for chunk, texts in chunks:
        pending.append((chunk, texts, executor.submit(_scan_in_worker, texts)))
        if len(pending) >= window:
            c, t, fut = pending.popleft()
            yield c, t, fut.result()
    while pending:
        c, t, fut = pending.popleft()
        yield c, t, fut.result()


def _check_inputs(request: ScanRequest) -> None:
    """Fail before writing anything: files, formats, columns."""
    seen = set()
    for path in request.paths:
        key = os.path.realpath(path)
        if key in seen:
            raise InputError(ERR_DUPLICATE_INPUT, where=str(path))
        seen.add(key)
        first = next(iter_table_chunks(path, columns=request.columns, chunk_rows=100), None)
        if first is None or first.empty:
            raise InputError(ERR_EMPTY, where=str(path))  # an empty input must not read as "no PII"


def redaction_targets(paths: Sequence[Path], redact: Path) -> list[Path]:
    """Where each input's redacted copy goes: `redact` itself for one input, else `redact/<name>`."""
    if len(paths) == 1 and not redact.is_dir():
        fmt = table_format(paths[0])
        try:
            ok = table_format(redact) == fmt
        except InputError:
            ok = False
        if not ok:
            raise InputError(ERR_REDACT_FORMAT.format(fmt=fmt, example=f"{redact.stem}{''.join(paths[0].suffixes)}"), where=str(redact))
        return [redact]
    if redact.exists() and not redact.is_dir():
        raise InputError(ERR_REDACT_DIR, where=str(redact))
    names = Counter(p.name for p in paths)
    for name, count in names.items():
        if count > 1:
            raise InputError(ERR_REDACT_NAMES.format(name=name), where=str(redact))
    return [redact / p.name for p in paths]


def scan_files(request: ScanRequest, outputs: CommandOutputs | None = None) -> PiiReport:
    """Scan every file and return the report; write the findings file and redacted copies if asked.

    With `outputs` (the CLI's), they are staged there and appear with the command's other outputs;
    without, they appear when the scan succeeds. Either way an output that is an input, or an
    existing file (unless the outputs were made with force), is refused before the scan starts.
    """
    own = outputs is None
    staged = CommandOutputs(request.paths) if outputs is None else outputs
    staged.add_inputs(request.paths)
    _check_inputs(request)
    targets = redaction_targets(request.paths, request.redact_path) if request.redact_path else []
    if request.findings_path:
        staged.claim(request.findings_path, "--findings")
    for target in targets:
        staged.claim(target, "--redact")
    config = request.config
    report = PiiReport(entities=config.scanned_entities, columns=request.columns, min_score=config.min_score,
                       backend=config.backend, revealed=request.reveal,
                       findings_file=str(request.findings_path) if request.findings_path else None,
                       redacted=[str(t) for t in targets], phone_regions=config.phone_regions)
    executor: Executor | None = None
    scanner: Scanner | None = None
    if request.workers > 1:
        executor = ProcessPoolExecutor(max_workers=request.workers, mp_context=multiprocessing.get_context("spawn"),
                                       initializer=_init_worker, initargs=(config, request.reveal))
    else:
        scanner = config.build()
    try:
        try:
            findings_fh = None
            if request.findings_path:
                findings_fh = open_text(staged.temp_for(request.findings_path, "--findings"), "w", suffix_of=request.findings_path)
            try:
                for i, path in enumerate(request.paths):
                    sink = open_sink(path, staged.temp_for(targets[i], "--redact"), targets[i], request.columns) if targets else None
                    try:
                        report.files.append(_scan_file(path, request, scanner, executor, report, findings_fh, sink))
                    finally:
                        if sink is not None:
                            sink.close()
            finally:
                if findings_fh is not None:
                    findings_fh.close()
        except OSError as exc:  # a write failed (disk full, quota): name the outputs, remove what was staged
            staged.discard()
            if exc.filename is not None:
                raise
            where = " / ".join(str(p) for p in (request.findings_path, request.redact_path) if p)
            raise InputError(ERR_WRITE.format(flag="--findings / --redact", reason=exc.strerror or type(exc).__name__),
                             where=where) from None
        except BaseException:
            staged.discard()
            raise
        if own:
            staged.commit()
    finally:
        if executor is not None:
            executor.shutdown(cancel_futures=True)
    return report


def _scan_file(path: Path, request: ScanRequest, scanner: Scanner | None, executor: Executor | None,
               report: PiiReport, findings_fh: Any, sink: RedactionSink | None) -> FileStats:
    stats = FileStats(path=str(path), by_column={c: Counter() for c in request.columns})
    columns = request.columns
    per_entity_examples = Counter(e["entity"] for e in report.examples)
    bar = progress(desc=f"pii {path.name}", unit="rows")
    try:
        chunks = _chunks(path, columns, request.chunk_rows)
        for chunk, texts, results in _results(chunks, scanner, executor, 2 * max(1, request.workers), request.reveal):
            record_ids = chunk.index
            rows_entities: dict[int, set[str]] = {}
            ordered = sorted((f[0], j, f) for j, found in enumerate(results) for f in found)
            replacements: dict[str, dict[int, str]] = {c: {} for c in columns}
            by_cell: dict[tuple[int, int], list[Finding]] = {}
            for row, j, (_, start, end, entity, score, preview) in ordered:
                column = columns[j]
                rows_entities.setdefault(row, set()).add(entity)
                stats.findings[entity] += 1
                stats.by_column[column][entity] += 1
                item: dict[str, Any] = {"file": str(path), "record": int(record_ids[row]), "column": column, "start": start,
                                        "end": end, "entity": entity, "score": score, "preview": preview}
                if request.reveal:
                    item["value"] = texts[j][row][start:end]
                if findings_fh is not None:
                    findings_fh.write(json.dumps(item, ensure_ascii=False, allow_nan=False) + "\n")
                if per_entity_examples[entity] < request.examples:
                    per_entity_examples[entity] += 1
                    report.examples.append(item)
                if sink is not None:
                    by_cell.setdefault((row, j), []).append(Finding(start, end, entity, score))
            for (row, j), found in by_cell.items():
                replacements[columns[j]][row] = redact_text(texts[j][row], found, placeholder)
            if sink is not None:
                sink.write(chunk, replacements)
            stats.records += len(chunk)
            stats.records_with_pii += len(rows_entities)
            for entities in rows_entities.values():
                stats.records_with.update(entities)
            bar.update(len(chunk))
    finally:
        bar.close()
    return stats
