"""A rich audit result for the report tests: every section, intervals, nulls, and hostile strings."""

from __future__ import annotations

import numpy as np
import pytest

from rai.audit.result import AuditResult

# Strings an attacker could plant in data, group names, file names or model names.
HOSTILE = {
    "script": "<script>document.title='PWNED-script';</script>",
    "img": "\"><img src=x onerror=\"document.title='PWNED-img'\">",
    "js_url": "javascript:document.title='PWNED-url'",
    "bidi": "abc\u202egnp.exe",
    "svg": "</text><script>document.title='PWNED-svg'</script><text>",
    "md": "x | y](javascript:alert(1)) ![t](http://127.0.0.1:9/pixel.png) @someone",
}


def make_audit(*, hostile: bool = False, seed: int = 0) -> AuditResult:
    """An audit with fairness, privacy, pii and toxicity sections shaped like the real audits write them."""
    rng = np.random.default_rng(seed)
    g1, g2 = ("Female", "Male") if not hostile else (HOSTILE["script"], HOSTILE["img"])
    model = "runs/demo/model" if not hostile else HOSTILE["js_url"]
    r = AuditResult(subject={"model": model, "inputs": []})
    # fairness: per-attribute group tables and one record per attribute
    def group(name, n, rate, ci, tpr=None):
        metrics = {"selection_rate": {"value": rate, "ci": ci},
                   "true_positive_rate": {"value": tpr, "ci": None, "why_null": "no positive labels"} if tpr is None
                   else {"value": tpr, "ci": [tpr - 0.05, tpr + 0.05]}}
        return {"group": name, "count": n, "small": False, "missing": False, "metrics": metrics}

    # fairness: as audit/fairness/assess.py writes it (one view per class, groups per attribute)
    r.add_section("fairness", {
        "task": "binary", "classes": [0, 1], "positive_label": 1,
        "views": [{"class": 1, "overall": {"count": 6000, "metrics": {"selection_rate": {"value": 0.2, "ci": [0.19, 0.21]}}},
                   "attributes": [
                       {"attribute": "sex", "reference_group": g2, "groups": [group(g1, 2000, 0.11, [0.09, 0.13], 0.55),
                                                                               group(g2, 4000, 0.26, [0.24, 0.28], 0.62)],
                        "disparities": [{"id": "fairness.demographic_parity_ratio", "scope": "between_groups", "value": 0.42,
                                         "ci": [0.36, 0.48], "details": {"worst_group": g1}, "why_null": None}]},
                       {"attribute": "race", "reference_group": "White",
                        "groups": [group("White", 5000, 0.22, [0.21, 0.23], 0.6),
                                   group(HOSTILE["bidi"] if hostile else "Black", 600, 0.19, [0.15, 0.23])]},
                   ]}],
        "note": HOSTILE["svg"] if hostile else "bootstrap with 1000 resamples",
    })
    r.add_metric("fairness.demographic_parity_ratio", 0.42, section="fairness", ci=(0.36, 0.48), n=6000,
                 details={"attribute": "sex", "worst_group": g1, "reference_group": g2})
    r.add_metric("fairness.demographic_parity_ratio", 0.86, section="fairness", ci=(0.70, 1.0), n=5600,
                 details={"attribute": "race", "worst_group": "Black", "reference_group": "White"})
    r.add_metric("fairness.equalized_odds_difference", 0.07, section="fairness", ci=(0.03, 0.12), n=6000, details={"attribute": "sex"})
    # privacy: attacks with ROC points, as audit/privacy writes them
    fpr = np.r_[0.0, np.sort(rng.uniform(0, 1, 60)), 1.0]
    tpr = np.minimum(1.0, fpr ** 0.7)
    r.add_section("privacy", {
        "guarantee": {"dp": True, "epsilon": 7.5, "delta": 1e-5, "accountant": "prv"},
        "attacks": {"loss": {"description": "loss threshold (Yeom et al. 2018)", "auc": {"value": 0.58, "ci": [0.55, 0.61], "n": 2000},
                             "roc": {"fpr": fpr.round(6).tolist(), "tpr": tpr.round(6).tolist()}}},
    })
    r.add_metric("privacy.dp.epsilon", 7.5, section="privacy", details={"accountant": "prv"})
    r.add_metric("privacy.mia.auc", 0.58, section="privacy", ci=(0.55, 0.61), n=2000, details={"attack": "loss"})
    # pii: counts by type and masked findings
    r.add_section("pii", {
        "counts_by_type": {"email": 3, "phone": 1},
        "findings": [{"record": 17, "column": "text", "type": "email", "span": [4, 21],
                      "preview": HOSTILE["img"] if hostile else "j***@e***.com"}],
    })
    r.add_metric("pii.records_with_pii", 3, section="pii", n=1000)
    r.add_metric("pii.findings.email", 3, section="pii")
    r.add_metric("pii.findings.phone", 1, section="pii")
    # toxicity: as audit/toxicity/section.py writes it
    scores = rng.beta(1, 12, 400)
    counts, edges = np.histogram(scores, bins=20, range=(0, 1))
    r.add_section("toxicity", {
        "mode": "texts", "threshold": 0.5, "primary_label": "toxicity",
        "labels": {"toxicity": {"rate": {"value": 0.01, "ci": [0.0, 0.02], "n": 400}, "mean": float(scores.mean()),
                                "histogram": {"edges": edges.tolist(), "counts": counts.tolist()}}},
        "groups": {"column": "group", "label": "toxicity", "rows": [
            {"group": g1, "n": 200, "rate": {"value": 0.01, "ci": [0.0, 0.03]}}, {"group": g2, "n": 200, "rate": {"value": 0.02, "ci": [0.0, 0.04]}}]},
        "examples": {"content_warning": True, "items": [{"row": 3, "score": 0.93, "text": HOSTILE["script"] if hostile else "you idiot"}]},
    })
    r.add_metric("toxicity.rate", 0.01, section="toxicity", ci=(0.0, 0.02), n=400, details={"label": "toxicity"})
    r.add_metric("toxicity.probability", None, section="toxicity", why_null="no generations in a texts audit")
    if hostile:
        r.warnings.append(HOSTILE["md"])
        r.subject["inputs"].append({"path": HOSTILE["img"] + ".csv", "sha256": "0" * 64, "rows": 10})
        r.provenance["runs"] = [{"audit": "fairness", "config": {"predictions": HOSTILE["script"]}, "seconds": 1.0, "finished": "now"}]
    return r


