"""Tamper checks, run inside the kernel that grades a submission (set up by :mod:`instructor.execute`).

Before the first cell of a submission runs, :func:`snapshot` takes the grader's own references to what the hidden
tests rely on: the functions of ``builtins``, ``math``, NumPy, PyTorch, ``helpers.checks`` (the comparisons) and
the assignment's grading module, IPython's event callbacks and input/AST transformers, the trace and profile hooks.
It also installs an audit hook (which Python lets no code remove) that notes every file opened inside the course
but outside the submission's own folder. After each test cell, :func:`verify` raises :class:`TamperingDetected`
naming what changed; the grader then scores that cell zero and flags the submission.

These checks stop the tampering seen in real classes (patching ``numpy.allclose``, ``builtins``, the course's
checks; hooking IPython's events; reading the hidden tests). Checks that run in the same kernel as the submission
can, in principle, be defeated by code written against them: the sandbox (:mod:`instructor.sandbox`) keeps
``source/``, other submissions and the gradebook out of reach, but this module must stay readable for the hidden
tests to import it. A read of it from a cell is not flagged (its tracebacks are the grader's); reads of the
assignments' grading modules are.
"""

from __future__ import annotations

import importlib
import linecache
import os
import sys
from pathlib import Path
from types import ModuleType

WATCHED = ("builtins", "math", "operator", "functools", "numpy", "numpy.linalg", "numpy.testing", "numpy.random",
           "torch", "torch.nn.functional", "torch.testing", "helpers.checks", "helpers.checks.gradcheck",
           "instructor.grading.integrity")
# torch._dynamo, once something loads it, wraps a few torch functions (torch.manual_seed): a replacement whose
# __wrapped__ is the original is no tampering (see changes()), and loading it up front would cost a second a kernel
WATCHED_CLASSES = (("torch", "Tensor"), ("numpy", "ndarray"))
# Dunder methods that comparisons rely on; other private names are not watched.
DUNDERS = {"__eq__", "__ne__", "__lt__", "__gt__", "__le__", "__ge__", "__bool__", "__abs__", "__sub__", "__array__",
           "__float__", "__len__", "__import__"}
# Functions of installed packages that only pass a cell's request on: IPython's ``open`` in a notebook.
TRANSPARENT = {"_modified_open"}
# How IPython turns an exception into the cell's error output (helpers installs its handler once, on import).
EXCEPTION_DISPLAY = ("CustomTB", "custom_exceptions", "showtraceback", "_showtraceback", "showsyntaxerror",
                     "InteractiveTB", "SyntaxTB", "run_code", "run_cell", "run_cell_async")
# Rebound by IPython or ipykernel themselves while a notebook runs.
MANAGED = {"input", "raw_input", "getpass", "display", "get_ipython", "exit", "quit", "help"}


class TamperingDetected(AssertionError):
    """The submission changed what the grading relies on: no points from this cell."""


class _State:
    def __init__(self) -> None:
        self.bindings: dict[str, dict[str, object]] = {}
        self.modules: dict[str, ModuleType] = {}
        self.hooks: dict[str, list] = {}
        self.reads: list[str] = []  # files read and signals sent that the audit hook noted
        self.guarded: Path | None = None
        self.allowed: tuple[Path, ...] = ()
        self.extra_guarded: tuple[Path, ...] = ()
        self.owners: tuple[str, ...] = ()  # code whose reads are its own: installed packages, the course's code
        self.taken = False


_STATE = _State()


