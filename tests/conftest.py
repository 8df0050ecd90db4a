import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _portuguese():
    """The product speaks pt-BR by default; tests assert codes, not wording, but keep it real."""
    with translation.override("pt-br"):
        yield


@pytest.fixture
def fake_blip(settings):
    """The loopback fake Blip server, with the blip gateway pointed at it."""
    from bots.gateway.blip_backend import BlipGateway
    from tests.fakeblip import FakeBlip

    BlipGateway.reset_caches()
    with FakeBlip() as server:
        settings.WHATSAPP_GATEWAY = "blip"
        settings.BLIP_API_URL = server.url
        yield server
    BlipGateway.reset_caches()
