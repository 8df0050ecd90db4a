import pytest

from tests.api import scenarios


@pytest.fixture
def api(db):
    """A stand-alone bot with an API key, a template, a team and Ana."""
    return scenarios.setup()


@pytest.fixture
def routed(db):
    """A router whose sub-bot takes the replies."""
    return scenarios.setup(router=True)
