"""Jupyter Server settings for the course, copied into the course environment (``.venv/etc/jupyter/``) by its setup.

- The environment's ``bin`` goes first on the PATH of everything the server starts, so that Lab's terminal finds
  the course's ``python``, ``course-report`` and ``nbgrader`` even when the environment was never activated. A
  terminal's login shell reads ``/etc/profile``, which sets PATH afresh (Debian's does), so the terminal runs the
  login shell and then puts ``bin`` first again.
- JupyterLab exposes its application to the page (``window.jupyterapp``), so that ``make_report()`` in a notebook
  can ask Lab to save the notebook before it makes the report.
"""

import os
import shutil
import sys

c = get_config()  # noqa: F821 (provided by Jupyter when it reads this file)

BIN = os.path.dirname(sys.executable)
os.environ["PATH"] = os.pathsep.join([BIN, os.environ.get("PATH", "")])
SHELL = os.environ.get("SHELL") or shutil.which("bash") or shutil.which("sh") or "/bin/sh"
if os.path.basename(SHELL) in {"bash", "zsh", "sh", "dash", "ksh"}:  # POSIX syntax below
    c.ServerApp.terminado_settings = {
        "shell_command": [SHELL, "-l", "-c", f'PATH="{BIN}:$PATH"; export PATH; exec "{SHELL}" -i']}
c.LabApp.expose_app_in_browser = True
