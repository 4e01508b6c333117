"""Building blocks for public checks and hidden tests.

Every check looks at a student's answer in the same order: its *type*, then its
*shape*, then its *values*, and stops at the first problem with a sentence that
says what was expected. Values are always converted to float arrays before they
are compared, so an object that claims to equal everything cannot pass.

Topic-specific checks (``helpers.checks.a01_gelu_gradient_descent`` and so on) are built from these.
"""

from __future__ import annotations

import contextlib
import numbers
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "CheckFailed",
    "as_float_array",
    "bracket_points",
    "call_quietly",
    "check_shapes",
    "describe_brackets",
    "expect_bool",
    "expect_callable",
    "expect_close",
    "expect_raises_value_error",
    "expect_shape",
    "expect_shape_hint",
    "expect_type",
    "expect_whole_number",
    "not_handed_in",
    "passed",
    "quiet",
]


class CheckFailed(AssertionError):
    """A check found a problem; the message says what was expected and what was found."""


class TamperingDetected(CheckFailed):
    """An answer tries to fool the comparison (an object of the notebook's own class, with its own ``==``)."""


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence NumPy floating-point warnings and Python warnings inside the block.

    nbgrader scores a test cell zero when it writes to stderr. A correct answer
    such as ``1 / (1 + np.exp(-x))`` warns about overflow for very negative
    ``x`` while still returning the right value, so checks call student code
    inside this block and judge only the values.
    """
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def call_quietly(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call ``fn(*args, **kwargs)`` inside :func:`quiet`."""
    with quiet():
        return fn(*args, **kwargs)


def call_strictly(fn: Callable[..., Any], *args: Any, task: str, hint: str = "") -> Any:
    """``fn(*args)`` with any warning, and NumPy's overflow, division by zero and invalid operation, turned into a
    :class:`CheckFailed` naming ``task`` (for answers that must be numerically stable; underflow to 0 is fine)."""
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
        warnings.simplefilter("error")
        try:
            return fn(*args)
        except (FloatingPointError, RuntimeWarning) as error:
            raise CheckFailed(f"`{task}` is not numerically stable here: {error}." + _hint(hint)) from error


def unchanged(before: Any, after: Any) -> bool:
    """Whether ``after`` still holds exactly what ``before`` (a deep copy taken before a call) holds: the same type,
    arrays and tensors of the same shape, dtype and values (NaN equal to NaN), dicts, lists and tuples entry by
    entry. How the graders tell that a student's function wrote into an argument or a cache."""
    if type(before) is not type(after):
        return False
    if isinstance(before, np.ndarray):
        return (before.shape == after.shape and before.dtype == after.dtype
                and bool(np.array_equal(before, after, equal_nan=before.dtype.kind in "fc")))
    if type(before).__module__ == "torch" and hasattr(before, "shape"):  # a tensor (torch imported only if used)
        import torch

        return before.shape == after.shape and before.dtype == after.dtype and bool(torch.equal(before, after))
    if isinstance(before, dict):
        return before.keys() == after.keys() and all(unchanged(before[k], after[k]) for k in before)
    if isinstance(before, list | tuple):
        return len(before) == len(after) and all(unchanged(u, v) for u, v in zip(before, after))
    try:
        return bool(before == after) or (before != before and after != after)  # NaN stays NaN
    except Exception:  # noqa: BLE001 - an object without a plain comparison: not judged
        return True


def expect_unchanged(task: str, before: dict[str, Any], after: dict[str, Any]) -> None:
    """Fail naming the first input that ``task`` changed in place (``before`` holds copies made before the call)."""
    for name, old in before.items():
        if not np.array_equal(old, after[name]):
            raise CheckFailed(f"`{task}` changed its input `{name}` in place; compute new arrays instead "
                              "(`x = x * 2`, not `x *= 2`).")


def passed(what: str) -> None:
    """Print a one-line success message (to stdout, never stderr)."""
    print(f"[ok] {what}")


def check_shapes(*expected: tuple[Any, tuple[int | None, ...], str]) -> None:
    """Check the shape of each ``(value, shape, name)`` and print one ``[ok]`` line (None in a shape: any size).

    For answers whose values only the hidden tests can judge without giving them away.
    """
    found = [f"{name} {tuple(expect_shape(value, shape, name).shape)}" for value, shape, name in expected]
    passed("shapes: " + ", ".join(found) + " (the values are graded by hidden tests)")


