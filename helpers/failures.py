"""Short failures in the notebook: the sentence that matters, not a traceback through the course's code.

Importing :mod:`helpers` in a Jupyter kernel installs :func:`show_failure` as IPython's handler of exceptions:

- a failed check (:class:`helpers.checks.CheckFailed`) shows one block: which check failed and its message
  (what was checked, what was expected, what came back);
- a task not done yet (the release's stub raises ``NotImplementedError("Task 'gelu' is not done yet ...")``)
  shows that sentence;
- any other error shows IPython's usual traceback without the frames of the course's own code (``helpers``,
  ``instructor``): the student's lines and the library call that failed stay.

The cell still ends in an error (nbgrader still scores it zero; the Validate dialog lists it). The full traceback
is one step away: ``%tb`` in a new cell, or ``COURSE_FULL_TRACEBACKS=1`` in the environment for all of them.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from types import TracebackType
from typing import Any

ENV_FULL = "COURSE_FULL_TRACEBACKS"
_COURSE_CODE = tuple(str(Path(__file__).resolve().parents[1] / part) + os.sep for part in ("helpers", "instructor"))
_RED, _BOLD, _RESET = "\x1b[31m", "\x1b[1m", "\x1b[0m"
_TASK = re.compile(r"^Task '[^']+' is not done yet")
_NAMED = re.compile(r"`([^`]+)`")
FOOTER = "(the full traceback: %tb in a new cell)"


def full_tracebacks() -> bool:
    """Whether the student asked for IPython's full tracebacks (``COURSE_FULL_TRACEBACKS=1``)."""
    return os.environ.get(ENV_FULL, "").strip().lower() in {"1", "true", "yes", "on"}


def _is_course_code(filename: str) -> bool:
    return str(Path(filename).resolve()).startswith(_COURSE_CODE) if filename.startswith(os.sep) else False


def without_course_frames(tb: TracebackType | None) -> TracebackType | None:
    """The traceback ``tb`` less its frames in ``helpers`` and ``instructor`` (new objects; ``tb`` is unchanged)."""
    frames = []
    while tb is not None:
        if not _is_course_code(tb.tb_frame.f_code.co_filename):
            frames.append(tb)
        tb = tb.tb_next
    chain = None
    for kept in reversed(frames):
        chain = TracebackType(chain, kept.tb_frame, kept.tb_lasti, kept.tb_lineno)
    return chain


def short_block(etype: type[BaseException], value: BaseException) -> list[str] | None:
    """The lines shown for a failed check or an unfinished task; None for any other error."""
    from helpers.checks import CheckFailed

    message = str(value)
    if issubclass(etype, CheckFailed):
        named = _NAMED.search(message)
        title = f"Check failed: {named.group(1)}" if named else "Check failed"
    elif issubclass(etype, NotImplementedError) and _TASK.match(message):
        title = "Not done yet"
    else:
        return None
    return [f"{_RED}{_BOLD}{title}{_RESET}", message, FOOTER]


def show_failure(shell: Any, etype: type[BaseException], value: BaseException, tb: TracebackType | None,
                 tb_offset: int | None = None) -> None:
    """IPython's custom exception handler: sends the cell's error (short) and keeps the full one for ``%tb``."""
    sys.last_type, sys.last_value, sys.last_traceback = etype, value, tb
    sys.last_exc = value  # Python 3.12+ reads this one
    lines = None if full_tracebacks() else short_block(etype, value)
    if lines is None:
        shown = tb if full_tracebacks() else without_course_frames(tb)
        lines = shell.InteractiveTB.structured_traceback(etype, value, shown, tb_offset=tb_offset)
    shell._showtraceback(etype, value, lines)


def install() -> None:
    """Make :func:`show_failure` the kernel's handler of exceptions (once per kernel; nothing outside IPython)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "_showtraceback") or getattr(shell, "_course_short_failures", False):
        return
    shell.set_custom_exc((Exception,), show_failure)
    shell._course_short_failures = True
