"""R20: opt-out by reply, with keywords or the opt-out button, confirmed once, closing nothing."""

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from bots.errors import error_codes
from bots.gateway import PermanentGatewayError
from bots.gateway.outbox import OutboxGateway
from bots.models import Contact, Message
from bots.services import contact_move_to_block
from desk.models import OptOutSettings, ReplyDirective, Ticket
from desk.optout import OptOutPolicy, fold, opt_out_confirmation_send, opt_out_requested
from desk.services import directive_create
from tests.bots.factories import BotFactory, ContactFactory, FlowBlockFactory, SubBotFactory
from tests.desk.factories import AttendantFactory, TicketFactory

NODE = "5511987654321@wa.gw.msging.net"
PHONE = "+5511987654321"
DEFAULTS = OptOutPolicy.of(None)


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("  Não-quero RECEBER! ", "nao quero receber"),
        ("SAIR 👋", "sair"),
        ("Saír.", "sair"),
        ("stop_", "stop"),
    ],
)
def test_R20_keywords_compare_without_case_accents_or_punctuation(text, folded):
    assert fold(text) == folded


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("SAIR", "keyword"),
        ("sair!", "keyword"),
        ("Parar", "keyword"),
        ("STOP", "keyword"),
        ("nao quero receber", "keyword"),
        ("Descadastrar, por favor", ""),  # a sentence, not the word alone
        ("não quero sair de casa hoje", ""),
        ("Sairia sim", ""),
        ("", ""),
    ],
)
def test_R20_default_keywords_match_the_whole_reply(text, asked):
    assert opt_out_requested(policy=DEFAULTS, text=text, kind="text", payload={}) == asked


def test_R20_a_caption_is_not_a_keyword():
    assert opt_out_requested(policy=DEFAULTS, text="SAIR", kind="media", payload={}) == ""


def test_R20_the_opt_out_buttons_payload_and_a_button_saying_a_keyword():
    policy = OptOutPolicy(True, frozenset({"sair"}), fold("OPT_OUT"), "ok")
    pressed = {
        "type": "application/json",
        "content": {"type": "button", "button": {"text": "Não quero", "payload": "OPT_OUT"}},
    }
    assert opt_out_requested(policy=policy, text="Não quero", kind="reply", payload=pressed) == (
        "button"
    )
    other = {"type": "application/json", "content": {"button": {"text": "Sair"}}}
    assert opt_out_requested(policy=policy, text="Sair", kind="reply", payload=other) == "keyword"


def test_R20_a_disabled_policy_matches_nothing():
    policy = OptOutPolicy(False, DEFAULTS.keywords, "", "ok")
    assert opt_out_requested(policy=policy, text="SAIR", kind="text", payload={}) == ""


# --- through the webhook ---------------------------------------------------------------------


def post(client, bot, content, envelope_id="m1", content_type="text/plain"):
    body = {"id": envelope_id, "from": NODE, "type": content_type, "content": content}
    return client.post(
        f"/webhooks/blip/{bot.slug}/messages",
        data=json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Key {bot.webhook_secret}"},
    )


def confirmations(contact):
    return Message.objects.filter(contact=contact, direction="out", kind="text")


@pytest.fixture
def customer():
    bot = BotFactory()
    contact = ContactFactory(bot=bot, phone=PHONE)
    contact_move_to_block(contact=contact, bot=bot, block=FlowBlockFactory(bot=bot, human=True))
    return contact


@pytest.mark.django_db
def test_R20_a_keyword_opts_out_and_is_confirmed_once(client, customer):
    response = post(client, customer.bot, "SAIR")
    assert response.json()["target"] == "opt_out"
    customer.refresh_from_db()
    assert (customer.opted_out, customer.opt_out_source) == (True, "keyword")
    assert customer.opted_out_at is not None
    assert not Ticket.objects.exists()  # nobody is handed a conversation that asked to end
    post(client, customer.bot, "sair!!", "m2")
    customer.refresh_from_db()
    assert customer.opted_out