def not_handed_in(file: str, instead: str) -> None:
    """Say in one line of the graded output that the weight ``file`` is missing (or could not be loaded), and what
    is graded instead."""
    problem = "could not be loaded" if Path(file).exists() else "was not handed in with the notebook"
    print(f"[missing] {file} {problem}, so the grader scored {instead} instead. Train outside the autograder and "
          f"hand in {file} for your own results to count.")


def bracket_points(accuracy: float, brackets: Sequence[tuple[float, float]], strict: bool = False) -> float:
    """The points of the first bracket (threshold, points) whose threshold ``accuracy`` reaches, else 0.

    ``brackets`` holds (threshold, points) pairs, e.g. [(0.90, 2), (0.88, 1.5), (0.85, 1)], in any order. With
    ``strict`` the accuracy must be above the threshold (exactly 0.90 falls to the next bracket), otherwise at
    least equal to it.
    """
    for threshold, points in sorted(brackets, reverse=True):
        if accuracy > threshold or (not strict and accuracy == threshold):
            return float(points)
    return 0.0


def describe_brackets(brackets: Sequence[tuple[float, float]], strict: bool = False) -> str:
    """The brackets in words, e.g. '>= 90 %: 2 pts, >= 88 %: 1.5 pts' ('> 90 %: ...' with ``strict``)."""
    sign = ">" if strict else ">="
    return ", ".join(f"{sign} {100 * t:g} %: {p:g} pts" for t, p in sorted(brackets, reverse=True))


def _describe(value: Any) -> str:
    kind = type(value).__name__
    if isinstance(value, np.ndarray):
        return f"a NumPy array of shape {value.shape} and dtype {value.dtype}"
    return f"a value of type {kind}"


def expect_callable(fn: Any, name: str) -> None:
    """Fail unless ``fn`` is a function (or other callable)."""
    if not callable(fn):
        raise CheckFailed(f"`{name}` should be a function, but it is {_describe(fn)}.")


def expect_type(value: Any, types: type | tuple[type, ...], name: str) -> None:
    """Fail unless ``value`` is an instance of ``types``."""
    if not isinstance(value, types):
        names = " or ".join(t.__name__ for t in (types if isinstance(types, tuple) else (types,)))
        raise CheckFailed(f"`{name}` should be {names}, but it is {_describe(value)}.")


def as_float_array(value: Any, name: str) -> np.ndarray:
    """Convert a number, a sequence of numbers, a NumPy array or a torch tensor to a float64 array.

    Strings, ``None``, booleans and arbitrary objects are refused with a message.
    """
    own = [cls.__name__ for cls in type(value).__mro__ if cls.__module__ == "__main__"]
    if own:  # numbers and arrays of the notebook's own making: a == that always says yes, say
        raise TamperingDetected(f"`{name}` is an object of the notebook's own class `{own[0]}`; answers are plain "
                                "numbers, NumPy arrays or torch tensors.")
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch tensor
        value = value.detach().cpu().numpy()
    if isinstance(value, (bool, np.bool_)) or value is None or isinstance(value, (str, bytes)):
        raise CheckFailed(f"`{name}` should be a number or an array of numbers, but it is {_describe(value)}.")
    if not isinstance(value, (numbers.Number, np.ndarray, np.generic, Sequence)):
        raise CheckFailed(f"`{name}` should be a number or an array of numbers, but it is {_describe(value)}.")
    try:
        with quiet():
            # a fresh contiguous copy: never a view of the student's array (torch refuses negative strides)
            array = np.array(value, dtype=np.float64, order="C", copy=True)
    except (TypeError, ValueError) as error:
        raise CheckFailed(
            f"`{name}` should contain only numbers, but it could not be read as numbers ({error})."
        ) from None
    return array


def expect_shape(value: Any, shape: tuple[int | None, ...], name: str) -> np.ndarray:
    """Convert ``value`` to a float array and fail unless its shape is ``shape``.

    ``None`` in ``shape`` accepts any size along that axis. Returns the array.
    """
    array = as_float_array(value, name)
    ok = array.ndim == len(shape) and all(e is None or e == a for e, a in zip(shape, array.shape))
    if not ok:
        wanted = "a single number" if shape == () else f"shape {shape}"
        raise CheckFailed(f"`{name}` should have {wanted}, but it has shape {array.shape}.")
    return array


