"""The `rai` command: a thin composition root over training/, audit/ and reports/."""
