"""The Desk send's pages (R27): only allowed attendants see and open them; the two steps; the
refusals shown per contact with their codes; *Sent by me* with statuses, filters and pages."""

import re

import pytest
from django.urls import reverse

from bots.models import BotMembership
from campaigns.desk_sends.services import DeskSendTarget, desk_send_create
from campaigns.models import Campaign, DeskSend, Recipient
from tests.bots.factories import BotMembershipFactory, ContactFactory, UserFactory
from tests.campaigns.factories import DeskSenderFactory, MessageTemplateFactory
from tests.campaigns.test_desk_sends import JOAO, MARIA, make_desk
from tests.desk.factories import AttendantFactory, TicketFactory

pytestmark = pytest.mark.django_db

NEW = reverse("desk_sends:new")
SENT = reverse("desk_sends:list")


@pytest.fixture
def desk():
    desk = make_desk()
    BotMembershipFactory(user=desk.ana.user, bot=desk.router, role=BotMembership.Role.ATTENDANT)
    return desk


@pytest.fixture
def ana(client, desk):
    client.force_login(desk.ana.user)
    return client


def codes(response) -> set[str]:
    return set(re.findall(r'data-code="([^"]+)"', response.content.decode()))


def choose(client, desk, *, contacts=(), phones="", template=None):
    return client.post(
        NEW,
        {
            "attendant": desk.ana.pk,
            "action": "choose",
            "choose-template": (template or desk.template).pk,
            "choose-contacts": [c.pk for c in contacts],
            "choose-phones": phones,
        },
    )


def step2_data(desk, rows: list[dict], action="send", **extra) -> dict:
    data = {
        "attendant": desk.ana.pk,
        "template": desk.template.pk,
        "action": action,
        "rows-TOTAL_FORMS": len(rows),
        "rows-INITIAL_FORMS": len(rows),
        **extra,
    }
    for i, row in enumerate(rows):
        data.update({f"rows-{i}-{key}": value for key, value in row.items()})
    return data


def attended(desk, phone, name, **extras):
    contact = ContactFactory(bot=desk.router, phone=phone, name=name, extras=extras)
    TicketFactory(bot=desk.vendas, contact=contact, attendant=desk.ana, status="closed_attendant")
    return contact


def test_R27_an_attendant_without_the_permission_never_sees_the_feature(client, desk):
    bruno = AttendantFactory(bot=desk.vendas, user=UserFactory(), teams=[])
    BotMembershipFactory(user=bruno.user, bot=desk.router, role=BotMembership.Role.ATTENDANT)
    client.force_login(bruno.user)

    home = client.get(reverse("desk:home"))

    assert home.status_code == 200
    assert b"action-desk-send" not in home.content
    assert client.get(NEW).status_code == 404
    assert client.get(SENT).status_code == 404
    assert choose(client, desk, phones=MARIA).status_code == 404
    assert not Campaign.objects.exists()


def test_R27_an_allowed_attendant_finds_it_in_the_workspace(ana, desk):
    contact = attended(desk, MARIA, "Maria Lima")
    ticket = TicketFactory(bot=desk.vendas, contact=contact, open=True, attendant=desk.ana)

    home = ana.get(reverse("desk:home")).content.decode()
    page = ana.get(reverse("desk:ticket", args=[desk.router.slug, ticket.pk])).content.decode()

    assert f'href="{NEW}?attendant={desk.ana.pk}"' in home
    assert f'href="{SENT}?attendant={desk.ana.pk}"' in home
    assert f'href="{NEW}?attendant={desk.ana.pk}&amp;contact={contact.pk}"' in page


def test_R27_the_customer_of_a_ticket_comes_preselected(ana, desk):
    contact = attended(desk, MARIA, "Maria Lima")
    other = attended(desk, JOAO, "João")
    page = ana.get(f"{NEW}?contact={contact.pk}").content.decode()
    assert f'value="{contact.pk}"' in page and f'value="{other.pk}"' in page
    checked = re.findall(r'<input type="checkbox"[^>]*checked[^>]*>', page)
    assert len(checked) == 1 and f'value="{contact.pk}"' in checked[0]


