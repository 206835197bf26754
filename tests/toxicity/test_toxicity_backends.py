"""The profanity-check backend and the backend registry's `auto` fallback."""

import pytest

from rai.audit.toxicity import AUTO, BACKEND_CHOICES, BackendOptions, load_backend
from rai.audit.toxicity import backends as B
from rai.audit.toxicity import detoxify_backend as D
from rai.audit.toxicity.profanity_backend import ERR_NOT_INSTALLED
from rai.core.errors import InputError


@pytest.fixture
def no_hub_weights(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))


def test_profanity_check_on_clear_cases():
    loaded = load_backend("profanity-check", BackendOptions())
    assert loaded.fallback_reason is None
    info = loaded.backend.info
    assert (info.name, info.labels, info.primary_label) == ("profanity-check", ("profanity",), "profanity")
    assert info.version
    scored = loaded.backend.score(["you are a fucking idiot", "shit, this is crap", "have a nice day",
                                   "the weather is lovely today"])
    assert scored.values.shape == (4, 1) and not scored.truncated.any()
    assert scored.values[:2, 0].min() > 0.9 and scored.values[2:, 0].max() < 0.2


def test_auto_uses_detoxify_when_weights_load(detox_checkpoint, detox_hf_dir):
    loaded = load_backend(AUTO, BackendOptions(checkpoint=detox_checkpoint, hf_config=detox_hf_dir))
    assert loaded.backend.info.name == "detoxify" and loaded.fallback_reason is None


def test_auto_falls_back_to_profanity_check_with_a_reason(no_hub_weights):
    loaded = load_backend(AUTO, BackendOptions())
    assert loaded.backend.info.name == "profanity-check"
    assert loaded.fallback_reason.startswith("toxicity scored by profanity-check, not detoxify: detoxify: no Detoxify weights")


def test_auto_never_hides_a_broken_checkpoint(tmp_path):
    with pytest.raises(InputError, match="checkpoint file not found"):
        load_backend(AUTO, BackendOptions(checkpoint=tmp_path / "missing.ckpt"))


def test_no_backend_can_load_is_one_clear_error(no_hub_weights, monkeypatch):
    def unavailable(options):
        raise B.BackendUnavailable(ERR_NOT_INSTALLED)

    monkeypatch.setitem(B.BACKENDS, "profanity-check", unavailable)
    with pytest.raises(InputError) as err:
        load_backend(AUTO, BackendOptions())
    text = str(err.value)
    assert text.startswith("--backend: no toxicity backend could load (detoxify: no Detoxify weights")
    assert f"profanity-check: {ERR_NOT_INSTALLED}" in text
    assert "--checkpoint FILE.ckpt --hf-config DIR" in text


def test_detoxify_without_weights_says_how_to_provide_them(no_hub_weights):
    with pytest.raises(InputError) as err:
        load_backend("detoxify", BackendOptions())
    assert "rai never downloads" in str(err.value) and "--checkpoint FILE.ckpt --hf-config DIR" in str(err.value)


def test_unknown_backend_is_an_error():
    assert BACKEND_CHOICES == ("detoxify", "profanity-check", "auto")
    with pytest.raises(InputError, match="unknown toxicity backend 'perspective'"):
        load_backend("perspective", BackendOptions())


def test_class_name_changes_are_detoxifys(detox_checkpoint, detox_hf_dir):
    from detoxify import Detoxify

    det = Detoxify(checkpoint=str(detox_checkpoint), huggingface_config_path=str(detox_hf_dir))
    ours = load_backend("detoxify", BackendOptions(checkpoint=detox_checkpoint, hf_config=detox_hf_dir)).backend
    assert list(ours.class_names) == det.class_names
    assert set(D.CLASS_NAME_CHANGES.values()) <= set(D.TOXICITY_LABELS)
