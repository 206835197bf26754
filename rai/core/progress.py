"""Progress bars that show on a terminal and stay quiet in CI logs or with --quiet."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import Any, TypeVar

from tqdm.auto import tqdm

from rai.core.errors import printable

T = TypeVar("T")

_QUIET = False


def set_quiet(quiet: bool) -> None:
    """Called once by the CLI from --quiet."""
    global _QUIET
    _QUIET = bool(quiet)


def enabled() -> bool:
    return not _QUIET and sys.stderr.isatty() and os.environ.get("CI", "").lower() not in ("1", "true")


def progress(iterable: Iterable[T] | None = None, *, total: int | None = None, desc: str = "", unit: str = "it", **kwargs: Any) -> "tqdm[T]":
    """A tqdm bar on stderr, disabled unless stderr is a terminal (and not --quiet, not CI)."""
    return tqdm(iterable, total=total, desc=desc, unit=unit, disable=not enabled(), file=sys.stderr, leave=False, dynamic_ncols=True, **kwargs)


def say(message: str) -> None:
    """A status line on stderr, suppressed by --quiet."""
    if not _QUIET:
        print(printable(message), file=sys.stderr, flush=True)
