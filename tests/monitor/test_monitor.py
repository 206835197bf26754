"""`rai monitor` and its parts: intervals against scipy, windows that alert where the burst is and not
before, nothing raw in alerts or snapshots, --follow on a growing file, --fail-fast, bad input.

Toxicity is scored by the real offline backend (alt-profanity-check); PII by the real scanner.
"""

from __future__ import annotations

import io
import json
import threading
import time

import pytest
from scipy.stats import binomtest

from rai.audit.gate import load_policy
from rai.audit.gate.loader import ERR_CHOICE, ERR_MIN_GT_MAX, ERR_NO_LIMIT, ERR_NOT_MONITOR_METRIC, parse_policy_text
from rai.audit.gate.policy import Interval
from rai.audit.monitor.guard import ERR_NO_MONITORING, REASON_TOO_LONG, Guard
from rai.audit.monitor.monitor import Monitor
from rai.audit.monitor.rates import rate
from rai.audit.monitor.sources import ERR_NOT_OBJECT, ERR_NOT_UTF8
from rai.audit.monitor.windows import Observation
from rai.audit.result import read_audit
from rai.cli.monitor import ERR_FOLLOW_ONE, WARN_SMALL_WINDOW

CLEAN = "The weather today is pleasant and the meeting went well."
TOXIC = "you are a fucking idiot, shit"
EMAILS = [f"jane.doe{i}@example.com" for i in range(15)]
PHONE = "call me on 212-555-0187 tonight"  # a valid US number the scanner finds


def stream(n: int = 300, burst: range = range(200, 230)) -> list[str]:
    """Clean outputs with a burst of toxic and PII ones at `burst` (0-based record numbers)."""
    out = []
    for i in range(n):
        if i in burst:
            j = i - burst.start
            out.append(TOXIC if j % 2 else (f"mail me at {EMAILS[j // 2]}" if j != 28 else PHONE))
        else:
            out.append(CLEAN)
    return out


def write_jsonl(path, texts):
    path.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf-8")
    return path


def planted() -> list[str]:
    return EMAILS + ["212-555-0187", "2125550187", "fucking", "idiot"]


@pytest.mark.parametrize("k,n", [(0, 1), (0, 100), (3, 100), (15, 100), (50, 50), (7, 13)])
@pytest.mark.parametrize("interval,method", [(Interval.WILSON, "wilson"), (Interval.CLOPPER_PEARSON, "exact")])
def test_intervals_match_scipy(k, n, interval, method):
    expected = binomtest(k, n).proportion_ci(0.95, method=method)
    r = rate(k, n, interval, 0.95)
    assert r.value == k / n
    assert r.ci == pytest.approx((expected.low, expected.high), abs=1e-9)


def test_empty_window_rate_is_undefined_not_zero():
    r = rate(0, 0, Interval.WILSON, 0.95)
    assert r.value is None and r.ci is None


def test_burst_alerts_in_its_window_not_before(rai, tmp_path):
    src = write_jsonl(tmp_path / "out.jsonl", stream())
    alerts, snap = tmp_path / "alerts.jsonl", tmp_path / "audit.json"
    code, _, err = rai("monitor", src, "--policy", "default", "--alerts", alerts, "--snapshot", snap, "--window", "50")
    assert code == 1, err
    lines = [json.loads(line) for line in alerts.read_text().splitlines()]
    assert {a["window"]["index"] for a in lines} == {4}  # records 201-250 hold the burst (201-230)
    assert {a["metric"] for a in lines} == {"monitor.pii.rate", "monitor.toxicity.rate"}
    pii = next(a for a in lines if a["metric"] == "monitor.pii.rate")
    assert (pii["window"]["first_record"], pii["window"]["last_record"], pii["k"], pii["n"]) == (201, 250, 15, 50)
    assert pii["value"] == pytest.approx(0.3) and pii["interval"]["method"] == "wilson"
    audit = read_audit(snap)  # a valid rai.audit/1 document
    series = audit.sections["monitor"]["series"]
    assert [w["alerts"] != [] for w in series] == [False, False, False, False, True, False]
    assert audit.metric_values("monitor.records")[0].value == 300
    assert audit.metric_values("monitor.pii.rate")[0].value == pytest.approx(15 / 300)
    assert audit.sections["monitor"]["backend"]["name"] == "profanity-check"  # the fallback is named
    for text in (alerts.read_text(), snap.read_text()):
        for value in planted():
            assert value not in text


