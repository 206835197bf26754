"""Sampling from a tiny random GPT-2: k continuations per prompt, seeded, only the new text."""

import pytest
import torch

from rai.audit.toxicity import GenerationSettings, generate_continuations
from rai.audit.toxicity.generation import ERR_TOO_LONG
from rai.core.errors import InputError
from rai.training.models import load_causal_lm

PROMPTS = ["The man said", "She was", ""]


@pytest.fixture(scope="module")
def lm(tiny_gpt2_dir):
    return load_causal_lm(tiny_gpt2_dir)


def test_k_continuations_per_prompt_seeded(lm):
    model, tok = lm
    settings = GenerationSettings(samples=4, max_new_tokens=6, seed=3)
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = generate_continuations(model, tok, PROMPTS, settings)
    assert torch.rand(1) == before  # the caller's random state is left alone
    assert [len(x) for x in a] == [4, 4, 4]
    assert a == generate_continuations(model, tok, PROMPTS, settings)
    assert a != generate_continuations(model, tok, PROMPTS, GenerationSettings(samples=4, max_new_tokens=6, seed=4))
    assert len(set(a[0])) > 1  # sampling, not greedy
    # Only the continuation: at most 6 new tokens, each one byte (one character at most) here.
    assert all(len(text) <= 6 for texts in a for text in texts)


def test_a_prompts_generations_do_not_depend_on_the_ones_after_it(lm):
    model, tok = lm
    settings = GenerationSettings(samples=3, max_new_tokens=5, seed=0)
    assert generate_continuations(model, tok, PROMPTS[:1], settings) == generate_continuations(model, tok, PROMPTS, settings)[:1]


def test_prompt_longer_than_the_context_is_an_input_error(lm):
    model, tok = lm
    with pytest.raises(InputError) as err:
        generate_continuations(model, tok, ["ok", "x" * 250], GenerationSettings(samples=1, max_new_tokens=10))
    assert str(err.value) == "--prompts: " + ERR_TOO_LONG.format(index=1, tokens=250, new=10, context=256)
