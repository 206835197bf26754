"""Issue 12, items 12, 13, 14: what data or file names carry must not act on a terminal, a Markdown
renderer or a reader: escapes and direction overrides are shown escaped on stderr, no autolink forms
in the Markdown summary, and a toxicity example never quotes PII the masking could not vouch for.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rai.audit.result import AuditResult

CONTROLS = ["\x1b[31m", "\r", "\n", "\x00", "\u202e", "\x07", "\x9b", "\u2028"]


# --- item 12: control characters on stderr -----------------------------------------------------

@pytest.mark.parametrize("char", CONTROLS)
def test_printable_escapes_every_control_character(char):
    from rai.core.errors import printable

    shown = printable(f"a{char}b")
    assert shown == "a" + repr(char)[1:-1] + "b" and shown.isprintable()


def test_a_column_name_with_a_terminal_escape_is_shown_escaped(rai, tmp_path):
    path = tmp_path / "data.csv"
    pd.DataFrame({"label": [0, 1], "prediction": [0, 1], "\x1b[31mred\x1b]0;title\x07": ["a", "b"]}).to_csv(path, index=False)
    code, _, err = rai("audit", "fairness", path, "--sensitive", "sex", "--out", tmp_path / "a.json")
    assert code == 2
    assert "\x1b" not in err and "\x07" not in err and err.count("\n") == 1
    assert "\\x1b[31mred\\x1b]0;title\\x07" in err


@pytest.mark.parametrize("name", ["evil\nrai: all checks passed.csv", "evil\r\x1b[2Kok.csv", "abc\u202egnp.csv"])
def test_a_path_with_control_characters_is_shown_escaped_in_errors(rai, tmp_path, name):
    code, _, err = rai("audit", "pii", tmp_path / name, "--out", tmp_path / "a.json")
    assert code == 2
    assert err.endswith("\n") and err[:-1].isprintable(), err  # one line, nothing that acts on a terminal
    shown = str(tmp_path) + "/" + repr(name)[1:-1]
    assert err.startswith(f"rai: error: {shown}: ")


def test_status_lines_escape_control_characters_too(rai, tmp_path):
    (tmp_path / "t.csv").write_text("text\nhello\n")
    out = tmp_path / "out\x1b[31m.json"
    code, _, err = rai("audit", "pii", tmp_path / "t.csv", "--out", out)
    assert code == 0 and out.exists()
    assert "\x1b" not in err and "out\\x1b[31m.json" in err


# --- item 13: no autolink in Markdown summaries -------------------------------------------------

LINKS = ["https://evil.example/login", "HTTP://evil.example", "www.evil-example.com/x", "evil-example.com",
         "mail me: victim@evil-example.com", "mailto:victim@evil-example.com", "xmpp:bot@evil-example.com",
         "ftp://evil.example/f", "<https://evil.example>", "[x](https://evil.example)"]


def _links(markdown: str) -> list[str]:
    from markdown_it import MarkdownIt

    pytest.importorskip("linkify_it", reason="markdown-it-py[linkify] is needed to find what GitHub would autolink")
    md = MarkdownIt("gfm-like")  # tables, strikethrough and linkify: the bare-URL detection GitHub does
    tokens = md.parseInline(markdown) if "\n" not in markdown else md.parse(markdown)
    found = []

    def walk(toks):
        for t in toks:
            if t.type == "link_open":
                found.append(t.attrGet("href"))
            walk(t.children or [])
    walk(tokens)
    return found


def test_the_linkify_check_itself_finds_a_bare_url():
    assert _links("see https://evil.example/x and www.evil-example.com")  # the check can fail


@pytest.mark.parametrize("text", LINKS)
def test_markdown_text_never_forms_a_link(text):
    from rai.reports.safety import markdown_text

    assert _links(markdown_text(text)) == []
    assert _links(f"| {markdown_text(text)} |\n|---|\n| {markdown_text(text)} |\n") == []


def test_markdown_summary_with_urls_from_data_has_no_link():
    from rai.reports.markdown import render_markdown

    r = AuditResult(subject={"model": "https://evil.example/model", "inputs": []})
    r.add_section("fairness", {})
    r.add_metric("fairness.demographic_parity_ratio", 0.9, section="fairness", ci=(0.8, 0.95), n=100,
                 details={"attribute": "www.evil-example.com", "reference_group": "victim@evil-example.com"})
    r.warnings += [f"group {u} is small" for u in LINKS]
    body = render_markdown(r)
    assert "evil" in body
    assert _links(body) == []


# --- item 14: quoted texts never carry PII the masking cannot vouch for -------------------------

UK_PHONE = "020 7946 0958"


def test_a_uk_number_missed_by_us_only_masking_is_withheld_not_quoted():
    from rai.audit.pii import WITHHELD, ScanConfig, mask_pii, quotable

    us_only = ScanConfig(phone_regions=("US",)).build()
    assert UK_PHONE in mask_pii([f"call {UK_PHONE}, idiot"], us_only)[0]  # the miss the issue found
    assert quotable([f"call {UK_PHONE}, idiot"], us_only) == [WITHHELD]  # fails closed


@pytest.mark.parametrize("text", [f"call {UK_PHONE}, idiot", "order 1234567 you fool", "id 12-34-56-78 moron",
                                  "ring +33 1 42 68 53 00 idiot", "acct (555) 867 5309 jerk"])
def test_quotes_hold_no_seven_digit_run(text):
    import re

    from rai.audit.pii import quotable

    (quote,) = quotable([text])
    assert not re.search(r"\d(?:[\s\-./()+]*\d){6,}", quote)


def test_quotes_keep_harmless_numbers():
    from rai.audit.pii import quotable

    assert quotable(["you idiot, 12 cats and 3.5 dogs in 2024"]) == ["you idiot, 12 cats and 3.5 dogs in 2024"]


def test_toxicity_examples_mask_a_uk_number_and_withhold_unknown_numbers():
    from rai.audit.pii import WITHHELD
    from rai.audit.toxicity import BackendInfo, ScoredUnits, SummarySettings, summarize

    info = BackendInfo(name="detoxify", version="0", model="original", labels=("toxicity",), primary_label="toxicity",
                       max_length=512)
    texts = [f"you idiot, call {UK_PHONE}", "you fool, serial 12345678901234567890123", "you jerk"]  # no scanner type fits the serial
    units = ScoredUnits(values=np.array([[[0.9]], [[0.8]], [[0.7]]]), labels=("toxicity",), texts=[[t] for t in texts],
                        meta=[{"row": i, "column": "text"} for i in range(3)])
    items = summarize(units, info, SummarySettings(n_resamples=10)).section["examples"]["items"]
    quoted = [i["text"] for i in items]
    assert quoted[0].startswith("you idiot, call ") and UK_PHONE not in quoted[0] and "7946" not in quoted[0]
    assert quoted[1] == WITHHELD
    assert quoted[2] == "you jerk"
