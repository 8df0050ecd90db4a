"""Large audiences imported by a Celery task: rules first, progress, reruns, failures."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from bots.errors import error_codes
from campaigns import importing, jobs, services, validation
from campaigns.audience_store import AudienceMember, ImportCounts, audience_store_batch, batched
from campaigns.importing import campaign_create_importing, campaign_import_audience
from campaigns.models import Campaign, Recipient
from campaigns.sending.progress import campaign_progress
from tests.bots.factories import BotFactory, ContactFactory, FlowBlockFactory
from tests.campaigns.factories import MessageTemplateFactory
from tests.desk.factories import AttendantFactory

pytestmark = pytest.mark.django_db

# Six rows: the third has a bad phone (skipped), the others are five people.
CSV = (
    b"telefone,nome\n"
    b"+5511900000001,P1\n"
    b"+5511900000002,P2\n"
    b"abc,Ruim\n"
    b"+5511900000004,P4\n"
    b"+5511900000005,P5\n"
    b"+5511900000006,P6\n"
)
ROWS = 6


@pytest.fixture
def handed_off(monkeypatch):
    """Campaign ids handed to the sending engine (which these tests do not run)."""
    calls: list[int] = []
    monkeypatch.setattr(jobs, "start_sending", lambda *, campaign_id: calls.append(campaign_id))
    return calls


def fields(bot, **routing):
    if not routing:
        routing = {"routing": "flow", "routing_bot": bot, "flow_block": FlowBlockFactory(bot=bot)}
    return {
        "bot": bot,
        "created_by": None,
        "name": "Lote grande",
        "kind": "bulk",
        "template": MessageTemplateFactory(bot=bot),
        "parameters": {"body": ["nome"]},
        **routing,
    }


def create_importing(bot, data=CSV, **routing):
    return campaign_create_importing(
        **fields(bot, **routing), audience_file=ContentFile(data, name="a.csv"), rows_total=ROWS
    )


def stored_files(path="audiences") -> set[str]:
    """Every file under ``path`` in the default storage (shared by the tests: in memory)."""
    if not default_storage.exists(path):
        return set()
    dirs, files = default_storage.listdir(path)
    found = {f"{path}/{name}" for name in files}
    for name in dirs:
        found |= stored_files(f"{path}/{name}")
    return found


def test_large_audience_is_imported_with_progress_then_submitted(
    django_capture_on_commit_callbacks, handed_off, monkeypatch, settings
):
    settings.AUDIENCE_COPY_MIN_ROWS = 10_000  # the ORM batches, also on PostgreSQL
    monkeypatch.setattr(batched, "AUDIENCE_BATCH", 2)
    seen_progress = []
    report = importing.ImportProgress.__call__

    def spy(self, rows):
        seen_progress.append(rows)
        report(self, rows)

    monkeypatch.setattr(importing.ImportProgress, "__call__", spy)
    with django_capture_on_commit_callbacks(execute=True):
        campaign = create_importing(BotFactory())
        assert campaign.import_status == Campaign.ImportStatus.IMPORTING
        assert not Recipient.objects.exists()  # nothing imported before the commit
    # Progress after each batch of two members: rows read so far, the bad row included.
    assert seen_progress == [2, 5, 6]
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENDING
    assert campaign.import_status == Campaign.ImportStatus.DONE
    assert (campaign.import_rows_done, campaign.import_rows_total) == (ROWS, ROWS)
    assert (campaign.audience_size, campaign.skipped_rows) == (5, 1)
    assert Recipient.objects.filter(campaign=campaign).count() == 5
    assert handed_off == [campaign.pk]
    assert not campaign.audience_file  # sent: the file is removed


def test_repeated_phones_are_skipped_by_the_store_not_by_the_parser(
    django_capture_on_commit_callbacks, handed_off
):
    data = CSV + b"+5511900000002,Outra vez\n"
    with django_capture_on_commit_callbacks(execute=True):
        campaign = create_importing(BotFactory(), data)
    campaign.refresh_from_db()
    assert (campaign.audience_size, campaign.skipped_rows) == (5, 2)
    recipient = Recipient.objects.get(campaign=campaign, contact__phone="+5511900000002")
    assert recipient.parameters["body"] == ["P2"]  # the first row of the phone wins


def test_progress_json_reports_the_import_while_it_runs(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        campaign = create_importing(BotFactory())
    assert len(callbacks) == 1  # the import task, not run yet
    progress = campaign_progress(campaign=campaign)
    assert progress["importing"] is True
    assert progress["import_status"] == "importing"
    assert (progress["import_rows_done"], progress["import_rows_total"]) == (0, ROWS)
    assert progress["import_label"]


def test_rerun_does_not_duplicate_recipients(django_capture_on_commit_callbacks, handed_off):
    bot = BotFactory()
    with django_capture_on_commit_callbacks(execute=False):
        campaign = create_importing(bot)
    # A first run died after its first batch: two recipients are already stored.
    first = [
        AudienceMember("+5511900000001", extras={"nome": "P1"}),
        AudienceMember("+5511900000002", extras={"nome": "P2"}),
    ]
    audience_store_batch(campaign, first, ImportCounts())
    with django_capture_on_commit_callbacks(execute=True):
        assert campaign_import_audience(campaign_id=campaign.pk) == "done"
    assert Recipient.objects.filter(campaign=campaign).count() == 5
    # Redelivered once more after it finished: nothing happens.
    with django_capture_on_commit_callbacks(execute=True):
        assert campaign_import_audience(campaign_id=campaign.pk) == "skipped"
    campaign.refresh_from_db()
    assert campaign.audience_size == 5
    assert Recipient.objects.filter(campaign=campaign).count() == 5
    assert handed_off == [campaign.pk]


def test_R5_refusal_at_submit_ends_failed_with_its_code_and_keeps_the_file(
    django_capture_on_commit_callbacks, handed_off, monkeypatch
):
    calls = []

    def refuse_later(*, campaign):
        calls.append(1)
        if len(calls) > 1:  # passes in the wizard, refused when the import submits
            raise ValidationError(
                {"attendant_email": ValidationError("x", code="R5_attendant_not_in_team")}
            )

    monkeypatch.setattr(validation, "validate_campaign_for_send", refuse_later)
    with django_capture_on_commit_callbacks(execute=True):
        campaign = create_importing(BotFactory())
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.FAILED
    assert campaign.failure_code == "R5_attendant_not_in_team"
    assert campaign.finished_at is not None
    assert campaign.audience_file and default_storage.exists(campaign.audience_file.name)
    assert not Recipient.objects.filter(campaign=campaign, status=Recipient.Status.PENDING).exists()
    assert set(
        Recipient.objects.filter(campaign=campaign).values_list("failure_code", flat=True)
    ) == {"R5_attendant_not_in_team"}
    assert handed_off == []
    assert campaign_progress(campaign=campaign)["importing"] is False


def test_unreadable_file_ends_failed_with_the_import_code(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        campaign = create_importing(BotFactory())
    # The stored file was damaged before the worker read it.
    name = campaign.audience_file.name
    default_storage.delete(name)
    assert default_storage.save(name, ContentFile(b"telefone\x00,nome\n")) == name
    for callback in callbacks:
        callback()
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.FAILED
    assert campaign.failure_code == importing.IMPORT_FAILED
    assert campaign.import_status == Campaign.ImportStatus.FAILED
    assert campaign.import_error == "file_binary"
    assert default_storage.exists(campaign.audience_file.name)


def test_R20_everybody_opted_out_ends_failed_saying_so(django_capture_on_commit_callbacks):
    bot = BotFactory()
    for i in (1, 2, 4, 5, 6):
        ContactFactory(bot=bot, phone=f"+551190000000{i}", opted_out=True)
    with django_capture_on_commit_callbacks(execute=True):
        campaign = create_importing(bot)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.FAILED
    assert campaign.failure_code == services.R20_ALL_OPTED_OUT


def test_canceled_before_the_worker_starts_is_left_alone(
    django_capture_on_commit_callbacks, handed_off
):
    with django_capture_on_commit_callbacks(execute=False):
        campaign = create_importing(BotFactory())
    services.campaign_cancel(campaign=campaign)
    assert campaign_import_audience(campaign_id=campaign.pk) == "skipped"
    assert not Recipient.objects.filter(campaign=campaign).exists()
    assert handed_off == []


def test_R5_refusal_in_the_wizard_creates_nothing(django_capture_on_commit_callbacks):
    bot = BotFactory()
    AttendantFactory(bot=bot, email="ana@example.com")
    routing = {
        "routing": "attendant",
        "routing_bot": bot,
        "flow_block": FlowBlockFactory(bot=bot, human=True),
        "attendant_email": "ninguem@example.com",
    }
    files_before = stored_files()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ValidationError) as info,
    ):
        create_importing(bot, **routing)
    assert "R5_attendant_not_in_team" in error_codes(info.value)
    assert not Campaign.objects.exists()
    assert callbacks == []
    assert stored_files() == files_before  # no file copied either
