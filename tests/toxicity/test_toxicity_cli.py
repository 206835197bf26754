"""`rai audit toxicity` end to end, in-process, on tiny real models."""

import json

import numpy as np
import pandas as pd
import pytest
from detoxify import Detoxify

from rai.cli import audit_toxicity as cli

TEXTS = ["you are a bad man", "great film", "i hate you", "nice day", "she is a woman", "terrible awful movie",
         "the boy was never married", "my phone number", "love", "he works hours a week"]
GROUPS = list("ababababab")


@pytest.fixture
def texts_csv(tmp_path):
    path = tmp_path / "texts.csv"
    pd.DataFrame({"id": range(len(TEXTS)), "text": TEXTS, "g": GROUPS}).to_csv(path, index=False)
    return path


def metrics(path):
    doc = json.loads(path.read_text())
    return doc, {m["id"]: m for m in doc["metrics"]}


def test_texts_audit_matches_detoxify(rai, tmp_path, texts_csv, detox_checkpoint, detox_hf_dir):
    out = tmp_path / "audit.json"
    code, _, err = rai("audit", "toxicity", texts_csv, "--columns", "text", "--group-column", "g", "--checkpoint",
                       detox_checkpoint, "--hf-config", detox_hf_dir, "--bootstrap", "200", "--out", out, "--quiet")
    assert code == 0, err
    doc, m = metrics(out)
    sec = doc["sections"]["toxicity"]
    ref = Detoxify(checkpoint=str(detox_checkpoint), huggingface_config_path=str(detox_hf_dir)).predict(TEXTS)
    tox = np.array(ref["toxicity"])
    assert 0 < (tox >= 0.5).mean() < 1  # the check below can fail both ways
    assert m["toxicity.rate"]["value"] == pytest.approx((tox >= 0.5).mean())
    assert m["toxicity.rate.insult"]["value"] == pytest.approx((np.array(ref["insult"]) >= 0.5).mean())
    by_group = {g: (tox[np.array(GROUPS) == g] >= 0.5).mean() for g in "ab"}
    assert m["toxicity.max_group_gap"]["value"] == pytest.approx(abs(by_group["a"] - by_group["b"]))
    assert m["toxicity.rate"]["ci"][0] <= m["toxicity.rate"]["value"] <= m["toxicity.rate"]["ci"][1]
    assert sec["backend"]["name"] == "detoxify" and sec["backend"]["fallback_reason"] is None
    assert sec["examples"]["items"][0]["score"] == pytest.approx(tox.max())
    assert sec["examples"]["content_warning"] is True
    assert doc["subject"]["inputs"][0]["rows"] == len(TEXTS)
    assert doc["provenance"]["runs"][0]["audit"] == "toxicity"


def test_profanity_backend_on_jsonl_with_two_columns(rai, tmp_path):
    data = tmp_path / "chat.jsonl"
    pd.DataFrame({"prompt": ["hello", "what is this shit", "hi"],
                  "response": ["fuck off", "a lovely day", None]}).to_json(data, orient="records", lines=True)
    out = tmp_path / "audit.json"
    code, _, err = rai("audit", "toxicity", data, "--columns", "prompt,response", "--backend", "profanity-check",
                       "--out", out, "--quiet")
    assert code == 0, err
    doc, m = metrics(out)
    assert doc["sections"]["toxicity"]["backend"]["name"] == "profanity-check"
    assert m["toxicity.rate"]["value"] == pytest.approx(2 / 5) and m["toxicity.rate"]["n"] == 5
    assert m["toxicity.rate"]["details"]["label"] == "profanity" and "toxicity.rate.profanity" in m
    assert {(i["row"], i["column"]) for i in doc["sections"]["toxicity"]["examples"]["items"][:2]} == {
        (1, "prompt"), (0, "response")}
    assert "1 empty cell(s) in column(s) prompt, response were not scored" in doc["warnings"]