def expect_close(
    actual: Any,
    expected: Any,
    name: str,
    *,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    hint: str = "",
) -> None:
    """Fail unless ``actual`` has the shape of ``expected`` and values close to it.

    ``expected`` comes from an independent computation (an oracle), never from
    the reference solution. NaN in ``actual`` is always a failure.
    """
    wanted = np.asarray(expected, dtype=np.float64)
    got = expect_shape(actual, wanted.shape, name)
    if not np.all(np.isfinite(got)):
        where = tuple(int(i) for i in np.argwhere(~np.isfinite(got))[0]) if got.ndim else ()
        raise CheckFailed(f"`{name}` contains a value that is not finite (NaN or inf) at index {where}." + _hint(hint))
    close = np.isclose(got, wanted, rtol=rtol, atol=atol)
    if not np.all(close):
        if got.ndim == 0:
            raise CheckFailed(f"`{name}` is {got.item():.10g}, but it should be {wanted.item():.10g}." + _hint(hint))
        index = tuple(int(i) for i in np.argwhere(~close)[0])
        count = int(np.sum(~close))
        raise CheckFailed(
            f"`{name}` has {count} wrong value(s) out of {got.size}; the first is at index {index}: "
            f"{got[index]:.10g} where {wanted[index]:.10g} was expected." + _hint(hint)
        )


def _hint(hint: str) -> str:
    return f" Hint: {hint}" if hint else ""


def expect_whole_number(value: Any, want: int, name: str, hint: str = "") -> None:
    """Fail unless ``value`` is a single number equal to the whole number ``want``."""
    got = expect_shape(value, (), name)
    if not np.isfinite(got) or got != want:
        extra = f" Hint: {hint}" if hint else ""
        raise CheckFailed(f"`{name}` is {got.item():.10g}, but it should be {want}.{extra}")


def expect_int(value: Any, want: int, name: str, hint: str = "") -> None:
    """Fail unless ``value`` is an int or a NumPy integer (not a bool, not a float holding a whole number) equal to
    the whole number ``want``."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
        raise CheckFailed(f"`{name}` is {value!r:.40}, a value of type {type(value).__name__}; it should be an int "
                          "(sizes count pixels: use // or int(...)).")
    expect_whole_number(value, want, name, hint)


def expect_shape_hint(value: Any, shape: tuple[int | None, ...], name: str, hint: str) -> np.ndarray:
    """:func:`expect_shape` whose failure message ends with a hint."""
    try:
        return expect_shape(value, shape, name)
    except CheckFailed as error:
        raise CheckFailed(f"{error} Hint: {hint}") from None


def expect_bool(value: Any, want: bool, name: str, hint: str = "") -> None:
    """Fail unless ``value`` is a boolean (Python or NumPy) equal to ``want``."""
    if not isinstance(value, (bool, np.bool_)):
        raise CheckFailed(
            f"`{name}` should be True or False, but it is a value of type {type(value).__name__}."
        )
    if bool(value) != want:
        extra = f" Hint: {hint}" if hint else ""
        raise CheckFailed(f"`{name}` is {bool(value)}, but it should be {want}.{extra}")


def expect_raises_value_error(fn: Callable[..., Any], args: tuple, name: str, hint: str = "") -> None:
    """Fail unless ``fn(*args)`` raises ``ValueError``."""
    try:
        call_quietly(fn, *args)
    except ValueError:
        return
    extra = f" Hint: {hint}" if hint else ""
    raise CheckFailed(f"`{name}` should raise ValueError, but it returned normally.{extra}")


@contextlib.contextmanager
def stand_in_for(fn: Any, name: str, stand_in: Any) -> Iterator[None]:
    """Inside the block, the function ``fn`` finds ``stand_in`` under the global name ``name`` (put back after).

    A check of one task that calls another of your functions by name (``error_rate`` calls ``edit_distance``)
    runs it with a stand-in for the other one, so that each check judges its own task.
    """
    namespace = getattr(fn, "__globals__", None)
    if not isinstance(namespace, dict):
        yield
        return
    missing = object()
    before = namespace.get(name, missing)
    namespace[name] = stand_in
    try:
        yield
    finally:
        if before is missing:
            namespace.pop(name, None)
        else:
            namespace[name] = before