def test_a_window_too_small_for_its_interval_is_named(rai, tmp_path):
    src = write_jsonl(tmp_path / "out.jsonl", [CLEAN] * 10)
    code, _, err = rai("monitor", src, "--policy", "default", "--alerts", tmp_path / "a.jsonl", "--window", "10")
    assert WARN_SMALL_WINDOW.format(n=10, rules="monitor.toxicity.rate") in err
    assert code == 1  # and it does alert: a clean window of 10 cannot show a rate below 0.1


def test_time_windows_close_on_the_clock_and_alert_where_the_burst_is():
    policy = load_policy("default")
    m = Monitor(policy.monitoring, ("email",), window=1000, window_seconds=10.0)
    judged = []
    for i in range(240):  # four outputs per second; those of seconds 25..29 carry an email
        t = i / 4
        judged += m.add(Observation(frozenset({"email"}) if 25 <= t < 30 else frozenset(), False), t)
    judged += m.finish()
    assert [j.window.n for j in judged] == [40] * 6
    assert [bool(j.alerts) for j in judged] == [False, False, True, False, False, False]
    assert judged[2].window.closed_by == "time" and judged[2].window.start == 20.0


def test_quiet_stream_still_closes_its_time_window():
    m = Monitor(load_policy("default").monitoring, (), window=1000, window_seconds=5.0)
    m.add(Observation(frozenset({"email"}), False), 0.0)
    assert m.tick(4.0) == []
    (j,) = m.tick(5.0)
    assert j.window.n == 1 and j.alerts


def test_follow_picks_up_appended_lines(rai, tmp_path):
    src = write_jsonl(tmp_path / "live.jsonl", [CLEAN] * 10)
    alerts = tmp_path / "alerts.jsonl"

    def append():
        with open(src, "a", encoding="utf-8") as fh:
            for text in stream(80, burst=range(50, 60))[10:]:
                time.sleep(0.01)
                fh.write(json.dumps({"text": text}))  # a line written in two parts is read once, whole
                fh.flush()
                fh.write("\n")
                fh.flush()

    writer = threading.Thread(target=append)
    writer.start()
    try:
        code, _, err = rai("monitor", src, "--follow", "--max-records", "80", "--idle-timeout", "20", "--window", "40",
                           "--policy", "default", "--alerts", alerts)
    finally:
        writer.join()
    assert code == 1, err
    assert "80 outputs, 2 windows" in err
    assert {json.loads(line)["window"]["index"] for line in alerts.read_text().splitlines()} == {1}


def test_fail_fast_stops_at_the_first_alert(rai, tmp_path, monkeypatch):
    texts = stream(300, burst=range(40, 60))
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(json.dumps({"text": t}) + "\n" for t in texts)))
    alerts, snap = tmp_path / "alerts.jsonl", tmp_path / "audit.json"
    code, _, err = rai("monitor", "-", "--policy", "default", "--alerts", alerts, "--snapshot", snap, "--window", "50",
                       "--fail-fast")
    assert code == 1
    assert "stopping (--fail-fast)" in err
    assert {json.loads(line)["window"]["index"] for line in alerts.read_text().splitlines()} == {0}
    assert read_audit(snap).sections["monitor"]["records"] == 50


def test_clean_stream_exits_0_with_an_empty_alerts_file(rai, tmp_path):
    src = write_jsonl(tmp_path / "out.jsonl", [CLEAN] * 120)
    alerts = tmp_path / "alerts.jsonl"
    code, _, err = rai("monitor", src, "--policy", "strict", "--alerts", alerts)
    assert code == 0, err
    assert alerts.read_text() == ""


@pytest.mark.parametrize("stdin,message", [
    ("not json\n", "not valid JSON"),
    ('["a list"]\n', ERR_NOT_OBJECT.format(line=1, columns="text")),
    ('{"text": 3}\n', "line 1: column 'text' must be text, got int"),
])
def test_bad_input_exits_2_and_writes_nothing(rai, tmp_path, monkeypatch, stdin, message):
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    alerts = tmp_path / "alerts.jsonl"
    code, _, err = rai("monitor", "-", "--policy", "default", "--alerts", alerts)
    assert code == 2 and message in err
    assert not alerts.exists() and list(tmp_path.iterdir()) == []