@pytest.mark.django_db
def test_R20_the_confirmation_is_sent_once_after_commit(
    client, customer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post(client, customer.bot, "Parar")
        post(client, customer.bot, "PARAR", "m2")
    (confirmation,) = confirmations(customer)
    assert confirmation.status == "sent"
    assert confirmation.text == OptOutSettings._meta.get_field("confirmation").default()
    assert confirmation.text.startswith("Pronto")  # the customers' language, pt-BR


@pytest.mark.django_db
def test_R20_an_opt_out_closes_nothing_else(client, customer, django_capture_on_commit_callbacks):
    bot = customer.bot
    ana = AttendantFactory(bot=bot)
    directive = directive_create(
        contact=customer, bot=bot, sent_at=timezone.now(), source_label="C", attendant=ana
    )
    ticket = TicketFactory(bot=bot, contact=customer, open=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, bot, "STOP")
    assert response.json()["target"] == "existing_ticket"  # the attendant reads it
    ticket.refresh_from_db()
    assert ticket.status == "open" and ticket.ticket_messages.count() == 1
    assert ReplyDirective.objects.get(pk=directive.pk).superseded is False
    customer.refresh_from_db()
    assert customer.opted_out


@pytest.mark.django_db
def test_R20_per_bot_keywords_button_payload_and_confirmation(
    client, customer, django_capture_on_commit_callbacks
):
    OptOutSettings.objects.create(
        bot=customer.bot,
        keywords=["CHEGA"],
        button_payload="NAO_QUERO",
        confirmation="Tudo certo, não mandamos mais.",
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, customer.bot, "SAIR").json()["target"] == "team"  # not a keyword here
        Ticket.objects.update(status="closed_client")
        pressed = {"type": "button", "button": {"text": "Não quero", "payload": "NAO_QUERO"}}
        response = post(client, customer.bot, pressed, "m2", "application/json")
    assert response.json()["target"] == "opt_out"
    customer.refresh_from_db()
    assert customer.opt_out_source == "button"
    assert [m.text for m in confirmations(customer)] == ["Tudo certo, não mandamos mais."]


@pytest.mark.django_db
def test_R20_turned_off_a_keyword_is_an_ordinary_message(client, customer):
    OptOutSettings.objects.create(bot=customer.bot, enabled=False)
    assert post(client, customer.bot, "SAIR").json()["target"] == "team"
    customer.refresh_from_db()
    assert not customer.opted_out


@pytest.mark.django_db
def test_R20_a_change_of_the_settings_applies_at_once(client, customer):
    settings = OptOutSettings.objects.create(bot=customer.bot, keywords=["CHEGA"])
    assert post(client, customer.bot, "SAIR").json()["target"] == "team"
    settings.keywords = ["SAIR"]
    settings.save()
    assert post(client, customer.bot, "SAIR", "m2").json()["target"] == "existing_ticket"
    customer.refresh_from_db()
    assert customer.opted_out


@pytest.mark.django_db
def test_R20_a_failed_confirmation_leaves_the_contact_opted_out(
    client, customer, monkeypatch, django_capture_on_commit_callbacks
):
    def refuse(self, **kwargs):
        raise PermanentGatewayError("blocked")

    monkeypatch.setattr(OutboxGateway, "send_text", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        post(client, customer.bot, "SAIR")
    customer.refresh_from_db()
    assert customer.opted_out
    assert confirmations(customer).get().status == "failed"


@pytest.mark.django_db
def test_R20_the_confirmation_task_run_twice_sends_once(customer):
    at = timezone.now().isoformat()
    assert opt_out_confirmation_send(contact_id=customer.pk, opted_out_at=at, text="ok")
    assert opt_out_confirmation_send(contact_id=customer.pk, opted_out_at=at, text="ok") is None
    assert confirmations(customer).count() == 1


@pytest.mark.django_db
def test_R20_settings_refuse_a_sub_bot_and_empty_matching():
    sub = SubBotFactory()
    with pytest.raises(ValidationError) as error:
        OptOutSettings(bot=sub, keywords=[], button_payload="").full_clean()
    assert error_codes(error.value) == {"R20_sub_bot", "R20_nothing_to_match"}
    with pytest.raises(ValidationError) as error:
        OptOutSettings(bot=BotFactory(), keywords=["ok", "x" * 61]).full_clean()
    assert error_codes(error.value) == {"R20_keywords"}


@pytest.mark.django_db
def test_R20_a_contact_opted_out_in_its_old_phone_form_is_still_opted_out():
    from campaigns.selectors import is_opted_out, opted_out_phones

    contact = ContactFactory(phone="+551187654321", opted_out=True)
    assert is_opted_out(bot=contact.bot, phone=PHONE)
    assert PHONE in opted_out_phones(bot=contact.bot)


@pytest.mark.django_db
def test_R20_merging_keeps_when_and_how_the_person_opted_out():
    from bots.merge import contacts_merge

    bot = BotFactory()
    at = timezone.now() - dt.timedelta(days=3)
    keep = ContactFactory(bot=bot, phone=PHONE)
    drop = ContactFactory(
        bot=bot, phone="+551187654321", opted_out=True, opted_out_at=at, opt_out_source="button"
    )
    contacts_merge(keep=keep, drop=drop)
    kept = Contact.objects.get()
    assert (kept.opted_out, kept.opted_out_at, kept.opt_out_source) == (True, at, "button")