@pytest.fixture
def sample_audit():
    """`make_audit(hostile=False, seed=0)`: a fresh rich audit result per call."""
    return make_audit


@pytest.fixture
def hostile() -> dict[str, str]:
    return dict(HOSTILE)


# --- a real headless Chromium -----------------------------------------------------------------
import http.server  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402
from html.parser import HTMLParser  # noqa: E402

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-default-apps", "--hide-scrollbars", "--mute-audio")


@pytest.fixture(scope="session")
def chromium() -> str:
    """The Chromium binary; skipped with a reason outside CI when absent, a failure under CI=true."""
    path = shutil.which("chromium") or next((p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser") if os.path.exists(p)), None)
    if path is None:
        if os.environ.get("CI", "").lower() in ("1", "true"):
            pytest.fail("chromium is required for the report browser tests in CI (.ci/run installs Debian's chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium): the report browser tests need a real browser")
    return path


@pytest.fixture
def browser(chromium, tmp_path):
    """Run the headless Chromium with a fresh profile: browser("--dump-dom", url) -> CompletedProcess."""

    def run(*args: str, timeout: int = 90) -> subprocess.CompletedProcess:
        cmd = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}", *args]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        assert proc.returncode == 0, f"chromium failed ({proc.returncode}): {proc.stderr[-2000:]}"
        return proc

    return run


@pytest.fixture
def recording_server():
    """A started loopback server recording every request (stopped after the test)."""
    with RecordingServer() as server:
        yield server


class RecordingServer:
    """A loopback HTTP server that serves one page and records every path any client asks for."""

    def __init__(self, page: bytes = b"") -> None:
        self.page = page
        self.hits: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                outer.hits.append(self.path)
                body, status = (outer.page, 200) if self.path == "/report.html" else (b"", 404)
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET  # noqa: N815

            def log_message(self, *args) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "RecordingServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class DomSummary(HTMLParser):
    """Tags, event-handler attributes and URL-bearing attributes of a dumped DOM, plus its text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.handlers: list[tuple[str, str]] = []
        self.urls: list[tuple[str, str, str]] = []
        self.text: list[str] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._in_title = tag == "title" and not self.title
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append((tag, name))
            if name in ("src", "href", "xlink:href", "action", "formaction", "data", "poster", "background"):
                self.urls.append((tag, name, value or ""))

    def handle_endtag(self, tag):
        self._in_title = False

    def handle_data(self, data):
        self.text.append(data)
        if self._in_title:
            self.title += data


@pytest.fixture
def parse_dom():
    def parse(html: str) -> DomSummary:
        d = DomSummary()
        d.feed(html)
        return d

    return parse
