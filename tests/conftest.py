"""Shared test settings: quick mode, a private data root and cache."""

import os

import pytest

os.environ.pop("MPLBACKEND", None)  # kernels must keep their inline backend, or figures vanish
os.environ.setdefault("COURSE_QUICK", "1")
os.environ.setdefault("COURSE_OFFLINE", "1")  # no test waits for a download; tests that want one unset it
# Notebook kernels inherit these. Two pytest workers on two cores, each kernel with its own pool of
# BLAS/OpenMP threads, oversubscribe the CPU and make torch many times slower: one thread each.
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")


@pytest.fixture
def isolated_data(tmp_path, monkeypatch):
    """Point the data root and cache at empty temporary folders."""
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path
