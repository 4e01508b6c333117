"""Running a submission's code in a sandbox: its Jupyter kernel under bubblewrap (Debian's ``bubblewrap``).

``nbgrader_config.py`` makes every kernel that nbgrader starts (``autograde``, ``validate``) a
:class:`SandboxedKernelManager`'s, so a plain ``nbgrader autograde`` from the course root is sandboxed too, and so
is ``python -m instructor.grade``. The kernel:

- sees only the Python installation (read-only), the course's released package ``helpers`` and the grading code
  the hidden tests call (read-only), the datasets (read-only) and the folder of the notebook it runs, which is
  nbgrader's scratch copy of one submission (``autograded/<student>/<assignment>/``, writable); not ``source/``,
  ``submitted/``, other students' folders, the gradebook or the rest of the course;
- has no network (its own network namespace; it talks to the grader over Unix sockets in a private folder);
- lives in its own PID namespace and session, so it cannot see, signal or kill the grader, and dies with it;
- has a memory limit (``RLIMIT_DATA``: an allocation above it raises ``MemoryError`` in the cell).

Settings (environment variables):

``COURSE_SANDBOX``
    ``off`` runs kernels unsandboxed, for instructors who trust their class or a machine without bubblewrap.
    Otherwise bubblewrap must be installed, and grading stops with a clear message when it is not.
``COURSE_SANDBOX_MEMORY_GB``
    The memory limit of a kernel, in GiB (default 6).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager

from instructor import REPO_ROOT

ENV_SANDBOX = "COURSE_SANDBOX"
ENV_MEMORY = "COURSE_SANDBOX_MEMORY_GB"
DEFAULT_MEMORY_GB = 6.0


class SandboxUnavailable(RuntimeError):
    """Bubblewrap is not installed (or cannot run here) and the sandbox was not switched off."""


def enabled() -> bool:
    """Whether kernels are sandboxed: while ``nbgrader autograde`` runs (or ``COURSE_SANDBOX=on``), unless
    ``COURSE_SANDBOX=off``. A student's Validate button and ``nbgrader validate`` run the student's own code on
    the student's own machine: no sandbox there."""
    setting = os.environ.get(ENV_SANDBOX, "").strip().lower()
    if setting in {"off", "0", "no", "false"}:
        return False
    if setting in {"on", "1", "yes", "true"}:
        return True
    from nbgrader.apps import AutogradeApp

    return AutogradeApp.initialized()


def memory_limit_bytes() -> int:
    return int(float(os.environ.get(ENV_MEMORY, DEFAULT_MEMORY_GB)) * 1024**3)


_WORKS: dict[str, str] = {}


def bwrap() -> str:
    """The bubblewrap executable, checked once to run here, or a :class:`SandboxUnavailable` that says what to do."""
    path = shutil.which("bwrap")
    if path is None:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed, and student code is sandboxed with it while grading: install it "
            "(`sudo apt-get install bubblewrap`, or `make system-deps`), or set COURSE_SANDBOX=off to grade "
            "without a sandbox if you trust every submission.")
    if path not in _WORKS:
        trial = subprocess.run([path, "--unshare-all", "--die-with-parent", *_system(), "--proc", "/proc",
                                "--dev", "/dev", "true"], capture_output=True, text=True)
        if trial.returncode != 0:
            raise SandboxUnavailable(
                f"bubblewrap is installed but cannot make a sandbox here ({trial.stderr.strip() or trial.returncode}):"
                " user namespaces may be disabled (sysctl kernel.unprivileged_userns_clone=1), or set "
                "COURSE_SANDBOX=off to grade without a sandbox if you trust every submission.")
        _WORKS[path] = "yes"
    return path


def available() -> bool:
    try:
        bwrap()
    except SandboxUnavailable:
        return False
    return True


def _readable(paths: list[Path]) -> list[str]:
    args: list[str] = []
    for path in dict.fromkeys(paths):
        if path.exists():
            args += ["--ro-bind", str(path), str(path)]
    return args


