"""The docs users read point only at files inside the project."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# a file path ending in .md that names a folder (docs/x.md) or is an all-caps project file (DESIGN.md, CONTRIBUTING.md);
# bare lower-case names such as summary.md are example outputs of the commands
MD_REFERENCE = re.compile(r"(?<![\w./-])((?:[\w.-]+/)+[\w.-]+\.md|[A-Z][A-Z_-]+\.md)\b")


def test_every_markdown_file_named_in_the_docs_exists():
    docs = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    missing = [(doc.name, ref) for doc in docs for ref in MD_REFERENCE.findall(doc.read_text(encoding="utf-8"))
               if not (ROOT / ref).is_file() and not (doc.parent / ref).is_file()]
    assert missing == []
