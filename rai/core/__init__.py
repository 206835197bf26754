"""The bottom layer: errors, I/O, config, progress and formatting that every layer shares.

It imports nothing else of the project (an import-linter contract in pyproject.toml checks it).
"""
