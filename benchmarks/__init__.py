"""Performance and accuracy scripts (run as `python benchmarks/NAME.py`).

A regular package, so that `benchmarks.pii_eval` resolves to this folder before the top-level
`benchmarks` package that Opacus installs into site-packages.
"""
