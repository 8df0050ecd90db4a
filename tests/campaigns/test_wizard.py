"""The wizard through Django's test client: each step's codes, R5 at step 4, data kept."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from bots.models import Bot, Contact, FlowBlock
from campaigns import validation
from campaigns.models import Campaign, MessageTemplate, Recipient
from desk.models import Team

pytestmark = pytest.mark.django_db
URL = "/campaigns/new/"


@pytest.fixture
def demo(db):
    from django.core.management import call_command

    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


@pytest.fixture
def admin_client(client, demo):
    client.login(username="admin", password="admin")
    client.post(reverse("switch_bot"), {"bot": Bot.objects.get(slug="demo-router").pk, "next": "/"})
    return client


def current_step_key(slug="demo-router"):
    return f"campaign_wizard_{Bot.objects.get(slug=slug).pk}-current_step"


def go_back(client, from_step, to_step):
    return client.post(URL, {current_step_key(): from_step, "wizard_goto_step": to_step})


def post_step(client, step, data, files=None):
    payload = {current_step_key(): step}
    payload.update({f"{step}-{k}": v for k, v in data.items()})
    payload.update(files or {})
    return client.post(URL, payload)


def codes(response, step):
    form = response.context["wizard"]["form"]
    assert form.prefix == step, f"on step {form.prefix}, expected {step}"
    return {e.code for errors in form.errors.as_data().values() for e in errors}


def ids(name):
    return {
        "vendas": Bot.objects.get(slug="vendas").pk,
        "human": FlowBlock.objects.get(bot__slug="vendas", block_id="desk:atendimento-vendas").pk,
        "ofertas": FlowBlock.objects.get(bot__slug="vendas", block_id="ofertas").pk,
        "team": Team.objects.get(bot__slug="vendas", name="Vendas").pk,
    }[name]


def template(name, slug="demo-router"):
    return MessageTemplate.objects.get(bot__slug=slug, name=name)


def walk_individual(client, email="ana@example.com", when="now"):
    client.get(URL)
    r = post_step(
        client,
        "audience",
        {"name": "Retomada Ana", "kind": "individual", "phone": "(11) 97777-1234"},
    )
    assert r.status_code == 200 and r.context["wizard"]["form"].prefix == "content"
    r = post_step(
        client,
        "content",
        {
            "template": template("retomada_pedido").pk,
            "var_1": "Ana",
            "var_2": "123",
            "button_value": "123",
        },
    )
    assert r.context["wizard"]["form"].prefix == "routing", codes(r, "content")
    r = post_step(
        client,
        "routing",
        {
            "routing": "attendant",
            "routing_bot": ids("vendas"),
            "human_block": ids("human"),
            "attendant_email": email,
        },
    )
    assert r.context["wizard"]["form"].prefix == "send", codes(r, "routing")
    return r


def test_R2_individual_to_attendant_sent_now_lands_on_detail(admin_client):
    walk_individual(admin_client, email="ANA@Example.com")
    r = post_step(admin_client, "send", {"when": "now"})
    assert r.status_code == 302
    campaign = Campaign.objects.get()
    assert r["Location"] == reverse("campaigns:detail", args=[campaign.pk])
    assert campaign.status == Campaign.Status.SENDING
    assert campaign.attendant.email == "ana@example.com"
    recipient = Recipient.objects.get()
    assert recipient.contact.phone == "+5511977771234"
    assert recipient.parameters == {"body": ["Ana", "123"], "header": None, "button": "123"}
    assert admin_client.get(reverse("campaigns:detail", args=[campaign.pk])).status_code == 200


def test_R5_unknown_attendant_shows_error_at_step_4_and_keeps_the_data(admin_client):
    walk_individual(admin_client, email="nobody@example.com")
    r = post_step(admin_client, "send", {"when": "now"})
    assert r.status_code == 200
    errors = r.context["send_errors"]
    assert {e["code"] for e in errors} == {"R5_attendant_not_in_team"}
    assert {e["step"] for e in errors} == {"routing"}
    assert not Campaign.objects.exists() and not Recipient.objects.exists()
    assert not Contact.objects.filter(phone="+5511977771234").exists()
    # Back to step 3: the data is still there; fix the e-mail and send.
    r = go_back(admin_client, "send", "routing")
    form = r.context["wizard"]["form"]
    assert form.prefix == "routing"
    assert form["attendant_email"].value() == "nobody@example.com"
    post_step(
        admin_client,
        "routing",
        {
            "routing": "attendant",
            "routing_bot": ids("vendas"),
            "human_block": ids("human"),
            "attendant_email": "ana@example.com",
        },
    )
    r = post_step(admin_client, "send", {"when": "now"})
    assert r.status_code == 302
    assert Campaign.objects.get().name == "Retomada Ana"


def test_schedule_must_be_in_the_future(admin_client):
    walk_individual(admin_client)
    past = timezone.localtime() - dt.timedelta(hours=1)
    r = post_step(
        admin_client,
        "send",
        {"when": "schedule", "date": past.date().isoformat(), "time": past.strftime("%H:%M")},
    )
    assert codes(r, "send") == {"schedule_in_past"}
    r = post_step(admin_client, "send", {"when": "schedule", "date": "", "time": ""})
    assert codes(r, "send") == {"schedule_incomplete"}
    future = timezone.localtime() + dt.timedelta(days=1)
    r = post_step(
        admin_client,
        "send",
        {"when": "schedule", "date": future.date().isoformat(), "time": "10:30"},
    )
    assert r.status_code == 302
    campaign = Campaign.objects.get()
    assert campaign.status == Campaign.Status.SCHEDULED
    local = timezone.localtime(campaign.scheduled_at)
    assert (local.date(), local.hour, local.minute) == (future.date(), 10, 30)


CSV = (
    b"telefone;nome;pedido\n"
    b"+55 11 91234-5678;Carla;A1\n"
    b"011912345678;Duplicada;A2\n"
    b"abc;Ruim;A3\n"
    b"+5521998877665;Diego;A4\n"
)


def upload(client, data=CSV, skip=False):
    client.get(URL)
    fields = {"name": "Lote", "kind": "bulk"}
    if skip:
        fields["skip_bad_rows"] = "on"
    return post_step(
        client,
        "audience",
        fields,
        {"audience-audience_file": SimpleUploadedFile("a.csv", data, "text/csv")},
    )


def test_R16_bad_rows_block_until_skipped_without_uploading_again(admin_client):
    r = upload(admin_client)
    assert codes(r, "audience") == {"R16_bad_rows_not_skipped"}
    scan = r.context["wizard"]["form"].scan
    assert (scan["total_rows"], scan["valid_rows"], scan["error_count"]) == (4, 2, 2)
    assert {e["code"] for e in scan["errors"]} == {"duplicate_phone", "phone_invalid"}
    token = r.context["wizard"]["form"]["upload_token"].value()
    assert token
    r = post_step(
        admin_client,
        "audience",
        {"name": "Lote", "kind": "bulk", "upload_token": token, "skip_bad_rows": "on"},
    )
    assert r.context["wizard"]["form"].prefix == "content"


def test_R16_bulk_to_flow_block_creates_contacts_and_recipients(admin_client):
    Contact.objects.filter(phone="+5521998877665").update(opted_out=True)
    walk_bulk(admin_client)
    r = post_step(admin_client, "send", {"when": "now"})
    assert r.status_code == 302
    campaign = Campaign.objects.get()
    assert (campaign.audience_size, campaign.skipped_rows, campaign.opted_out_count) == (1, 2, 1)
    recipient = Recipient.objects.get()
    assert recipient.parameters == {"body": ["Carla", "A1"], "header": None, "button": "A1"}
    assert recipient.contact.extras == {"nome": "Carla", "pedido": "A1"}
    assert recipient.contact.name == "Carla"


def test_R6_bulk_cannot_route_to_attendant(admin_client):
    upload(admin_client, skip=True)
    post_step(
        admin_client,
        "content",
        {"template": template("boas_vindas").pk},
    )
    r = post_step(
        admin_client,
        "routing",
        {
            "routing": "attendant",
            "routing_bot": ids("vendas"),
            "human_block": ids("human"),
            "attendant_email": "ana@example.com",
        },
    )
    assert codes(r, "routing") == {"R6_attendant_bulk"}


def test_bulk_mapping_is_checked_against_the_template(admin_client):
    upload(admin_client, skip=True)
    r = post_step(
        admin_client, "content", {"template": template("oferta_cidade").pk, "var_1": "nome"}
    )
    assert codes(r, "content") == {"template_variable_missing", "template_header_missing"}
    r = post_step(
        admin_client,
        "content",
        {
            "template": template("oferta_cidade").pk,
            "var_1": "nome",
            "var_2": "cidade",
            "header_column": "pedido",
        },
    )
    assert "invalid_choice" in codes(r, "content")  # "cidade" is not a column of this file
    r = post_step(
        admin_client,
        "content",
        {
            "template": template("oferta_cidade").pk,
            "var_1": "nome",
            "var_2": "pedido",
            "header_column": "pedido",
        },
    )
    assert r.context["wizard"]["form"].prefix == "routing"


def test_only_approved_templates_are_offered(admin_client):
    walk_individual(admin_client)
    r = go_back(admin_client, "send", "content")
    offered = set(
        r.context["wizard"]["form"].fields["template"].queryset.values_list("name", flat=True)
    )
    assert "promocao_pendente" not in offered and "boas_vindas" in offered
    r = post_step(admin_client, "content", {"template": template("promocao_pendente").pk})
    assert codes(r, "content") == {"invalid_choice"}


def test_R14_step_3_lists_attendants_with_status_and_step_4_warns_when_not_online(admin_client):
    r = walk_individual(admin_client, email="bruno@example.com")
    page = r.content.decode()
    assert r.context["summary"]["attendant"].status == "offline"
    assert 'data-code="R14_attendant_not_online"' in page
    r = go_back(admin_client, "send", "routing")
    statuses = {a.email: a.status for a in r.context["options"].attendants}
    assert statuses == {"ana@example.com": "online", "bruno@example.com": "offline"}
    assert 'data-status="offline"' in r.content.decode()
    r = post_step(
        admin_client,
        "routing",
        {
            "routing": "attendant",
            "routing_bot": ids("vendas"),
            "human_block": ids("human"),
            "attendant_email": "ana@example.com",
        },
    )
    assert 'data-code="R14_attendant_not_online"' not in r.content.decode()


def test_R5_storage_survives_the_error_and_is_reset_after_success(admin_client):
    walk_individual(admin_client, email="nobody@example.com")
    post_step(admin_client, "send", {"when": "now"})
    r = go_back(admin_client, "send", "audience")  # every step is still in the session
    assert r.context["wizard"]["form"]["name"].value() == "Retomada Ana"
    assert r.context["wizard"]["form"]["phone"].value() == "(11) 97777-1234"
    walk_individual(admin_client)
    key = "wizard_" + current_step_key().removesuffix("-current_step")
    assert admin_client.session[key]["step_data"]  # kept after the R5 error and the walk
    assert post_step(admin_client, "send", {"when": "now"}).status_code == 302
    assert admin_client.session[key]["step_data"] == {}  # reset only on success


def test_back_keeps_what_was_typed_on_the_page(admin_client):
    walk_individual(admin_client)
    r = admin_client.post(
        URL,
        {
            current_step_key(): "send",
            "send-when": "schedule",
            "send-date": "2031-01-02",
            "wizard_goto_step": "routing",
        },
    )
    assert r.context["wizard"]["form"].prefix == "routing"
    r = go_back(admin_client, "routing", "send")
    assert r.context["wizard"]["form"]["date"].value() == "2031-01-02"


# --- A CSV above AUDIENCE_INLINE_MAX_ROWS is imported by a Celery task ----------------------


@pytest.fixture
def large_csv(settings, tmp_path, monkeypatch):
    """The four-row CSV counts as large; uploads go to a temporary folder; no real sending."""
    from campaigns import jobs

    settings.MEDIA_ROOT = tmp_path
    settings.AUDIENCE_INLINE_MAX_ROWS = 2
    handed_off: list[int] = []
    monkeypatch.setattr(
        jobs, "start_sending", lambda *, campaign_id: handed_off.append(campaign_id)
    )
    return handed_off


def walk_bulk(client):
    upload(client, skip=True)
    r = post_step(
        client,
        "content",
        {
            "template": template("retomada_pedido").pk,
            "var_1": "nome",
            "var_2": "pedido",
            "button_column": "pedido",
        },
    )
    assert r.context["wizard"]["form"].prefix == "routing", codes(r, "content")
    r = post_step(
        client,
        "routing",
        {"routing": "flow", "routing_bot": ids("vendas"), "flow_block": ids("ofertas")},
    )
    assert r.context["wizard"]["form"].prefix == "send", codes(r, "routing")
    return r


def wizard_uploads():
    from campaigns.uploads import upload_storage

    storage = upload_storage()
    return storage.listdir("")[1] if storage.exists("") else []


def test_large_csv_lands_on_the_detail_page_while_the_audience_imports(
    admin_client, large_csv, django_capture_on_commit_callbacks
):
    Contact.objects.filter(phone="+5521998877665").update(opted_out=True)
    walk_bulk(admin_client)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        r = post_step(admin_client, "send", {"when": "now"})
    assert r.status_code == 302
    campaign = Campaign.objects.get()
    assert r["Location"] == reverse("campaigns:detail", args=[campaign.pk])
    # The task has not run yet: a Draft with its file and no recipients.
    assert campaign.status == Campaign.Status.DRAFT
    assert campaign.import_status == "importing"
    assert (campaign.import_rows_done, campaign.import_rows_total) == (0, 4)
    assert campaign.audience_file
    assert not Recipient.objects.exists()
    page = admin_client.get(r["Location"])
    assert page.status_code == 200
    assert b'id="audience-importing"' in page.content
    progress = admin_client.get(reverse("campaign_progress", args=[campaign.pk])).json()
    assert (progress["importing"], progress["import_rows_total"]) == (True, 4)
    # The commit enqueues the import (eager Celery here), which then submits the campaign.
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.SENDING
    assert campaign.import_status == "done"
    assert (campaign.audience_size, campaign.skipped_rows, campaign.opted_out_count) == (1, 2, 1)
    recipient = Recipient.objects.get()
    assert recipient.parameters == {"body": ["Carla", "A1"], "header": None, "button": "A1"}
    assert large_csv == [campaign.pk]
    assert wizard_uploads() == []  # moved into the campaign, then removed once sent
    progress = admin_client.get(reverse("campaign_progress", args=[campaign.pk])).json()
    assert progress["importing"] is False


def test_R5_on_the_background_path_still_shows_at_step_4_with_nothing_created(
    admin_client, large_csv, monkeypatch
):
    from django.core.exceptions import ValidationError

    walk_bulk(admin_client)

    def refuse(*, campaign):
        raise ValidationError(
            {"attendant_email": ValidationError("x", code="R5_attendant_not_in_team")}
        )

    monkeypatch.setattr(validation, "validate_campaign_for_send", refuse)
    r = post_step(admin_client, "send", {"when": "now"})
    assert r.status_code == 200
    assert {e["code"] for e in r.context["send_errors"]} == {"R5_attendant_not_in_team"}
    assert not Campaign.objects.exists()
    assert len(wizard_uploads()) == 1  # the upload is kept for the next try


def test_small_csv_is_still_imported_in_the_request(admin_client, large_csv, settings):
    settings.AUDIENCE_INLINE_MAX_ROWS = 4
    walk_bulk(admin_client)
    assert post_step(admin_client, "send", {"when": "now"}).status_code == 302
    campaign = Campaign.objects.get()
    assert campaign.import_status == "none"
    assert campaign.status == Campaign.Status.SENDING
    assert Recipient.objects.filter(campaign=campaign).count() == 2


# --- R26: step 4 shows how much of the campaign fits in the messaging window ----------------


def test_R26_step_4_says_the_whole_campaign_fits_the_window(admin_client):
    r = walk_individual(admin_client)
    budget = r.context["budget"]
    assert (budget.budget.limit, budget.fit_now, budget.waiting) == (10_000, 1, 0)
    assert (
        'id="budget-fit"' in r.content.decode() and 'id="budget-waiting"' not in r.content.decode()
    )


def test_R26_step_4_counts_who_is_already_in_the_window_and_says_when_the_rest_goes(
    admin_client, clock
):
    router = Bot.objects.get(slug="demo-router")
    router.messaging_tier = Bot.MessagingTier.TIER_250
    router.save()
    oldest = clock.now - dt.timedelta(hours=20)
    Contact.objects.bulk_create(
        Contact(bot=router, phone=f"+55117{i:08d}", last_active_message_at=oldest)
        for i in range(249)
    )
    # Carla, of the CSV, was messaged an hour ago: sending her again costs nothing.
    Contact.objects.create(
        bot=router, phone="+5511912345678", last_active_message_at=clock.now - dt.timedelta(hours=1)
    )
    r = walk_bulk(admin_client)
    budget = r.context["budget"]
    assert (budget.budget.used, budget.budget.remaining) == (250, 0)
    assert (budget.audience, budget.fit_now, budget.waiting) == (2, 1, 1)
    assert budget.first_wait_until == oldest + dt.timedelta(hours=24)
    html = r.content.decode()
    assert 'data-code="R26_messaging_limit"' in html
