"""Sample continuations from a causal LM, k per prompt, reproducibly (RealToxicityPrompts / BOLD style).

Each prompt gets its own seed (derived from the run seed and the prompt's position), so a
prompt's generations depend only on the seed, its position and its text: not on the prompts
after it, nor on how generation is batched.
Only the continuation is returned and scored, as in RealToxicityPrompts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rai.core.errors import InputError
from rai.core.progress import progress

ERR_TOO_LONG = ("prompt {index} has {tokens} tokens; with --max-new-tokens {new} it exceeds the model's "
                "context of {context} tokens (shorten the prompt or lower --max-new-tokens)")
ERR_EMPTY_PROMPT = "prompt {index} is empty and the tokenizer has no beginning-of-text token to start from"


@dataclass(frozen=True)
class GenerationSettings:
    samples: int = 25
    max_new_tokens: int = 20
    temperature: float = 1.0
    top_p: float = 0.9
    seed: int = 0


def prompt_seed(seed: int, index: int) -> int:
    """A per-prompt seed: stable, distinct per prompt, within torch's 64-bit range."""
    return (seed * 1_000_003 + index) % (2**63 - 1)


def _encode_prompt(tokenizer, prompt: str, index: int, max_new_tokens: int, context: int | None):
    import torch

    ids = tokenizer(str(prompt), return_tensors="pt")["input_ids"]
    if ids.shape[1] == 0:  # an empty prompt: unconditional generation from the start-of-text token
        if tokenizer.bos_token_id is None:
            raise InputError(ERR_EMPTY_PROMPT.format(index=index), where="--prompts")
        ids = torch.tensor([[tokenizer.bos_token_id]])
    if context is not None and ids.shape[1] + max_new_tokens > context:
        raise InputError(ERR_TOO_LONG.format(index=index, tokens=ids.shape[1], new=max_new_tokens, context=context),
                         where="--prompts")
    return ids


def generate_continuations(model, tokenizer, prompts: Sequence[str], settings: GenerationSettings) -> list[list[str]]:
    """`settings.samples` sampled continuations of each prompt (text after the prompt, special tokens removed)."""
    import torch
    from transformers import GenerationConfig

    config = GenerationConfig(
        do_sample=True, temperature=settings.temperature, top_p=settings.top_p, top_k=0,  # nucleus sampling only
        max_new_tokens=settings.max_new_tokens, num_return_sequences=settings.samples,
        pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
    )
    device = next(model.parameters()).device
    context = getattr(model.config, "max_position_embeddings", None)
    out: list[list[str]] = []
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []), torch.inference_mode():
        for i, prompt in enumerate(progress(prompts, desc="generating", unit="prompt")):
            ids = _encode_prompt(tokenizer, prompt, i, settings.max_new_tokens, context).to(device)
            torch.manual_seed(prompt_seed(settings.seed, i))
            generated = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), generation_config=config)
            new_tokens = generated[:, ids.shape[1]:]
            out.append(tokenizer.batch_decode(new_tokens, skip_special_tokens=True))
    return out
