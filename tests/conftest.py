import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _portuguese():
    """The product speaks pt-BR by default; tests assert codes, not wording, but keep it real."""
    with translation.override("pt-br"):
        yield