def _load(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except Exception:  # noqa: BLE001 - a notebook without torch simply has nothing of torch to watch
        return None


def _installed_by_jupyter(callback: object) -> bool:
    """Callbacks that Jupyter itself registers while a notebook runs (the inline backend flushes figures)."""
    module = getattr(callback, "__module__", None) or getattr(getattr(callback, "__func__", None), "__module__", "")
    return str(module).split(".")[0] in {"matplotlib_inline", "ipykernel", "IPython", "matplotlib"}


def _ipython_hooks() -> dict[str, list]:
    try:
        shell = get_ipython()  # type: ignore[name-defined]  # noqa: F821 - defined in a kernel
    except NameError:
        return {}
    hooks = {f"event {name}": [f for f in callbacks if not _installed_by_jupyter(f)]
             for name, callbacks in shell.events.callbacks.items()}
    hooks["input transformers"] = list(shell.input_transformers_post)
    hooks["input transformers (cleanup)"] = list(getattr(shell.input_transformer_manager, "cleanup_transforms", []))
    hooks["AST transformers"] = list(shell.ast_transformers)
    # a handler that shows nothing turns an error into a cell without one, which nbgrader scores as passed
    hooks["exception handlers"] = [shell.__dict__.get(name) for name in EXCEPTION_DISPLAY]
    hooks["exception display"] = [getattr(type(shell), name, None) for name in EXCEPTION_DISPLAY]
    return hooks


def snapshot(assignment: str, course_root: str | None = None) -> None:
    """Take the references (once per kernel) and start noting reads of course files outside this folder."""
    if _STATE.taken:
        return
    names = [*WATCHED, f"helpers.checks.a{assignment}", f"instructor.grading.a{assignment}"]
    for name in names:
        module = _load(name)
        if module is not None:
            _STATE.modules[name] = module
            _STATE.bindings[name] = dict(vars(module))
    for module_name, class_name in WATCHED_CLASSES:
        module = _STATE.modules.get(module_name)
        if module is not None:
            _STATE.bindings[f"{module_name}.{class_name}"] = dict(vars(getattr(module, class_name)))
    _STATE.hooks = _ipython_hooks()
    here = Path.cwd().resolve()
    repo = Path(__file__).resolve().parents[2]
    _STATE.guarded = Path(course_root).resolve() if course_root else here.parents[2] if len(here.parents) > 2 else here
    from helpers.data import data_root

    python = (Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve())
    grading = repo / "instructor" / "grading"  # its tracebacks may be read; the assignments' modules may not
    _STATE.allowed = (here, repo / "helpers", data_root().resolve(), *python, grading / "integrity.py",
                      grading / "__init__.py")
    _STATE.extra_guarded = (repo,)
    import site

    packages = [*site.getsitepackages(), site.getusersitepackages()]
    _STATE.owners = tuple(str(Path(p)) for p in [*packages, repo / "instructor", repo / "helpers"])
    for module in _STATE.modules.values():  # tracebacks of the grading code then need no file: reading it is flagged
        if getattr(module, "__file__", None):
            linecache.getlines(module.__file__)
    sys.addaudithook(_audit)
    _STATE.taken = True


def _audit(event: str, args: tuple) -> None:
    if not _STATE.taken or not args:
        return
    # ipykernel interrupts itself with os.kill(os.getpid(), SIGINT), or os.killpg of its own group when it leads it
    if event in {"os.kill", "os.killpg"} and args[0] != os.getpid() and len(_STATE.reads) < 20:
        _STATE.reads.append(f"sent signal {args[1]} to process {args[0]}")
        return
    if event != "open" or not isinstance(args[0], str | bytes | os.PathLike):
        return
    try:
        path = Path(os.fsdecode(args[0])).resolve()
    except (OSError, ValueError, RuntimeError):
        return
    guarded = [g for g in (_STATE.guarded, *_STATE.extra_guarded) if g is not None]
    if any(path.is_relative_to(g) for g in guarded) and not any(path.is_relative_to(a) for a in _STATE.allowed):
        if len(_STATE.reads) < 20 and _from_a_cell():
            _STATE.reads.append(f"read {path}, outside the submission's folder")


def _from_a_cell() -> bool:
    """Whether the nearest code that asked for the file is the notebook's (a cell, or a function a cell defined),
    the standard library in between (``open``, ``pathlib``, ``inspect``, ``linecache``) looked through. The grader's
    own reads (the traceback of a failed hidden test, a lazy import) come from installed packages or the course's
    code, and are not the submission's."""
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_code.co_filename
        if name.startswith("<ipython-input-") or "/ipykernel_" in name:
            return True
        if name.startswith(_STATE.owners) and frame.f_code.co_name not in TRANSPARENT:
            return False
        frame = frame.f_back
    return False


def changes() -> list[str]:
    """What differs from the snapshot: rebound functions, replaced modules, new hooks, course files read."""
    found: list[str] = []
    for name, bindings in _STATE.bindings.items():
        if name in _STATE.modules:
            if sys.modules.get(name) is not _STATE.modules[name]:
                found.append(f"module {name} was replaced")
            current = vars(_STATE.modules[name])
        else:
            module_name, class_name = name.rsplit(".", 1)
            current = vars(getattr(_STATE.modules[module_name], class_name))
        for attr, value in bindings.items():
            if (attr.startswith("_") and attr not in DUNDERS) or attr in MANAGED:
                continue
            now = current.get(attr, value)
            if now is not value and getattr(now, "__wrapped__", None) is not value:
                found.append(f"{name}.{attr} was replaced")
    for hook, before in _STATE.hooks.items():
        after = _ipython_hooks().get(hook, [])
        if [id(f) for f in after] != [id(f) for f in before]:
            found.append(f"IPython's {hook} were changed")
    if sys.gettrace() is not None or sys.getprofile() is not None:
        found.append("a trace or profile function was installed")
    found += _STATE.reads
    return found


def verify() -> None:
    """Raise :class:`TamperingDetected` if anything the grading relies on was changed since :func:`snapshot`."""
    if not _STATE.taken:
        raise TamperingDetected("the grader's references were not taken before the submission ran")
    found = changes()
    if found:
        raise TamperingDetected("TAMPERING: " + "; ".join(found[:5]) + (" ..." if len(found) > 5 else ""))