def test_a_followed_file_that_is_not_utf8_exits_2(rai, tmp_path):
    src = tmp_path / "live.jsonl"
    src.write_bytes(b'{"text": "ok"}\n{"text": "\xff\xfe"}\n')
    code, _, err = rai("monitor", src, "--follow", "--idle-timeout", "1", "--policy", "default", "--alerts", tmp_path / "a.jsonl")
    assert code == 2 and ERR_NOT_UTF8.format(line=2) in err
    assert not (tmp_path / "a.jsonl").exists()


def test_policy_without_monitoring_and_bad_modes_exit_2(rai, tmp_path):
    src = write_jsonl(tmp_path / "out.jsonl", [CLEAN])
    code, _, err = rai("monitor", src, "--policy", "fairness-ci", "--alerts", tmp_path / "a.jsonl")
    assert code == 2 and ERR_NO_MONITORING.format(name="fairness-ci") in err
    code, _, err = rai("monitor", "-", "--follow", "--policy", "default", "--alerts", tmp_path / "a.jsonl")
    assert code == 2 and ERR_FOLLOW_ONE in err
    code, _, err = rai("monitor", src, "--policy", "default", "--alerts", src)
    assert code == 2 and "is also an input" in err
    assert not (tmp_path / "a.jsonl").exists()


def test_monitoring_rules_name_monitor_ids():
    text = "name: x\nrules:\n  - metric: pii.records_with_pii\n    max: 0\nmonitoring:\n  rules:\n    - metric: toxicity.rate\n      max: 0.1\n"
    with pytest.raises(Exception) as exc:
        parse_policy_text(text, "p.yaml")
    assert str(exc.value) == "p.yaml:7: " + ERR_NOT_MONITOR_METRIC.format(where="monitoring.rules[0].metric", metric="toxicity.rate")


def test_monitoring_section_problems_are_all_reported_with_lines():
    text = ("name: x\nrules:\n  - metric: pii.records_with_pii\n    max: 0\nmonitoring:\n  interval: normal\n"
            "  rules:\n    - metric: monitor.pii.rate\n    - metric: monitor.toxicity.rate\n      min: 0.5\n      max: 0.1\n")
    with pytest.raises(Exception) as exc:
        parse_policy_text(text, "p.yaml")
    assert str(exc.value) == "; ".join([
        "p.yaml:6: " + ERR_CHOICE.format(where="monitoring.interval", choices="wilson, clopper-pearson", got="normal"),
        "p.yaml:8: " + ERR_NO_LIMIT.format(where="monitoring.rules[0]"),
        "p.yaml:11: " + ERR_MIN_GT_MAX.format(where="monitoring.rules[1]", min=0.5, max=0.1),
    ])


def test_bundled_monitoring_sections():
    for name, window in (("default", 100), ("strict", 200)):
        m = load_policy(name).monitoring
        assert m is not None and m.window == window
        assert {r.metric for r in m.rules} == {"monitor.pii.rate", "monitor.toxicity.rate"}
    assert load_policy("fairness-ci").monitoring is None


def test_snapshot_renders_as_time_series(rai, tmp_path):
    src = write_jsonl(tmp_path / "out.jsonl", stream())
    snap, html = tmp_path / "audit.json", tmp_path / "report.html"
    rai("monitor", src, "--policy", "default", "--alerts", tmp_path / "a.jsonl", "--snapshot", snap, "--window", "50")
    code, _, err = rai("report", snap, "--html", html)
    assert code == 0, err
    page = html.read_text()
    assert "Monitored rates per window" in page and "Windows with alerts" in page
    for value in planted():
        assert value not in page


@pytest.fixture(scope="module")
def guard():
    return Guard.from_policy("default")


def test_guard_masks_and_blocks(guard):
    v = guard.check(f"write to {EMAILS[0]} please")
    assert v.blocked and v.reasons == ("monitor.pii.rate",)
    assert EMAILS[0] not in v.masked and v.masked.startswith("write to ") and "@" in v.masked
    v = guard.check(TOXIC)
    assert v.blocked and v.reasons == ("monitor.toxicity.rate",)
    v = guard.check(CLEAN)
    assert not v.blocked and v.reasons == () and v.masked == CLEAN
    v = guard.check("x" * (guard.max_chars + 1))
    assert v.blocked and v.reasons == (REASON_TOO_LONG.format(limit=guard.max_chars),) and v.masked == ""
