"""The Detoxify backend against the real `detoxify.Detoxify` class, on tiny checkpoints in its format."""

import argparse
import shutil
import socket

import numpy as np
import pytest
import torch
from detoxify import Detoxify
from detoxify.detoxify import MODEL_URLS

from rai.audit.toxicity import BackendOptions, BackendUnavailable, load_backend
from rai.audit.toxicity import detoxify_backend as D
from rai.core.errors import InputError
from rai.core.io import sha256_file


TEXTS = [
    "hello there", "you are a bad man", "the movie was terrible and awful " * 40, "", "great film",
    "i hate you", "She is a WOMAN!", "bad awful terrible", "call me at my phone", "nice " * 130, "a",
    "the old man and the boy never married", "love",
]


def detoxify_matrix(det: Detoxify, texts, batch: int) -> np.ndarray:
    """Detoxify.predict in fixed batches, as a (texts, class_names) matrix."""
    rows = []
    for s in range(0, len(texts), batch):
        out = det.predict(texts[s:s + batch])
        rows.append(np.array([np.atleast_1d(out[c]) for c in det.class_names]).T)
    return np.vstack(rows)


@pytest.fixture(scope="module")
def reference(detox_checkpoint, detox_hf_dir):
    return Detoxify(checkpoint=str(detox_checkpoint), huggingface_config_path=str(detox_hf_dir))


@pytest.fixture(scope="module")
def ours(detox_checkpoint, detox_hf_dir):
    return load_backend("detoxify", BackendOptions(checkpoint=detox_checkpoint, hf_config=detox_hf_dir, batch_size=4)).backend


@pytest.mark.parametrize("padding_free", [True, False])
def test_scores_equal_detoxify_predict(reference, ours, padding_free, monkeypatch):
    assert ours.padding_free and ours.info.details["forward"] == "padding-free"  # BERT runs padding-free by default
    monkeypatch.setattr(ours, "padding_free", padding_free)
    ref = detoxify_matrix(reference, TEXTS, batch=5)
    got = ours.predict_all(TEXTS)
    assert got.labels == tuple(reference.class_names) == ours.info.labels
    assert np.abs(got.values - ref).max() < 1e-6
    assert got.values.std(axis=0).min() > 0.01  # the tiny model's scores differ between texts: a real comparison
    assert np.abs(ours.score(TEXTS).values - ref).max() < 1e-6


def test_truncation_is_counted_and_matches_the_tokenizer(ours, reference):
    scored = ours.score(TEXTS)
    limit = ours.info.max_length
    assert limit == reference.tokenizer.model_max_length == 128
    lengths = [len(reference.tokenizer(t)["input_ids"]) for t in TEXTS]
    np.testing.assert_array_equal(scored.truncated, [n > limit for n in lengths])
    assert scored.truncated.sum() == 2


def test_batch_size_and_order_do_not_change_scores(detox_checkpoint, detox_hf_dir, ours):
    one = load_backend("detoxify", BackendOptions(checkpoint=detox_checkpoint, hf_config=detox_hf_dir, batch_size=1)).backend
    a = ours.score(TEXTS).values
    np.testing.assert_allclose(one.score(TEXTS).values, a, atol=1e-6)
    np.testing.assert_allclose(ours.score(TEXTS[::-1]).values[::-1], a, atol=1e-6)


@pytest.mark.parametrize("padding_free, expected", [
    (False, [[4], [1, 6], [3, 7, 2], [0, 5]]),  # padded: texts x the longest <= 200
    (True, [[4], [1, 6], [3, 7, 2, 0], [5]]),  # padding-free: the sum <= 200, at most 4 texts
])
def test_batches_are_sorted_and_token_bounded(ours, monkeypatch, padding_free, expected):
    lengths = [5, 100, 7, 60, 128, 3, 90, 9]
    monkeypatch.setattr(ours, "padding_free", padding_free)
    assert ours.max_batch_tokens == 4 * 128  # the default budget for batch_size 4
    assert [list(b) for b in ours.batches(lengths)] == [[4, 1, 6, 3], [7, 2, 0, 5]]
    monkeypatch.setattr(ours, "max_batch_tokens", 200)
    batches = ours.batches(lengths)
    assert [list(b) for b in batches] == expected
    assert sorted(i for b in batches for i in b) == list(range(8))
    empty = ours.score([])
    assert empty.values.shape == (0, len(ours.info.labels)) and empty.truncated.shape == (0,)


