"""PII scanning: pattern recognizers with validation (and, for person names and street addresses,
cue patterns and a census name lexicon), an engine that resolves overlaps, masking, streaming over
files with worker processes, redaction, and optional NER backends (Presidio, or a local Hugging
Face token-classification model).

    from rai.audit.pii import Scanner, default_registry
    scanner = Scanner(default_registry().recognizers)
    scanner.scan_text("mail jane@example.com")  # [Finding(start=5, end=21, entity='email', score=1.0)]

Files: `scan_files(ScanRequest(paths, columns, ScanConfig(...)))` returns a `PiiReport`, which
`add_to(audit_result)` turns into the `pii` section and the `pii.*` metric records.
"""

from rai.audit.pii.config import ScanConfig
from rai.audit.pii.engine import DEFAULT_MIN_SCORE, Scanner
from rai.audit.pii.recognizer import Finding, Pattern, PatternRecognizer, Recognizer
from rai.audit.pii.redact import WITHHELD, mask_pii, placeholder, quotable, quote_scanner, redact_text
from rai.audit.pii.registry import (
    BUILTIN_ENTITIES,
    RecognizerOptions,
    RecognizerRegistry,
    default_registry,
)
from rai.audit.pii.stream import ScanRequest, scan_files
from rai.audit.pii.summary import FileStats, PiiReport

__all__ = [
    "BUILTIN_ENTITIES", "DEFAULT_MIN_SCORE", "FileStats", "Finding", "Pattern", "PatternRecognizer", "PiiReport",
    "Recognizer", "RecognizerOptions", "RecognizerRegistry", "ScanConfig", "ScanRequest", "Scanner", "default_registry",
    "WITHHELD", "mask_pii", "placeholder", "quotable", "quote_scanner", "redact_text", "scan_files",
]
