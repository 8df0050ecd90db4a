"""R17 with chunked claims and records: SENDING_CHUNK_SIZE recipients at a time, all or nothing."""

import datetime as dt

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from bots.models import ContactState, Message
from campaigns.models import Campaign, Recipient
from campaigns.sending import effects, engine, transmit
from campaigns.sending.inflight import InFlight
from campaigns.sending.recovery import recipients_fail_stale_claims
from tests.campaigns.factories import bulk_campaign_with_recipients

pytestmark = pytest.mark.django_db
S = Recipient.Status


def campaign_of(n: int) -> tuple[Campaign, list[int]]:
    campaign = bulk_campaign_with_recipients(n, status=Campaign.Status.SENDING)
    return campaign, list(campaign.recipients.order_by("pk").values_list("pk", flat=True))


def statuses(ids: list[int]) -> list[str]:
    by_pk = dict(Recipient.objects.filter(pk__in=ids).values_list("pk", "status"))
    return [by_pk[pk] for pk in ids]


def logged(ids: list[int]) -> set[int]:
    return {m.payload["recipient_id"] for m in Message.objects.filter(direction="out")} & set(ids)


def fail_on_second_call(monkeypatch, module, name):
    """The second call of ``module.name`` writes, then fails: its writes must roll back."""
    real, calls = getattr(module, name), []

    def write(*args, **kwargs):
        calls.append(1)
        written = real(*args, **kwargs)
        if len(calls) == 2:
            raise DatabaseError("injected")
        return written

    monkeypatch.setattr(module, name, write)


@pytest.mark.parametrize("where", ["channel_log_write", "contacts_move_to_block"])
def test_R17_a_failed_flush_leaves_its_recipients_sending_without_messages(
    settings, monkeypatch, where
):
    settings.SENDING_CHUNK_SIZE = 2
    campaign, ids = campaign_of(5)
    fail_on_second_call(monkeypatch, effects, where)
    with pytest.raises(DatabaseError):
        engine.send_recipients(campaign_id=campaign.pk, recipient_ids=ids)
    # First flush committed; the second rolled back whole (its messages too); the third chunk,
    # already on the wire while the second was recorded, is still recorded before the error
    # stops the batch.
    assert statuses(ids) == [S.SENT, S.SENT, S.SENDING, S.SENDING, S.SENT]
    assert logged(ids) == {ids[0], ids[1], ids[4]}
    assert ContactState.objects.count() == 3
    # Recovery settles them as unknown outcome: never Sent without their message row.
    assert recipients_fail_stale_claims(stale_after=dt.timedelta(0)) == 2
    failed = Recipient.objects.filter(pk__in=ids[2:4])
    assert set(failed.values_list("status", "failure_code")) == {(S.FAILED, engine.UNKNOWN_OUTCOME)}


@pytest.mark.parametrize("inline", [False, True], ids=["sender thread", "worker's own thread"])
def test_R17_an_unexpected_error_still_records_what_its_chunk_sent(settings, monkeypatch, inline):
    settings.SENDING_CHUNK_SIZE = 2
    monkeypatch.setattr(InFlight, "inline", lambda self, senders: inline)
    campaign, ids = campaign_of(8)
    real = transmit.deliver

    def deliver(recipient, gateway, components, plan=None):
        if recipient.pk == ids[2]:
            raise RuntimeError("worker bug")
        return real(recipient, gateway, components, plan)

    monkeypatch.setattr(transmit, "deliver", deliver)
    with pytest.raises(RuntimeError):
        engine.send_recipients(campaign_id=campaign.pk, recipient_ids=ids)
    # The chunk's other send is recorded; the broken one stays Sending for recovery; the chunk
    # already on the wire is recorded too, and the batch stops there: nothing more is claimed.
    assert statuses(ids) == [
        S.SENT,
        S.SENT,
        S.SENDING,
        S.SENT,
        S.SENT,
        S.SENT,
        S.PENDING,
        S.PENDING,
    ]
    assert logged(ids) == {ids[0], ids[1], ids[3], ids[4], ids[5]}


def test_R17_records_every_chunk_and_the_last_one(settings):
    settings.SENDING_CHUNK_SIZE = 3
    campaign, ids = campaign_of(7)
    with CaptureQueriesContext(connection) as queries:
        assert engine.send_recipients(campaign_id=campaign.pk, recipient_ids=ids) == 7
    inserts = [q["sql"] for q in queries if q["sql"].startswith('INSERT INTO "bots_message"')]
    assert len(inserts) == 3  # 3 + 3 + the last 1
    assert set(statuses(ids)) == {S.SENT}
    assert logged(ids) == set(ids)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENT


def test_queries_are_per_chunk_not_per_recipient(settings):
    """Claim, load, record and routing are a few statements per chunk, whatever its size."""
    settings.SENDING_CHUNK_SIZE = 1000

    def count(n: int) -> list[str]:
        campaign, ids = campaign_of(n)
        with CaptureQueriesContext(connection) as queries:
            engine.send_recipients(campaign_id=campaign.pk, recipient_ids=ids)
        assert set(statuses(ids)) == {S.SENT}
        return [q["sql"] for q in queries]

    small, large = count(2), count(40)
    assert len(large) == len(small)
    # On PostgreSQL the claim is a CTE returning the rows it won with their contacts.
    claims = [q for q in large if "UPDATE campaigns_recipient" in q.replace('"', "")]
    assert len(claims) == 2  # one claim, one record of the sends


@pytest.mark.parametrize(
    "template",
    [
        {},
        {"header_type": "text", "header_text": "Oferta", "buttons": [{"text": "Sim"}]},
        {"header_type": "image", "buttons": [{"text": "Ver", "url": "https://x.example/{{1}}"}]},
    ],
    ids=["body only", "text header and a button", "image header"],
)
def test_the_channel_log_rows_written_in_bulk_are_those_of_one_send(template):
    """On PostgreSQL the chunk's rows are built by the database around each send's own values;
    they must be exactly the row ``channel_log_message`` makes of one send (SQLite's path)."""
    campaign, ids = campaign_of(3)
    MessageTemplate = type(campaign.template)
    MessageTemplate.objects.filter(pk=campaign.template_id).update(**template)
    campaign.template.refresh_from_db()
    recipients = list(Recipient.objects.filter(pk__in=ids).select_related("contact").order_by("pk"))
    for i, recipient in enumerate(recipients):
        recipient.parameters = {**recipient.parameters, "header": f"https://cdn.example/{i}.png"}
    now = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)
    sends = [
        effects.SentRecord(r, f"gw-{r.pk}", [{"type": "body", "parameters": [{"n": r.pk}]}], now)
        for r in recipients
    ]
    effects.channel_log_write(campaign=campaign, sends=sends)

    def row(m):
        return (m.bot_id, m.contact_id, m.direction, m.kind, m.text, m.payload, m.status,
                m.gateway_message_id)  # fmt: skip

    written = [row(m) for m in Message.objects.filter(direction="out").order_by("pk")]
    assert written == [row(effects.channel_log_message(campaign, s)) for s in sends]
    assert len({w[5]["header"] and str(w[5]["header"]) for w in written}) == (
        3 if template.get("header_type") == "image" else 1
    )
