"""The padding-free forward against each architecture's own padded forward, on tiny random models."""

import pytest
import torch
import transformers

from rai.audit.toxicity.packed import packed_logits, supports

SIZES = dict(vocab_size=60, hidden_size=32, num_hidden_layers=3, num_attention_heads=4, intermediate_size=48,
             max_position_embeddings=64, num_labels=5, pad_token_id=1,
             initializer_range=0.3)  # larger than the default: logits differ clearly between inputs
PACKABLE = {
    "Bert": {}, "Roberta": {}, "XLMRoberta": {}, "Camembert": {},
    "Albert": {"embedding_size": 16},  # one shared layer run three times
    "Albert-groups": {"embedding_size": 16, "num_hidden_layers": 4, "num_hidden_groups": 2, "inner_group_num": 2},
}


def tiny(arch: str, **overrides) -> torch.nn.Module:
    arch = arch.split("-")[0]
    config = getattr(transformers, f"{arch}Config")(**{**SIZES, **overrides})
    torch.manual_seed(0)
    return getattr(transformers, f"{arch}ForSequenceClassification")(config).eval()


def padded_logits(model, rows: list[list[int]], types: list[list[int]] | None = None) -> torch.Tensor:
    """The model's own forward on a right-padded batch with its attention mask."""
    width = max(map(len, rows))
    pad = lambda seqs, fill: torch.tensor([s + [fill] * (width - len(s)) for s in seqs])  # noqa: E731
    kwargs = {"token_type_ids": pad(types, 0)} if types is not None else {}
    return model(input_ids=pad(rows, 1), attention_mask=pad([[1] * len(r) for r in rows], 0), **kwargs).logits


@pytest.mark.parametrize("arch", PACKABLE)
def test_packed_logits_equal_the_padded_forward(arch):
    model = tiny(arch, **PACKABLE[arch])
    generator = torch.Generator().manual_seed(1)
    rows = [torch.randint(2, 60, (n,), generator=generator).tolist() for n in (7, 1, 40, 2, 19, 40)]
    with torch.inference_mode():
        expected = padded_logits(model, rows)
        got = packed_logits(model, rows)
    assert supports(model)
    assert got.shape == (len(rows), SIZES["num_labels"])
    assert expected.std(dim=0).min() > 1e-3  # the texts' logits differ: a real comparison
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)


def test_token_type_ids_are_used():
    model = tiny("Bert", type_vocab_size=2)
    rows = [[2, 5, 9, 3, 7, 8], [2, 11, 3, 4]]
    types = [[0, 0, 0, 0, 1, 1], [0, 0, 0, 1]]
    with torch.inference_mode():
        expected = padded_logits(model, rows, types)
        got = packed_logits(model, rows, types)
        untyped = packed_logits(model, rows)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)
    assert (untyped - got).abs().max() > 1e-2


def test_single_text_and_one_layer():
    model = tiny("Roberta", num_hidden_layers=1)
    with torch.inference_mode():
        torch.testing.assert_close(packed_logits(model, [[0, 9, 2]]), padded_logits(model, [[0, 9, 2]]), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("model", [
    pytest.param(lambda: tiny("DistilBert", dim=32, n_layers=2, n_heads=4, hidden_dim=48), id="distilbert"),
    pytest.param(lambda: tiny("Bert", is_decoder=True), id="bert-decoder"),
    pytest.param(lambda: transformers.BertModel(transformers.BertConfig(**SIZES)), id="bert-no-head"),
])
def test_other_models_are_not_packed(model):
    assert not supports(model())


def test_an_empty_token_sequence_is_refused():
    with pytest.raises(ValueError, match="at least one token"):
        packed_logits(tiny("Bert"), [[2, 5], []])


def test_the_scorer_runs_albert_padding_free_with_its_padded_scores(detox_hf_dir):
    """Detoxify's -small models are ALBERT: the scorer packs them too, to the padded form's scores."""
    from transformers import BertTokenizer

    from rai.audit.toxicity.base import BackendInfo
    from rai.audit.toxicity.scorer import DetoxifyScorer

    tokenizer = BertTokenizer.from_pretrained(detox_hf_dir)
    model = tiny("Albert", embedding_size=16, vocab_size=tokenizer.vocab_size, max_position_embeddings=128,
                 pad_token_id=tokenizer.pad_token_id).eval()
    labels = tuple(f"label{i}" for i in range(SIZES["num_labels"]))
    info = BackendInfo(name="detoxify", version=None, model="tiny albert", labels=labels, primary_label=labels[0],
                       max_length=64)
    scorer = DetoxifyScorer(model, tokenizer, labels, info, batch_size=3)
    texts = ["you are a bad man", "great film", "", "the movie was terrible and awful " * 20, "love", "i hate you"]
    assert scorer.padding_free
    packed = scorer.predict_all(texts)
    scorer.padding_free = False
    padded = scorer.predict_all(texts)
    assert packed.values.std(axis=0).mean() > 0.01 and packed.truncated.sum() == 1
    assert abs(packed.values - padded.values).max() < 1e-6