def _system() -> list[str]:
    """The operating system's programs and libraries, read-only (merged-/usr links kept as links)."""
    args = ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64"):
        path = Path(top)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), top]
        elif path.is_dir():
            args += ["--ro-bind", top, top]
    etc = [Path("/etc") / name for name in ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "fonts", "localtime",
                                             "alternatives", "ssl", "mime.types", "matplotlibrc")]
    return args + _readable(etc)


def _python() -> list[str]:
    """The interpreter, the environment and the course's code that notebooks import, read-only."""
    prefixes = [Path(sys.base_prefix), Path(sys.prefix), Path(sys.executable).resolve().parent.parent]
    course = [REPO_ROOT / "helpers", REPO_ROOT / "instructor" / "__init__.py", REPO_ROOT / "instructor" / "grading",
              REPO_ROOT / "pyproject.toml"]
    return _readable(prefixes + course)


def _datasets() -> list[str]:
    from helpers.data import ENV_DATA_DIR, data_root

    roots = [data_root()]
    if os.environ.get("COURSE_REAL_DATA_DIR"):
        roots.append(Path(os.environ["COURSE_REAL_DATA_DIR"]))
    return _readable([root.resolve() for root in roots]) + (
        ["--setenv", ENV_DATA_DIR, str(data_root())] if os.environ.get(ENV_DATA_DIR) else [])


def command(kernel_cmd: list[str], workdir: Path, rundir: Path) -> list[str]:
    """``kernel_cmd`` run under bubblewrap, in ``workdir`` (writable), talking through sockets in ``rundir``."""
    workdir, rundir = workdir.resolve(), rundir.resolve()
    return [
        "prlimit", f"--data={memory_limit_bytes()}", "--",
        bwrap(), "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
        "--tmpfs", "/tmp",  # first: the binds below may lie under /tmp (a checkout or a course there)
        *_system(), *_python(), *_datasets(),
        "--proc", "/proc", "--dev", "/dev",
        "--bind", str(workdir), str(workdir), "--bind", str(rundir), str(rundir),
        "--setenv", "HOME", "/tmp", "--setenv", "MPLCONFIGDIR", "/tmp/matplotlib",
        "--setenv", "COURSE_OFFLINE", "1", "--setenv", "COURSE_CACHE_DIR", "/tmp/cache",
        "--unsetenv", "JPY_PARENT_PID",  # its parent is bubblewrap's init: --die-with-parent does that job
        "--chdir", str(workdir),
        *kernel_cmd,
    ]


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels run under bubblewrap (unless ``COURSE_SANDBOX=off``).

    Set as ``c.Execute.kernel_manager_class`` in ``nbgrader_config.py``. The kernel talks to the grader over Unix
    sockets (``transport = "ipc"``) in a private folder, since it has no network.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._sandboxed = enabled()
        self._workdir = Path.cwd()
        if self._sandboxed:
            bwrap()
            self._rundir = Path(tempfile.mkdtemp(prefix="course-kernel-"))
            self.transport = "ipc"
            self.ip = str(self._rundir / "kernel")
            self.connection_file = str(self._rundir / "kernel.json")

    async def _async_pre_start_kernel(self, **kwargs):
        if kwargs.get("cwd"):
            self._workdir = Path(kwargs["cwd"])
        if self._sandboxed:  # a signal cannot reach a kernel in its own session: interrupt it with a message
            self.kernel_spec.interrupt_mode = "message"
        return await super()._async_pre_start_kernel(**kwargs)

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        cmd = super().format_kernel_cmd(extra_arguments)
        return command(cmd, self._workdir, self._rundir) if self._sandboxed else cmd

    def cleanup_resources(self, restart: bool = False) -> None:
        super().cleanup_resources(restart)
        if self._sandboxed and not restart:
            shutil.rmtree(self._rundir, ignore_errors=True)