def test_R27_another_users_attendant_profile_is_not_found(ana, desk):
    carla = AttendantFactory(bot=desk.vendas, user=UserFactory())
    DeskSenderFactory(attendant=carla)
    assert ana.get(f"{NEW}?attendant={carla.pk}").status_code == 404
    assert ana.get(f"{SENT}?attendant={carla.pk}").status_code == 404


@pytest.mark.parametrize(
    ("phones", "code"),
    [
        ("1234", "phone_invalid"),
        ("nada@", "identity_invalid"),
        ("", "R27_contact_count"),
        ("\n".join(f"+55119777{n:05d}" for n in range(16)), "R27_contact_count"),
    ],
)
def test_R27_step_1_names_what_is_wrong(ana, desk, phones, code):
    response = choose(ana, desk, phones=phones)
    assert response.status_code == 200
    assert code in codes(response)
    assert b'data-step="1"' in response.content


def test_R27_step_1_refuses_a_contact_over_the_cap_at_once(ana, desk):
    maria = attended(desk, MARIA, "Maria Lima")
    desk_send_create(
        attendant=desk.ana,
        template=desk.template,
        targets=[DeskSendTarget(phone=MARIA, parameters={"body": ["Maria"]})],
    )
    response = choose(ana, desk, contacts=[maria])
    assert codes(response) == {"R27_contact_cap"}
    assert "Maria Lima (+55 11 97777-1234)" in response.content.decode()


def test_R27_step_2_starts_with_the_first_name_and_fills_from_extras(ana, desk):
    carla = attended(desk, MARIA, "Carla Dias", cidade="BH")
    response = choose(ana, desk, contacts=[carla], phones="(21) 98877-6655")
    page = response.content.decode()
    assert b'data-step="2"' in response.content
    assert 'name="rows-0-var_1" value="Carla"' in page
    assert "Olá, Carla! Tudo bem?" in page  # the row's preview
    assert 'name="rows-1-phone" value="+5521988776655"' in page

    rows = [{"phone": MARIA, "var_1": "Carla"}, {"phone": JOAO, "var_1": ""}]
    filled = ana.post(
        NEW, step2_data(desk, rows, action="fill", **{"d-source_var_1": "extra:cidade"})
    )
    assert 'name="rows-0-var_1" value="BH"' in filled.content.decode()


def test_R27_the_same_text_for_everyone(ana, desk):
    rows = [{"phone": MARIA}, {"phone": JOAO}]
    data = step2_data(
        desk, rows, action="fill", **{"d-source_var_1": "same", "d-text_var_1": "amigo"}
    )
    page = ana.post(NEW, data).content.decode()
    assert page.count('value="amigo"') == 3  # both rows and the text box


def test_R27_sending_creates_the_messages_and_lists_them(
    ana, desk, django_capture_on_commit_callbacks
):
    rows = [{"phone": MARIA, "var_1": "Maria"}, {"phone": JOAO, "var_1": "João", "name": "João"}]
    with django_capture_on_commit_callbacks(execute=True):
        response = ana.post(NEW, step2_data(desk, rows))

    assert response.status_code == 302
    assert response.url == f"{SENT}?attendant={desk.ana.pk}"
    assert DeskSend.objects.filter(attendant=desk.ana).count() == 2
    assert DeskSend.objects.get(contact__phone=JOAO).contact.name == "João"
    listing = ana.get(response.url)
    page = listing.content.decode()
    assert page.count('data-testid="sent-row"') == 2
    assert page.count('data-status="sent"') == 2
    assert "desk_sent" in page  # the success message


def test_R27_a_refused_send_shows_each_contacts_problem_on_its_row(ana, desk):
    ContactFactory(bot=desk.router, phone=JOAO, opted_out=True)
    rows = [{"phone": MARIA, "var_1": ""}, {"phone": JOAO, "var_1": "João"}]

    response = ana.post(NEW, step2_data(desk, rows))

    page = response.content.decode()
    assert codes(response) == {"template_variable_missing", "R16_contact_opted_out"}
    first, second = page.split('data-testid="row"')[1:3]
    assert "template_variable_missing" in first and "R16_contact_opted_out" in second
    assert not Campaign.objects.exists()


def test_R28_a_rule_of_the_campaigns_is_shown_with_its_code(ana, desk):
    desk.vendas.desk_enabled = False
    desk.vendas.save()
    response = ana.post(NEW, step2_data(desk, [{"phone": MARIA, "var_1": "Maria"}]))
    assert "R7_desk_disabled" in codes(response)
    assert not Campaign.objects.exists()


