import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _portuguese():
    """The product speaks pt-BR by default; tests assert codes, not wording, but keep it real."""
    with translation.override("pt-br"):
        yield


@pytest.fixture(autouse=True)
def _empty_cache():
    """The database rolls back after every test; the process's cache must forget it too (a
    cached bot configuration keyed by an id the next test reuses would outlive its rows)."""
    from django.core.cache import cache

    from campaigns.sending.inflight import forget as in_flight_forget
    from desk.inbound_config import config_forget

    cache.clear()
    config_forget()
    in_flight_forget()
    yield
    cache.clear()
    config_forget()
    in_flight_forget()


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


class Clock:
    """A frozen ``timezone.now()`` that only moves when the test says so."""

    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, **delta) -> None:
        import datetime as dt

        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    """Freeze ``django.utils.timezone.now`` (auto_now fields included) at a known instant."""
    import datetime as dt

    from django.utils import timezone

    frozen = Clock(dt.datetime(2026, 3, 10, 13, 0, tzinfo=dt.UTC))  # 10:00 in São Paulo
    monkeypatch.setattr(timezone, "now", frozen)
    return frozen
