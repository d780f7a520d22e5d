"""Fixtures only the sources' tests use."""

from __future__ import annotations

import pytest

from tests.support.graphql_peer import Sleeps


@pytest.fixture
def sleeps() -> Sleeps:
    """The analytics client's waits, recorded instead of slept."""
    return Sleeps()