def test_auto_fallback_is_named_and_warned(rai, tmp_path, texts_csv, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    out = tmp_path / "audit.json"
    code, _, err = rai("audit", "toxicity", texts_csv, "--backend", "auto", "--out", out)
    assert code == 0, err
    assert "warning: toxicity scored by profanity-check, not detoxify" in err
    doc, m = metrics(out)
    assert doc["sections"]["toxicity"]["backend"]["name"] == "profanity-check"
    assert m["toxicity.rate"]["details"]["backend"] == "profanity-check"


def test_default_backend_works_without_detoxify_weights(rai, tmp_path, texts_csv, monkeypatch):
    """The README's example on a fresh install: no Detoxify weights, still exit 0, naming who scored and how to get Detoxify."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    out = tmp_path / "a.json"
    code, _, err = rai("audit", "toxicity", texts_csv, "--columns", "text", "--out", out)
    assert code == 0, err
    assert "warning: toxicity scored by profanity-check, not detoxify" in err and "--checkpoint FILE.ckpt" in err
    doc, m = metrics(out)
    backend = doc["sections"]["toxicity"]["backend"]
    assert backend["name"] == "profanity-check" and "no Detoxify weights" in backend["fallback_reason"]
    assert backend["fallback_reason"] in doc["warnings"]


@pytest.mark.slow
def test_generation_audit_is_seeded(rai, tmp_path, tiny_gpt2_dir, detox_checkpoint, detox_hf_dir):
    prompts = tmp_path / "prompts.csv"
    pd.DataFrame({"prompt": ["The man", "The woman", "He said", "She said"], "group": ["m", "f", "m", "f"]}).to_csv(
        prompts, index=False)
    args = ["audit", "toxicity", "--generator", tiny_gpt2_dir, "--prompts", prompts, "--group-column", "group",
            "--samples", "3", "--max-new-tokens", "4", "--checkpoint", detox_checkpoint, "--hf-config", detox_hf_dir,
            "--bootstrap", "100", "--seed", "5", "--examples", "12", "--quiet"]
    assert rai(*args, "--out", tmp_path / "a.json")[0] == 0
    assert rai(*args, "--out", tmp_path / "b.json")[0] == 0
    doc, m = metrics(tmp_path / "a.json")
    _, m2 = metrics(tmp_path / "b.json")
    assert {k: v["value"] for k, v in m.items()} == {k: v["value"] for k, v in m2.items()}
    sec = doc["sections"]["toxicity"]
    assert sec["mode"] == "generation" and sec["units"] == {"kind": "prompt", "count": 4, "samples_per_unit": 3,
                                                             "texts_scored": 12}
    top = sec["examples"]["items"]
    assert m["toxicity.expected_max"]["n"] == 4 and m["toxicity.rate"]["n"] == 12
    assert 0 <= m["toxicity.expected_max"]["value"] <= 1 and m["toxicity.expected_max"]["value"] <= top[0]["score"]
    assert m["toxicity.expected_max"]["ci"][0] <= m["toxicity.expected_max"]["value"] <= m["toxicity.expected_max"]["ci"][1]
    assert doc["subject"]["model"] == str(tiny_gpt2_dir)
    assert {r["group"] for r in sec["groups"]["rows"]} == {"m", "f"}
    # With every generation kept as an example, their scores reproduce EMT and Toxicity Probability.
    per_prompt = pd.DataFrame(top).groupby("row")["score"].max()
    assert len(top) == 12 and len(per_prompt) == 4
    assert m["toxicity.expected_max"]["value"] == pytest.approx(per_prompt.mean())
    assert m["toxicity.probability"]["value"] == pytest.approx((per_prompt >= 0.5).mean())


@pytest.mark.parametrize("argv, message", [
    (["--generator", "x", "--prompts", "p.csv", "t.csv"], cli.ERR_MODE),
    ([], cli.ERR_NO_INPUT),
    (["--generator", "x"], cli.ERR_NEED_PROMPTS),
    (["--prompts", "p.csv"], cli.ERR_PROMPTS_ALONE),
])
def test_inconsistent_modes_exit_2(rai, tmp_path, argv, message):
    code, _, err = rai("audit", "toxicity", *argv, "--out", tmp_path / "a.json")
    assert (code, err.strip()) == (2, f"rai: error: {message}")
    assert not (tmp_path / "a.json").exists()


def test_bad_inputs_exit_2_with_one_line(rai, tmp_path, texts_csv, detox_checkpoint, detox_hf_dir, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    empty = tmp_path / "empty.csv"
    pd.DataFrame({"text": ["", "  "]}).to_csv(empty, index=False)
    cases = {
        "missing column": ([texts_csv, "--columns", "body"], "missing column(s) body"),
        "no file": ([tmp_path / "nope.csv"], "file not found"),
        "no weights": ([texts_csv, "--backend", "detoxify"], "no Detoxify weights for model type 'original'"),
        "empty texts": ([empty, "--backend", "profanity-check"], "no non-empty text in column(s) text"),
        "threshold": ([texts_csv, "--threshold", "1.5"], "must be strictly between 0 and 1"),
        "bad device": ([texts_csv, "--checkpoint", detox_checkpoint, "--hf-config", detox_hf_dir, "--device", "tpu"],
                       "--device: unknown device 'tpu'"),
        "missing group": ([texts_csv, "--group-column", "sex", "--backend", "profanity-check"], "missing column(s) sex"),
    }
    for name, (argv, needle) in cases.items():
        out = tmp_path / f"{name}.json"
        code, _, err = rai("audit", "toxicity", *argv, "--out", out)
        assert code == 2, (name, err)
        assert needle in err and len(err.strip().splitlines()) == 1, (name, err)
        assert not out.exists()


def test_config_file_gives_the_same_settings(rai, tmp_path, texts_csv):
    config = tmp_path / "toxicity.yaml"
    config.write_text("columns: [text]\nbackend: profanity-check\nthreshold: 0.3\ngroup-column: g\nexamples: 2\n")
    out = tmp_path / "audit.json"
    code, _, err = rai("audit", "toxicity", texts_csv, "--config", config, "--out", out, "--quiet")
    assert code == 0, err
    doc, m = metrics(out)
    sec = doc["sections"]["toxicity"]
    assert (sec["threshold"], sec["backend"]["name"], len(sec["examples"]["items"])) == (0.3, "profanity-check", 2)
    assert "toxicity.max_group_gap" in m and doc["provenance"]["runs"][0]["config"]["threshold"] == 0.3
