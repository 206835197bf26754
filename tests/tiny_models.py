"""Tiny real Hugging Face models built from configs (no download): 2-layer BERT, RoBERTa and GPT-2.

Random weights, real architectures and real tokenizers, so tests run the real code paths in seconds.
"""

from __future__ import annotations

import string
from pathlib import Path

import torch

WORDS = (
    "the a an is was and or not of to in on for with he she his her him man woman men women boy girl "
    "male female white black asian year old never married divorced works hours week income good bad "
    "great terrible movie film love hate nice awful my account number secret email phone call me at"
).split()


def bert_vocab() -> list[str]:
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    chars = list(string.ascii_lowercase + string.digits + string.punctuation)
    return special + chars + ["##" + c for c in string.ascii_lowercase + string.digits] + WORDS


def make_tiny_bert(path: str | Path, *, num_labels: int = 2, seed: int = 0, max_position: int = 128) -> Path:
    """Save a random 2-layer BERT classifier (hidden 32) with a WordPiece tokenizer to `path`."""
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    # transformers 5: pass the vocabulary itself (a vocab_file argument keeps only the special tokens).
    tok = BertTokenizer(vocab={w: i for i, w in enumerate(bert_vocab())}, do_lower_case=True, model_max_length=max_position)
    config = BertConfig(vocab_size=len(bert_vocab()), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=37, max_position_embeddings=max_position, num_labels=num_labels,
                        hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    torch.manual_seed(seed)
    model = BertForSequenceClassification(config)
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path


def make_tiny_roberta(path: str | Path, *, num_labels: int = 2, seed: int = 0, max_length: int = 128) -> Path:
    """Save a random 2-layer RoBERTa classifier (hidden 32) with a byte-level BPE tokenizer (bytes only)."""
    from transformers import RobertaConfig, RobertaForSequenceClassification, RobertaTokenizer

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    vocab = {t: i for i, t in enumerate(["<s>", "<pad>", "</s>", "<unk>", "<mask>"])}
    for ch in _bytes_to_unicode().values():
        vocab.setdefault(ch, len(vocab))
    tok = RobertaTokenizer(vocab=vocab, merges=[], model_max_length=max_length)
    # RoBERTa positions start after the padding index: max_length + 2 position embeddings.
    config = RobertaConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                           intermediate_size=37, max_position_embeddings=max_length + 2, num_labels=num_labels,
                           pad_token_id=tok.pad_token_id, bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
                           hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    torch.manual_seed(seed)
    RobertaForSequenceClassification(config).save_pretrained(path)
    tok.save_pretrained(path)
    return path


def _bytes_to_unicode() -> dict[int, str]:
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def make_tiny_gpt2(path: str | Path, *, seed: int = 0) -> Path:
    """Save a random 2-layer GPT-2 (hidden 32) with a byte-level BPE tokenizer (bytes only, no merges)."""
    from transformers import GPT2Config, GPT2LMHeadModel, GPT2TokenizerFast

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers

    vocab = {ch: i for i, ch in enumerate(_bytes_to_unicode().values())}
    vocab["<|endoftext|>"] = len(vocab)
    backend = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    eos = "<|endoftext|>"
    tok = GPT2TokenizerFast(tokenizer_object=backend, bos_token=eos, eos_token=eos, unk_token=eos)
    config = GPT2Config(vocab_size=len(vocab), n_positions=256, n_embd=32, n_layer=2, n_head=2,
                        bos_token_id=len(vocab) - 1, eos_token_id=len(vocab) - 1)
    torch.manual_seed(seed)
    model = GPT2LMHeadModel(config)
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return path
