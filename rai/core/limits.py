"""Upper bounds of every size flag, in one place, with the reason for each (issue 12).

A size flag sets how much memory or time a command spends. Without a bound, a typo
(`--n-boot 100000000000`) asks numpy for terabytes or runs for days and leaves a half-made
output behind; with one, the command stops at once with exit 2 and names the limit. Each bound
sits far above any setting a result needs, so only mistakes and abuse reach it.
"""

from __future__ import annotations

# --- resampling (fairness, counterfactual, privacy, toxicity) ---------------------------------
# With 10,000 resamples the Monte Carlo error of a 95 % interval's end is about 0.16 % in coverage
# (sqrt(0.025 x 0.975 / 10,000)); the bootstrap arrays grow linearly (8 bytes x resamples x groups x cells).
MAX_BOOTSTRAP = 100_000

# --- models: tokens and batches ----------------------------------------------------------------
MAX_LENGTH_TOKENS = 8_192  # the longest context of common encoder classifiers (ModernBERT); MiniLM takes 512
MAX_BATCH_SIZE = 4_096  # texts in memory at once (scoring, a physical training batch)
MAX_BATCH_TOKENS = MAX_BATCH_SIZE * 256  # tokens computed per scoring batch
MAX_LOGICAL_BATCH_SIZE = 1_000_000  # DP-SGD's expected batch (sampling rate q = batch / n): large in the literature, never in memory

# --- training -----------------------------------------------------------------------------------
MAX_EPOCHS = 1_000
MAX_CANARIES = 10_000  # secret-bearing rows added to the training data; exposure needs a handful (Carlini et al. 2019)
MAX_AUDIT_CANARIES = 10_000  # one-run audit canaries: past a few thousand the bound falls again (its delta term grows with m)

# --- privacy audit --------------------------------------------------------------------------------
MAX_CANARY_CANDIDATES = 100_000  # secrets scored per canary, one forward pass each; resolves log2(100,001) = 17 bits of exposure
MAX_PROBE_FOLDS = 100

# --- toxicity generation ------------------------------------------------------------------------
MAX_SAMPLES = 1_000  # generations per prompt (RealToxicityPrompts uses 25)
MAX_NEW_TOKENS = 4_096

# --- examples kept in an audit result -----------------------------------------------------------
MAX_EXAMPLES = 1_000  # example findings or texts per audit; the report shows a handful
MAX_EXAMPLE_CHARS = 10_000

# --- PII scan -----------------------------------------------------------------------------------------
MAX_WORKERS = 256  # worker processes; each holds a scanner and a chunk
MAX_CHUNK_ROWS = 1_000_000  # rows read into memory at once: 100x the default, about 200 MB of typical text
