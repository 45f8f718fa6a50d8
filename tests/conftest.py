"""Shared pytest setup: the Keras backend, the ``slow`` marker, the test-output folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Keras reads its backend once, at first import: set it before any test imports keras.
os.environ.setdefault("KERAS_BACKEND", "torch")

REPO_ROOT = Path(__file__).resolve().parent.parent
NO_TESTS_COLLECTED = 5


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "slow: builds real Keras/torch models; run by `make test`, skip with -m 'not slow'"
    )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # An empty suite is not a failure while the suite is being written.
    if exitstatus == NO_TESTS_COLLECTED:
        session.exitstatus = 0


@pytest.fixture(scope="session")
def test_output_dir() -> Path:
    """The git-ignored ``test-output/`` folder at the repo root, where tests keep screenshots."""
    out = REPO_ROOT / "test-output"
    out.mkdir(exist_ok=True)
    return out


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite the golden files in tests/golden/ from the current output instead of comparing",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    """True when the run was started with ``--update-golden`` (refresh tests/golden/)."""
    return bool(request.config.getoption("--update-golden"))
