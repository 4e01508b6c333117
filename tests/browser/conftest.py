"""Fixtures of the browser tests: a scratch course, a JupyterLab server on it and headless Chromium.

Chromium and its chromedriver are Debian's (``chromium``, ``chromium-driver``; ``make system-deps`` installs them),
driven by Selenium (the ``dev`` extras). Without them the tests are skipped, except under CI (``CI`` set), where
they fail: CI must run them.

Screenshots of each step go to a temporary folder, or to ``COURSE_BROWSER_SCREENSHOTS`` when it is set
(``1`` means ``reports/browser/``); the test's output names the folder.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from instructor import REPO_ROOT
from instructor.course import Course, assignments, command_env

ASSIGNMENT = assignments()[0]  # 01_gelu_gradient_descent
ENV_SCREENSHOTS = "COURSE_BROWSER_SCREENSHOTS"
SERVER_START_S = 120  # JupyterLab starts in seconds; a busy CI machine may need more
WINDOW = (1400, 1000)


def _missing(what: str) -> None:
    """Fail under CI (the browser tests must run there), skip elsewhere."""
    message = (f"{what}; `make system-deps` installs Debian's chromium and chromium-driver, "
               "`make .venv/.installed` Selenium")
    if os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}:
        pytest.fail(f"CI must run the browser tests, but {message}", pytrace=False)
    pytest.skip(message)


@dataclass(frozen=True)
class BrowserTools:
    chromium: str
    chromedriver: str


@pytest.fixture(scope="session")
def browser_tools() -> BrowserTools:
    """Chromium, chromedriver and Selenium, or a skip (a failure under CI) naming what is missing."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    chromedriver = shutil.which("chromedriver")
    if chromium is None:
        _missing("Chromium is not installed (no `chromium` on PATH)")
    if chromedriver is None:
        _missing("chromedriver is not installed (no `chromedriver` on PATH)")
    try:
        import selenium  # noqa: F401
    except ImportError:
        _missing("Selenium is not installed in this Python environment")
    return BrowserTools(chromium, chromedriver)


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder the tests save their screenshots in."""
    wanted = os.environ.get(ENV_SCREENSHOTS, "").strip()
    if not wanted:
        return tmp_path_factory.mktemp("browser-screenshots")
    folder = REPO_ROOT / "reports" / "browser" if wanted == "1" else Path(wanted).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def course(browser_tools: BrowserTools, tmp_path_factory: pytest.TempPathFactory) -> Course:
    """A scratch course: the config, every assignment's source, and notebook 01 released (so in the gradebook)."""
    scratch = Course.scratch(tmp_path_factory.mktemp("course") / "course")
    scratch.generate(ASSIGNMENT)
    return scratch


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Server:
    url: str
    token: str
    root: Path
    log: Path

    def lab(self, path: str = "", reset: bool = False) -> str:
        """The URL that opens JupyterLab (on ``path``, a file under the root; with an empty workspace when
        ``reset``), logged in by the token."""
        return f"{self.url}/lab{'/tree/' + path if path else ''}?{'reset&' if reset else ''}token={self.token}"

    def api(self, endpoint: str) -> object:
        request = urllib.request.Request(f"{self.url}/api/{endpoint}", headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)

    def kernel_ready(self, path: str) -> bool:
        """Whether the notebook ``path`` has a kernel that is idle and that a browser is connected to."""
        for session in self.api("sessions"):
            kernel = session.get("kernel") or {}
            if session.get("path") == path and kernel.get("execution_state") == "idle" and kernel.get("connections"):
                return True
        return False

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else "(no log)"


def _quiet_settings(config_dir: Path) -> None:
    """JupyterLab settings for a test: no toast asking about Jupyter news (nothing may cover the notebook)."""
    folder = config_dir / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    folder.mkdir(parents=True, exist_ok=True)
    settings = {"fetchNews": "false", "checkForUpdates": False}
    (folder / "notification.jupyterlab-settings").write_text(json.dumps(settings))


@pytest.fixture(scope="module")
def server(course: Course, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``jupyter lab`` on the scratch course, with this environment's Python, a free port and a random token.

    The course root is its root and working directory, as for an instructor, so the formgrader finds
    ``nbgrader_config.py`` and the gradebook. Its Jupyter configuration, runtime files and workspaces are
    private (nothing of the user's ~/.jupyter), the extensions the same as the environment's.
    """
    home = tmp_path_factory.mktemp("jupyter")
    env = command_env()
    env.update(JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_DATA_DIR=str(home / "data"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"))
    env.pop("JUPYTER_TOKEN", None)
    _quiet_settings(home / "config")
    port, token = _free_port(), secrets.token_hex(16)
    log = home / "jupyterlab.log"
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={course.root}"]
    if os.geteuid() == 0:  # a CI container, say: JupyterLab refuses root unless told
        command.append("--allow-root")
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=course.root, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    running = Server(f"http://127.0.0.1:{port}", token, course.root, log)
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"jupyter lab exited with status {process.returncode}:\n{running.log_tail()}",
                            pytrace=False)
            try:
                running.api("status")
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    pytest.fail(f"jupyter lab did not answer on {running.url}/api within {SERVER_START_S} s:\n"
                                f"{running.log_tail()}", pytrace=False)
                time.sleep(0.25)
        yield running
    finally:
        _stop(process)


def _stop(process: subprocess.Popen) -> None:
    """Stop the server and its kernels: SIGTERM (it shuts its kernels down), then SIGKILL to what is left of its
    process group (the server started it; nothing else is in it)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait(timeout=15)


@pytest.fixture
def browser(browser_tools: BrowserTools, tmp_path: Path):
    """A fresh headless Chromium for each test, driven by Selenium through Debian's chromedriver."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = browser_tools.chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     f"--window-size={WINDOW[0]},{WINDOW[1]}", "--no-first-run", "--no-default-browser-check"):
        options.add_argument(argument)
    service = Service(executable_path=browser_tools.chromedriver, log_output=str(tmp_path / "chromedriver.log"))
    driver = webdriver.Chrome(options=options, service=service)
    try:
        yield driver
    finally:
        driver.quit()
