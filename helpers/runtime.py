"""Where a notebook runs: under the autograder or not, quick mode, device, seeds.

Environment variables
---------------------
NBGRADER_EXECUTION
    Set by nbgrader itself to ``autograde`` or ``validate`` while it executes a
    notebook. Notebooks must then stay fast and quiet (nothing on stderr).
COURSE_QUICK
    ``1`` runs every notebook in quick mode: small data, few epochs. The test
    suite and ``make demo`` set it; so does autograding.
"""

from __future__ import annotations

import os
import random
from typing import Any

_TRUE = {"1", "true", "yes", "on"}


def in_autograde() -> bool:
    """True while ``nbgrader autograde`` or ``nbgrader validate`` executes the notebook."""
    return os.environ.get("NBGRADER_EXECUTION", "").lower() in {"autograde", "validate"}


def quick_mode() -> bool:
    """True when work should be kept small: ``COURSE_QUICK=1`` or under the autograder."""
    return os.environ.get("COURSE_QUICK", "").strip().lower() in _TRUE or in_autograde()


def show_progress() -> bool:
    """Whether progress bars may be drawn.

    Progress bars write to stderr, and nbgrader scores a test cell zero when it
    writes anything there, so they are off under the autograder.
    """
    return not in_autograde()


def device() -> Any:
    """The torch device to compute on: the first GPU when there is one, else the CPU."""
    import torch

    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def seed_everything(seed: int = 0) -> None:
    """Seed Python's, NumPy's and (when installed) PyTorch's random generators."""
    import numpy as np

    random.seed(seed)
    np.random.seed(seed)
    try:
        import torch
    except ImportError:  # a NumPy-only notebook does not need torch
        return
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
