"""The background import on PostgreSQL, seen from another connection while it runs.

The import runs in a thread with its own database connection; the test watches and acts from
its own, as the detail page and the operator's cancel do.
"""

import threading

import pytest
from django.core.files.base import ContentFile
from django.db import connection

from bots.models import Contact
from campaigns import importing, jobs
from campaigns.audience_store import pg_copy
from campaigns.importing import campaign_create_importing, campaign_import_audience
from campaigns.models import Campaign, Recipient
from campaigns.services import campaign_cancel
from tests.bots.factories import BotFactory, FlowBlockFactory
from tests.campaigns.factories import MessageTemplateFactory
from tests.services import require_postgres

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROWS = 3000
PAUSE_AT = 2000


@pytest.fixture(autouse=True)
def _postgres(monkeypatch, settings):
    require_postgres()
    settings.AUDIENCE_COPY_MIN_ROWS = 200
    monkeypatch.setattr(pg_copy, "PROGRESS_EVERY", 500)
    monkeypatch.setattr(jobs, "start_sending", lambda *, campaign_id: None)


def importing_campaign() -> Campaign:
    bot = BotFactory()
    lines = ["telefone,nome"] + [f"+55119{i:08d},P{i}" for i in range(ROWS)]
    data = ("\n".join(lines) + "\n").encode()
    campaign = campaign_create_importing(
        bot=bot,
        created_by=None,
        name="Grande",
        kind="bulk",
        template=MessageTemplateFactory(bot=bot),
        parameters={"body": ["nome"]},
        routing="flow",
        routing_bot=bot,
        flow_block=FlowBlockFactory(bot=bot),
        audience_file=ContentFile(data, name="a.csv"),
        rows_total=ROWS,
    )
    return campaign  # committed (no test transaction), its import not run: jobs is eager


class PausingParser:
    """The real parser, holding the import at row PAUSE_AT until the test lets it go."""

    def __init__(self, real, paused: threading.Event, go: threading.Event, fail=False):
        self.real, self.paused, self.go, self.fail = real, paused, go, fail

    def __call__(self, fileobj, **kwargs):
        for number, item in enumerate(self.real(fileobj, **kwargs), start=1):
            if number == PAUSE_AT:
                self.paused.set()
                assert self.go.wait(20)
                if self.fail:
                    raise OSError("disk gone")
            yield item


def run_import(campaign_id: int, outcome: list) -> None:
    try:
        outcome.append(campaign_import_audience(campaign_id=campaign_id))
    finally:
        connection.close()


@pytest.fixture
def start(monkeypatch):
    """start(fail=…): the campaign, and its import running in a thread, paused at PAUSE_AT."""
    threads: list[tuple[threading.Thread, threading.Event]] = []

    def begin(*, fail=False):
        monkeypatch.setattr(jobs, "import_audience", lambda *, campaign_id: None)
        campaign = importing_campaign()
        paused, go = threading.Event(), threading.Event()
        parser = PausingParser(importing.AudienceParser, paused, go, fail)
        monkeypatch.setattr(importing, "AudienceParser", parser)
        outcome: list = []
        worker = threading.Thread(target=run_import, args=(campaign.pk, outcome))
        threads.append((worker, go))
        worker.start()
        assert paused.wait(20), "the import never reached the pause"
        return campaign, go, worker, outcome

    yield begin
    for worker, go in threads:  # a failed assertion must not leave the import hanging
        go.set()
        worker.join(30)


def test_progress_shows_while_the_import_runs_and_everything_lands_at_the_end(start):
    campaign, go, worker, outcome = start()
    campaign.refresh_from_db()
    # Published through the import's own side connection, while its transaction is open.
    every = pg_copy.PROGRESS_EVERY
    assert campaign.import_rows_done == (PAUSE_AT - 1) // every * every  # rows read before
    assert not Recipient.objects.filter(campaign=campaign).exists()  # nothing half-imported
    go.set()
    worker.join(30)
    assert outcome == ["done"]
    campaign.refresh_from_db()
    assert campaign.audience_size == ROWS
    assert campaign.import_status == Campaign.ImportStatus.DONE
    assert Recipient.objects.filter(campaign=campaign).count() == ROWS


def test_cancel_from_another_connection_stops_the_import_and_stores_nobody(start):
    campaign, go, worker, outcome = start()
    assert campaign_cancel(campaign=Campaign.objects.get(pk=campaign.pk))
    go.set()
    worker.join(30)
    assert outcome == ["canceled"]
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.CANCELED
    assert not Recipient.objects.filter(campaign=campaign).exists()
    assert not Contact.objects.filter(bot=campaign.bot).exists()


def test_failing_midway_ends_failed_with_nobody_imported(start):
    campaign, go, worker, outcome = start(fail=True)
    go.set()
    worker.join(30)
    assert outcome == ["failed"]
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.FAILED
    assert campaign.import_status == Campaign.ImportStatus.FAILED
    assert campaign.failure_code == importing.IMPORT_FAILED
    assert not Recipient.objects.filter(campaign=campaign).exists()
    assert not Contact.objects.filter(bot=campaign.bot).exists()