def test_R27_a_template_of_another_bot_cannot_be_posted(ana, desk):
    foreign = MessageTemplateFactory()
    data = step2_data(desk, [{"phone": MARIA, "var_1": "Maria"}], template=foreign.pk)
    response = ana.post(NEW, data)
    assert b'data-step="1"' in response.content
    assert not Campaign.objects.exists()


def test_R27_sent_by_me_is_mine_only_paginated_and_filtered(ana, desk):
    carla = AttendantFactory(bot=desk.vendas, teams=list(desk.ana.teams.all()), user=UserFactory())
    DeskSenderFactory(attendant=carla)
    for n in range(21):
        phone = f"+55119888{n:05d}"
        desk_send_create(
            attendant=desk.ana,
            template=desk.template,
            targets=[DeskSendTarget(phone=phone, parameters={"body": ["X"]})],
        )
    desk_send_create(
        attendant=carla,
        template=desk.template,
        targets=[DeskSendTarget(phone=MARIA, parameters={"body": ["X"]})],
    )
    Recipient.objects.filter(contact__phone="+5511988800000").update(
        status="failed", failure_code="gateway_permanent", failure_reason="Sem WhatsApp"
    )

    first = ana.get(SENT).content.decode()
    second = ana.get(f"{SENT}?attendant={desk.ana.pk}&page=2").content.decode()
    failed = ana.get(f"{SENT}?attendant={desk.ana.pk}&status=failed").content.decode()

    assert first.count('data-testid="sent-row"') == 20
    assert second.count('data-testid="sent-row"') == 1
    assert "97777-1234" not in first + second  # Carla's message
    assert failed.count('data-testid="sent-row"') == 1 and "Sem WhatsApp" in failed


def test_R27_the_reply_ticket_is_linked_from_sent_by_me(ana, desk):
    (sent,) = desk_send_create(
        attendant=desk.ana,
        template=desk.template,
        targets=[DeskSendTarget(phone=MARIA, parameters={"body": ["X"]})],
    )
    ticket = TicketFactory(bot=desk.vendas, contact=sent.contact, requested_attendant=desk.ana)
    page = ana.get(SENT).content.decode()
    assert reverse("desk:ticket", args=[desk.router.slug, ticket.pk]) in page


def test_R27_the_contacts_history_names_the_desk_sender(
    ana, desk, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        (sent,) = desk_send_create(
            attendant=desk.ana,
            template=desk.template,
            targets=[DeskSendTarget(phone=MARIA, parameters={"body": ["X"]})],
        )
    ticket = TicketFactory(bot=desk.vendas, contact=sent.contact, open=True, attendant=desk.ana)
    page = ana.get(reverse("desk:ticket", args=[desk.router.slug, ticket.pk])).content.decode()
    reached = re.findall(r'data-testid="reached-by">(.*?)</li>', page)
    assert reached and "retomada" in reached[0] and "Ana Souza" in reached[0]


def test_R27_a_closed_whatsapp_window_points_to_an_active_message(ana, desk):
    contact = attended(desk, MARIA, "Maria Lima")
    ticket = TicketFactory(bot=desk.vendas, contact=contact, open=True, attendant=desk.ana)
    page = ana.get(reverse("desk:ticket", args=[desk.router.slug, ticket.pk])).content.decode()
    assert 'data-code="window_closed"' in page  # the customer never wrote: no 24 h window
    blocked = page.split('data-testid="window-closed-actions"')[1]
    assert f"contact={contact.pk}" in blocked.split("</div>")[0]


def test_R27_a_customer_waiting_for_the_sender_can_be_picked(ana, desk):
    contact = ContactFactory(bot=desk.router, phone=MARIA, name="Maria Lima")
    TicketFactory(bot=desk.vendas, contact=contact, requested_attendant=desk.ana)
    page = ana.get(f"{NEW}?contact={contact.pk}").content.decode()
    assert re.search(rf'<input type="checkbox"[^>]*value="{contact.pk}"[^>]*checked', page)


def test_R14_the_sender_is_told_when_not_online(ana, desk):
    desk.ana.status = "pause"
    desk.ana.save()
    assert b'data-testid="sender-not-online"' in ana.get(NEW).content
