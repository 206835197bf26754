"""The two toxicity audits: texts in a table, and generations of a causal LM from prompts.

Each takes loaded dependencies (a backend, a model) and a DataFrame, and returns a
`ToxicitySummary`; reading files and loading models is the caller's job (the CLI's).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from rai.audit.toxicity.backends import LoadedBackend
from rai.audit.toxicity.generation import GenerationSettings, generate_continuations
from rai.audit.toxicity.section import ScoredUnits, SummarySettings, ToxicitySummary, summarize
from rai.core.errors import InputError
from rai.core.io import check_columns

ERR_NO_TEXTS = "no non-empty text in column(s) {columns}"
ERR_MISSING_PROMPT = "prompt column {column!r} is empty at row {row}"
WARN_SKIPPED = "{n} empty cell(s) in column(s) {columns} were not scored"


def _groups(df: pd.DataFrame, column: str | None, rows: Sequence) -> list[str | None] | None:
    if column is None:
        return None
    values = df[column]
    return [None if pd.isna(values.loc[r]) else str(values.loc[r]) for r in rows]


def _present(value) -> bool:
    return not pd.isna(value) and bool(str(value).strip())


def audit_texts(df: pd.DataFrame, loaded: LoadedBackend, *, columns: Sequence[str], group_column: str | None = None,
                settings: SummarySettings = SummarySettings(), where: str = "input") -> ToxicitySummary:
    """Score every non-empty cell of `columns`; each cell is one unit (row, column)."""
    check_columns(list(df.columns), [*columns, *([group_column] if group_column else [])], where)
    cells = [(row, col) for col in columns for row, value in df[col].items() if _present(value)]
    skipped = len(df) * len(columns) - len(cells)
    if not cells:
        raise InputError(ERR_NO_TEXTS.format(columns=", ".join(columns)), where=where)
    texts = [str(df.at[row, col]) for row, col in cells]
    scored = loaded.backend.score(texts)
    units = ScoredUnits(
        values=scored.values[:, None, :], labels=scored.labels, texts=[[t] for t in texts],
        meta=[{"row": int(row), "column": col} for row, col in cells],
        groups=_groups(df, group_column, [row for row, _ in cells]), group_column=group_column,
        truncated=int(scored.truncated.sum()),
    )
    summary = summarize(units, loaded.backend.info, settings, fallback_reason=loaded.fallback_reason,
                        context={"input": {"columns": list(columns), "rows": len(df), "skipped_empty": skipped}})
    if skipped:
        summary.warnings.append(WARN_SKIPPED.format(n=skipped, columns=", ".join(columns)))
    return summary


def audit_generation(prompts: pd.DataFrame, loaded: LoadedBackend, model, tokenizer, *, prompt_column: str = "prompt",
                     group_column: str | None = None, generation: GenerationSettings = GenerationSettings(),
                     settings: SummarySettings = SummarySettings(), model_name: str | None = None,
                     where: str = "prompts") -> ToxicitySummary:
    """Sample k continuations per prompt, score them, and summarise per prompt (EMT, Toxicity Probability)."""
    check_columns(list(prompts.columns), [prompt_column, *([group_column] if group_column else [])], where)
    missing = [row for row, value in prompts[prompt_column].items() if pd.isna(value)]
    if missing:
        raise InputError(ERR_MISSING_PROMPT.format(column=prompt_column, row=missing[0]), where=where)
    texts = [str(p) for p in prompts[prompt_column]]
    continuations = generate_continuations(model, tokenizer, texts, generation)
    flat = [c for per_prompt in continuations for c in per_prompt]
    scored = loaded.backend.score(flat)
    k = generation.samples
    units = ScoredUnits(
        values=scored.values.reshape(len(texts), k, len(scored.labels)), labels=scored.labels, texts=continuations,
        meta=[{"row": int(row), "prompt": text} for row, text in zip(prompts.index, texts)], generation=True,
        groups=_groups(prompts, group_column, list(prompts.index)), group_column=group_column,
        truncated=int(np.sum(scored.truncated)),
    )
    context = {"generation": {"model": model_name, "prompts": len(texts), "samples": k,
                              "max_new_tokens": generation.max_new_tokens, "temperature": generation.temperature,
                              "top_p": generation.top_p, "top_k": None, "seed": generation.seed}}
    return summarize(units, loaded.backend.info, settings, fallback_reason=loaded.fallback_reason, context=context)