def test_roberta_checkpoint_scores_equal_detoxify_predict(detox_checkpoint_roberta, detox_roberta_dir):
    """The `unbiased` and `multilingual` releases are RoBERTa-family: positions start after the padding index."""
    reference = Detoxify(checkpoint=str(detox_checkpoint_roberta), huggingface_config_path=str(detox_roberta_dir))
    backend = load_backend("detoxify", BackendOptions(checkpoint=detox_checkpoint_roberta, hf_config=detox_roberta_dir,
                                                      batch_size=4)).backend
    assert backend.padding_free and backend.info.max_length == 128
    ref = detoxify_matrix(reference, TEXTS, batch=5)
    got = backend.predict_all(TEXTS)
    assert got.values.std(axis=0).mean() > 0.05  # scores differ between texts: a real comparison
    assert np.abs(got.values - ref).max() < 1e-6
    assert got.truncated.sum() == sum(len(reference.tokenizer(t)["input_ids"]) > 128 for t in TEXTS) > 0


def test_hub_name_in_checkpoint_loads_offline_with_hf_config(detox_checkpoint_hub_name, detox_hf_dir, monkeypatch):
    """detoxify itself asks the hub for the checkpoint's model_type first; we never do."""
    with pytest.raises(OSError):
        Detoxify(checkpoint=str(detox_checkpoint_hub_name), huggingface_config_path=str(detox_hf_dir))

    def no_network(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    backend = load_backend("detoxify", BackendOptions(checkpoint=detox_checkpoint_hub_name, hf_config=detox_hf_dir)).backend
    assert backend.info.details["base_model"] == "bert-base-uncased"
    # Same weights as detoxify would build from a local model_type: compare with such a copy.
    ck = torch.load(detox_checkpoint_hub_name, weights_only=True)
    ck["config"]["arch"]["args"]["model_type"] = str(detox_hf_dir)
    local = detox_checkpoint_hub_name.with_name("local.ckpt")
    torch.save(ck, local)
    ref = detoxify_matrix(Detoxify(checkpoint=str(local), huggingface_config_path=str(detox_hf_dir)), TEXTS, batch=32)
    assert np.abs(backend.predict_all(TEXTS).values - ref).max() < 1e-6


def test_hub_name_without_hf_config_is_a_clear_error(detox_checkpoint_hub_name):
    with pytest.raises(InputError) as err:
        load_backend("detoxify", BackendOptions(checkpoint=detox_checkpoint_hub_name))
    assert str(err.value) == D.ERR_NO_HF_CONFIG.format(model="bert-base-uncased")
    assert not isinstance(err.value, BackendUnavailable)  # an explicit --checkpoint never falls back


def test_foreign_local_path_in_checkpoint_needs_hf_config(tmp_path, detox_hf_dir, make_checkpoint):
    path = make_checkpoint(tmp_path / "foreign.ckpt", detox_hf_dir, ["toxic"], model_type="/home/trainer/bert-base")
    with pytest.raises(InputError) as err:
        load_backend("detoxify", BackendOptions(checkpoint=path))
    assert str(err.value) == D.ERR_NO_HF_CONFIG.format(model="/home/trainer/bert-base")
    assert load_backend("detoxify", BackendOptions(checkpoint=path, hf_config=detox_hf_dir)).backend.info.labels == ("toxicity",)


def test_identity_outputs_are_not_toxicity_labels(detox_checkpoint_unbiased, detox_hf_dir):
    backend = load_backend("detoxify", BackendOptions(checkpoint=detox_checkpoint_unbiased, hf_config=detox_hf_dir)).backend
    assert backend.info.labels == ("toxicity", "severe_toxicity", "obscene", "identity_attack", "insult", "threat",
                                   "sexual_explicit")
    assert backend.info.details["other_outputs"] == ["male", "female"]
    # The 6-output config.json of --hf-config does not matter: num_labels comes from the checkpoint.
    reference = Detoxify(checkpoint=str(detox_checkpoint_unbiased))  # model_type is the local folder
    assert np.abs(backend.predict_all(TEXTS).values - detoxify_matrix(reference, TEXTS, batch=4)).max() < 1e-6


@pytest.fixture
def hub_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    assert torch.hub.get_dir() == str(tmp_path / "torch" / "hub")
    return tmp_path / "torch" / "hub" / "checkpoints"


def test_named_model_type_without_weights_is_unavailable(hub_dir):
    with pytest.raises(BackendUnavailable) as err:
        load_backend("detoxify", BackendOptions(model_type="unbiased"))
    expected_path = hub_dir / MODEL_URLS["unbiased"].rsplit("/", 1)[-1]
    assert str(err.value) == D.ERR_NO_WEIGHTS.format(model_type="unbiased", path=expected_path)


def test_named_model_type_loads_from_the_hub_cache(hub_dir, detox_checkpoint, monkeypatch):
    hub_dir.mkdir(parents=True)
    name = f"toxic_tiny-{sha256_file(detox_checkpoint)[:8]}.ckpt"
    shutil.copy(detox_checkpoint, hub_dir / name)
    monkeypatch.setitem(MODEL_URLS, "original", f"https://example.invalid/{name}")
    backend = load_backend("detoxify", BackendOptions()).backend
    assert backend.info.model == "original" and backend.info.labels[0] == "toxicity"
    (hub_dir / name).write_bytes((hub_dir / name).read_bytes()[:-1] + b"x")
    with pytest.raises(InputError, match="does not match the hash in its name"):
        load_backend("detoxify", BackendOptions(model_type="original"))


def test_model_types_match_detoxify():
    assert D.MODEL_TYPES == tuple(MODEL_URLS)
    with pytest.raises(InputError, match="unknown Detoxify model type"):
        load_backend("detoxify", BackendOptions(model_type="huge"))


def test_checkpoint_needing_pickle_requires_trust(tmp_path, detox_hf_dir, make_checkpoint):
    path = make_checkpoint(tmp_path / "pickled.ckpt", detox_hf_dir, ["toxic", "insult"],
                           extra={"hparams": argparse.Namespace(lr=1e-5)})
    with pytest.raises(InputError) as err:
        load_backend("detoxify", BackendOptions(checkpoint=path, hf_config=detox_hf_dir))
    assert str(err.value) == f"{path}: {D.ERR_UNSAFE}"
    trusted = load_backend("detoxify", BackendOptions(checkpoint=path, hf_config=detox_hf_dir, trust_checkpoint=True))
    assert trusted.backend.info.labels == ("toxicity", "insult")


def test_bad_checkpoints_are_input_errors(tmp_path, detox_hf_dir, detox_checkpoint):
    def err(path, **kw):
        with pytest.raises(InputError) as e:
            load_backend("detoxify", BackendOptions(checkpoint=path, hf_config=detox_hf_dir, **kw))
        return str(e.value)

    assert err(tmp_path / "none.ckpt") == f"{tmp_path / 'none.ckpt'}: {D.ERR_NO_CHECKPOINT}"
    (tmp_path / "junk.ckpt").write_bytes(b"not a checkpoint")
    assert err(tmp_path / "junk.ckpt").endswith(D.ERR_UNREADABLE.format(reason=D.ERR_NOT_TORCH))
    assert err(tmp_path / "junk.ckpt", trust_checkpoint=True).endswith(D.ERR_UNREADABLE.format(reason=D.ERR_NOT_TORCH))
    torch.save({"state_dict": {}}, tmp_path / "plain.ckpt")
    assert err(tmp_path / "plain.ckpt").endswith(D.ERR_NOT_DETOXIFY)
    ck = torch.load(detox_checkpoint, weights_only=True)
    del ck["state_dict"]["bert.encoder.layer.1.output.dense.weight"]
    torch.save(ck, tmp_path / "partial.ckpt")
    assert err(tmp_path / "partial.ckpt").endswith(D.ERR_MISSING_WEIGHTS.format(
        n=1, model_name="BertForSequenceClassification", example="bert.encoder.layer.1.output.dense.weight"))
    assert err(detox_checkpoint, model_type="original") == D.ERR_BOTH.join(["--checkpoint: ", ""])
    assert err(detox_checkpoint, max_length=4096) == "--max-length: " + D.ERR_MAX_LENGTH_LARGE.format(value=4096, limit=128)
    assert err(detox_checkpoint, device="cuda:7") == "--device: device 'cuda:7' is not available on this machine"
    with pytest.raises(InputError, match="not a Hugging Face config directory"):
        load_backend("detoxify", BackendOptions(checkpoint=detox_checkpoint, hf_config=tmp_path))
