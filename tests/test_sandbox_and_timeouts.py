"""The grading sandbox's command and settings, and the time limits taken from the reference."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from instructor import REPO_ROOT, sandbox, timeouts
from instructor import notebooks as nbs
from instructor.course import assignments, autograde_timeout
from instructor.inprocess import cell_key


def test_a_missing_bubblewrap_stops_grading_with_what_to_do(monkeypatch):
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    with pytest.raises(sandbox.SandboxUnavailable, match="apt-get install bubblewrap.*COURSE_SANDBOX=off"):
        sandbox.bwrap()


@pytest.mark.parametrize(("setting", "expected"), [("off", False), ("0", False), ("on", True), ("1", True)])
def test_the_sandbox_setting(monkeypatch, setting, expected):
    monkeypatch.setenv(sandbox.ENV_SANDBOX, setting)
    assert sandbox.enabled() is expected


def test_outside_autograde_and_without_a_setting_kernels_are_not_sandboxed(monkeypatch):
    """A student's Validate button runs the student's own code on the student's machine."""
    monkeypatch.delenv(sandbox.ENV_SANDBOX, raising=False)
    assert sandbox.enabled() is False


@pytest.mark.skipif(not sandbox.available(), reason="bubblewrap cannot run on this machine")
def test_the_sandbox_hides_the_course_and_the_network(tmp_path: Path):
    work, run = tmp_path / "work", tmp_path / "run"
    work.mkdir(), run.mkdir()
    command = sandbox.command(["/bin/sh", "-c", "ls /work 2>&1; ls " + str(REPO_ROOT) + "; cat /etc/shadow"], work,
                              run)
    assert {"--unshare-all", "--die-with-parent", "--new-session"} <= set(command)
    import subprocess

    result = subprocess.run(command, capture_output=True, text=True)
    visible = set(result.stdout.split())
    assert "source" not in visible and "submitted" not in visible and "gradebook.db" not in visible
    assert "helpers" in visible and "instructor" in visible  # what the notebooks and hidden tests import
    assert "root:" not in result.stdout


@pytest.mark.skipif(not sandbox.available(), reason="bubblewrap cannot run on this machine")
def test_the_kernels_python_helpers_and_grading_code_work_in_the_sandbox(tmp_path: Path):
    """Wherever the checkout lies (under /tmp too, which the sandbox replaces by an empty one)."""
    import subprocess
    import sys

    work, run = tmp_path / "work", tmp_path / "run"
    work.mkdir(), run.mkdir()
    code = "import numpy, helpers.checks, instructor.grading.integrity, ipykernel; print('importable')"
    result = subprocess.run(sandbox.command([sys.executable, "-c", code], work, run), capture_output=True, text=True)
    assert result.stdout.strip() == "importable", result.stderr[-2000:]


@pytest.mark.parametrize("assignment", assignments())
def test_every_graded_cell_has_a_measured_time(assignment):
    """Run ``python -m instructor.timeouts ASSIGNMENT`` after adding or changing cells."""
    measured = timeouts.measured(assignment)
    release = nbs.read(REPO_ROOT / "release" / assignment / f"{assignment}.ipynb")
    missing = [cell_key(c) for c in release.cells if c.cell_type == "code" and cell_key(c) not in measured]
    assert not missing, f"no measured time for {missing}: run `python -m instructor.timeouts {assignment}`"


@pytest.mark.parametrize("assignment", assignments())
def test_limits_stay_between_the_floor_and_the_course_timeout(assignment):
    limits = [timeouts.cell_limit(assignment, key) for key in timeouts.measured(assignment)]
    assert limits and all(timeouts.MIN_SECONDS <= limit <= autograde_timeout() for limit in limits)
    assert timeouts.cell_limit(assignment, "a cell the student added") == timeouts.UNKNOWN_SECONDS
    assert timeouts.budget(assignment) > sum(timeouts.measured(assignment).values())


def test_a_floor_raises_a_cell_limit_and_survives_remeasuring(tmp_path, monkeypatch):
    """A cell whose real work cannot be timed here (09 on CIFAR-10) keeps the limit its benchmark asks for."""
    record = {"total": 0.5, "cells": {"fast": 0.1, "evaluates": 0.4},
              "floor": {"command": "python bench/x.py", "cells": {"evaluates": 30.0}}}
    (tmp_path / "demo.json").write_text(json.dumps(record))
    monkeypatch.setattr(timeouts, "TIMING_DIR", tmp_path)
    timeouts.measured.cache_clear()
    try:
        assert timeouts.cell_limit("demo", "fast") == timeouts.MIN_SECONDS
        assert timeouts.cell_limit("demo", "evaluates") == min(timeouts.FACTOR * 30.0, autograde_timeout())
        assert timeouts.budget("demo") >= timeouts.BUDGET_FACTOR * 30.1
        monkeypatch.setattr(timeouts, "measure", lambda name: {"fast": 0.2, "evaluates": 0.3})
        timeouts.main(["demo"])
        again = json.loads((tmp_path / "demo.json").read_text())
        assert again["cells"] == {"fast": 0.2, "evaluates": 0.3} and again["floor"] == record["floor"]
    finally:
        timeouts.measured.cache_clear()
