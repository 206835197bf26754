"""The Markdown summary renders as a table in a CommonMark + GFM-table renderer, and user strings
cannot break the table, inject HTML, links or images, or mention anyone."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt

from rai.audit.gate import evaluate, load_policy, policy_from_dict
from rai.reports import render_markdown
from rai.reports.safety import markdown_text


def gfm() -> MarkdownIt:
    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


def table_rows(md: str) -> list[list[str]]:
    """The first table's rows (header first) as the renderer sees them: text of each cell."""
    tokens = gfm().parse(md)
    rows, row, in_table = [], None, False
    for i, t in enumerate(tokens):
        if t.type == "table_open":
            in_table = True
        elif t.type == "table_close":
            break
        elif in_table and t.type == "tr_open":
            row = []
        elif in_table and t.type == "tr_close":
            rows.append(row)
        elif in_table and t.type == "inline":
            row.append("".join(c.content for c in t.children if c.type in ("text", "code_inline", "softbreak")))
    return rows


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attrs = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += attrs


def test_summary_table_lists_every_record(sample_audit):
    audit = sample_audit()
    verdict = evaluate(load_policy("default"), audit)
    md = render_markdown(audit, verdict, audit_path="audit.json")
    assert md.startswith("## rai gate: ❌ FAIL (policy default)\n")
    rows = table_rows(md)
    assert rows[0] == ["rule", "record", "observed [interval]", "threshold", "status", "why"]
    expected = sum(max(len(r.records), 1) for r in verdict.rules)
    assert len(rows) == 1 + expected and all(len(r) == 6 for r in rows)
    first = rows[1]
    assert first[:5] == ["fairness.demographic_parity_ratio", "sex (worst_group=Female, reference_group=Male)",
                         "0.42 [0.36, 0.48]", ">= 0.8", "❌ fail"]
    assert "✅ pass" in [r[4] for r in rows] and "❌ missing" in [r[4] for r in rows]


def test_summary_without_policy(sample_audit):
    md = render_markdown(sample_audit())
    assert md.startswith("## rai audit: no gate verdict") and "pass `--policy`" in md


@pytest.mark.parametrize("text", [
    "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "[click](javascript:alert(1))",
    "![pixel](http://127.0.0.1:9/p.png)", "a | b | c", "line\nbreak", "@octocat and @org/team", "**bold** _it_ `code` ~~s~~",
    "$x^2$", "&amp; &lt;", "abc\u202egnp.exe", "<http://example.com>", "\\|escaped pipe",
])
def test_user_strings_render_as_their_own_text(text):
    md = f"| a |\n| --- |\n| {markdown_text(text)} |\n"
    html = gfm().render(md)
    tags = Tags()
    tags.feed(html)
    assert tags.tags == ["table", "thead", "tr", "th", "tbody", "tr", "td"] and tags.attrs == []
    (cell,) = table_rows(md)[1]
    shown = " ".join(text.replace("\u202e", "[U+202E]").split())
    assert cell.replace("\u2060", "") == shown


def test_hostile_audit_summary_has_no_markup(sample_audit, hostile):
    audit = sample_audit(hostile=True)
    policy = policy_from_dict({"name": hostile["md"], "rules": [{"metric": "fairness.demographic_parity_ratio", "min": 0.8,
                                                                  "name": hostile["script"]}]})
    md = render_markdown(audit, evaluate(policy, audit), audit_path=hostile["img"])
    tags = Tags()
    tags.feed(gfm().render(md))
    assert not {"script", "img", "a", "iframe"} & set(tags.tags) and tags.attrs == []
    rows = table_rows(md)
    assert all(len(r) == 6 for r in rows) and rows[1][0] == hostile["script"]
