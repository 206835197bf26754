"""Redaction: typed placeholders in the text, and a redacted copy of a table in its own format.

`redact_text` is pure. A `RedactionSink` receives each scanned chunk with the new values of the
cells that had findings and writes the copy: CSV/TSV from the chunk itself (read as strings, so
values round-trip), JSONL and Parquet from a second pass over the raw file in step with the scan,
so every field that was not scanned is written back unchanged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import pandas as pd

from rai.audit.pii.outputs import open_text
from rai.audit.pii.recognizer import Finding
from rai.core.io import table_format

if TYPE_CHECKING:
    from rai.audit.pii.engine import Scanner

# column -> {row position within the chunk: redacted text}
Replacements = Mapping[str, Mapping[int, str]]


def redact_text(text: str, findings: Sequence[Finding], placeholder: Callable, *, by_finding: bool = False) -> str:
    """`text` with every finding replaced by `placeholder(entity)`, e.g. "[EMAIL]" (or `placeholder(finding)`)."""
    out, pos = [], 0
    for f in sorted(findings):
        out.append(text[pos:f.start])
        out.append(placeholder(f) if by_finding else placeholder(f.entity))
        pos = f.end
    out.append(text[pos:])
    return "".join(out)


def mask_pii(texts: Sequence[str], scanner: "Scanner | None" = None) -> list[str]:
    """`texts` with every PII finding replaced by its masked preview (`j***@e******.com`).

    For audits other than `pii` that quote texts (e.g. toxicity examples): they must not leak the
    personal data the texts carry into a report or a JSON file.
    """
    from rai.audit.pii.config import ScanConfig

    scanner = scanner or ScanConfig().build()
    out = []
    for text, findings in zip(texts, scanner.scan(list(texts))):
        out.append(redact_text(text, findings, lambda f, t=text: scanner.mask(f.entity, t[f.start:f.end]), by_finding=True))
    return out


WITHHELD = "[withheld: may contain PII]"
# Seven or more digits in one run, allowing the separators that phone, card, account and id numbers use.
# Masked previews keep at most four digits, so such a run is something the scanner did not recognise.
_DIGIT_RUN = re.compile(r"\d(?:[\s\-./()+]*\d){6,}")


def quote_scanner() -> "Scanner":
    """The widest scanner: phone formats of every region, findings at any score. Quoting audits use it,
    so a quote is never less masked than any `rai audit pii` setting would have it."""
    import phonenumbers

    from rai.audit.pii.config import ScanConfig

    return ScanConfig(phone_regions=tuple(sorted(phonenumbers.SUPPORTED_REGIONS)), min_score=0.0).build()


def quotable(texts: Sequence[str], scanner: "Scanner | None" = None) -> list[str]:
    """`texts` masked (`mask_pii` with `quote_scanner`), and each withheld whole (`WITHHELD`) when
    the masking cannot vouch for it: a run of seven or more digits survived (a number of a format
    the scanner does not know). Fails closed: a withheld quote costs a reader an example, a leak
    cannot be taken back."""
    masked = mask_pii(texts, scanner or quote_scanner())
    return [WITHHELD if _DIGIT_RUN.search(t) else t for t in masked]


def placeholder(entity: str) -> str:
    return f"[{entity.upper()}]"


class RedactionSink:
    """Writes the redacted copy of one input file to `tmp` (a staged temporary path)."""

    def __init__(self, source: Path, tmp: Path, target: Path, columns: Sequence[str]) -> None:
        self.source, self.tmp, self.target, self.columns = source, tmp, target, list(columns)

    def write(self, chunk: pd.DataFrame, replacements: Replacements) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class CsvSink(RedactionSink):
    def __init__(self, source: Path, tmp: Path, target: Path, columns: Sequence[str], *, sep: str = ",") -> None:
        super().__init__(source, tmp, target, columns)
        self.sep = sep
        self._fh: IO[str] = open_text(tmp, "w", suffix_of=target)
        self._header = True

    def write(self, chunk: pd.DataFrame, replacements: Replacements) -> None:
        out = chunk
        if any(replacements.values()):
            out = chunk.copy()
            for column, new in replacements.items():
                if new:  # one assignment per column: setting cells one by one copies Arrow arrays each time
                    values = out[column].tolist()
                    for i, text in new.items():
                        values[i] = text
                    out[column] = values
        out.to_csv(self._fh, index=False, header=self._header, sep=self.sep, lineterminator="\n")
        self._header = False

    def close(self) -> None:
        if self._header:  # no rows: keep the header line
            pd.read_csv(self.source, sep=self.sep, nrows=0, dtype=str).to_csv(self._fh, index=False, sep=self.sep, lineterminator="\n")
        self._fh.close()


class JsonlSink(RedactionSink):
    """Copies raw lines, re-encoding only the records that changed."""

    def __init__(self, source: Path, tmp: Path, target: Path, columns: Sequence[str]) -> None:
        super().__init__(source, tmp, target, columns)
        self._src: IO[str] = open_text(source, "r")
        self._lines = (line for line in self._src if line.strip())  # pandas skips blank lines too
        self._fh: IO[str] = open_text(tmp, "w", suffix_of=target)

    def write(self, chunk: pd.DataFrame, replacements: Replacements) -> None:
        changed: dict[int, dict[str, str]] = {}
        for column, new in replacements.items():
            for i, text in new.items():
                changed.setdefault(i, {})[column] = text
        for i in range(len(chunk)):
            line = next(self._lines)
            if i in changed:
                record = json.loads(line)
                record.update(changed[i])
                line = json.dumps(record, ensure_ascii=False)
            self._fh.write(line.rstrip("\r\n") + "\n")

    def close(self) -> None:
        self._src.close()
        self._fh.close()


class ParquetSink(RedactionSink):
    """Reads the full rows in step with the scan and rewrites the scanned columns as strings."""

    def __init__(self, source: Path, tmp: Path, target: Path, columns: Sequence[str]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        super().__init__(source, tmp, target, columns)
        self._pa = pa
        pf = pq.ParquetFile(source)
        schema = pf.schema_arrow
        for name in self.columns:  # a scanned column becomes text (a redacted number is text)
            i = schema.get_field_index(name)
            if not pa.types.is_string(schema.field(i).type):
                schema = schema.set(i, pa.field(name, pa.string()))
        self.schema = schema
        self._batches: Iterator[Any] = pf.iter_batches(batch_size=65_536)
        self._buffer = pa.Table.from_batches([], schema=pf.schema_arrow)
        self._writer = pq.ParquetWriter(tmp, schema)

    def _take(self, n: int) -> Any:
        while self._buffer.num_rows < n:
            self._buffer = self._pa.concat_tables([self._buffer, self._pa.Table.from_batches([next(self._batches)])])
        head, self._buffer = self._buffer.slice(0, n), self._buffer.slice(n)
        return head

    def write(self, chunk: pd.DataFrame, replacements: Replacements) -> None:
        pa = self._pa
        table = self._take(len(chunk))
        for name in self.columns:
            i = table.schema.get_field_index(name)
            values = table.column(i).cast(pa.string()).to_pylist()
            for row, text in replacements.get(name, {}).items():
                values[row] = text
            table = table.set_column(i, self.schema.field(name), pa.array(values, type=pa.string()))
        self._writer.write_table(table.cast(self.schema))

    def close(self) -> None:
        self._writer.close()


SINKS: dict[str, Callable[..., RedactionSink]] = {
    "csv": CsvSink,
    "tsv": lambda source, tmp, target, columns: CsvSink(source, tmp, target, columns, sep="\t"),
    "jsonl": JsonlSink,
    "parquet": ParquetSink,
}


def open_sink(source: Path, tmp: Path, target: Path, columns: Sequence[str]) -> RedactionSink:
    return SINKS[table_format(source)](source, tmp, target, columns)
