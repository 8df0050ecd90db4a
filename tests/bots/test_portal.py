import pytest
from django.core.management import call_command
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("seed_demo", verbosity=0)


def test_attendants_do_not_see_the_active_messages_link(client, demo):
    client.login(username="ana@example.com", password="demo")
    html = client.get(reverse("desk:home")).content.decode()
    assert reverse("campaigns:list") not in html
    assert client.get(reverse("campaigns:list")).status_code in (403, 404)


def test_operators_see_both_sections(client, demo):
    client.login(username="operador", password="demo")
    html = client.get(reverse("campaigns:list")).content.decode()
    assert reverse("campaigns:list") in html and reverse("desk:home") in html


def test_switching_to_a_bot_of_someone_else_is_refused(client, demo):
    from tests.bots.factories import BotFactory

    client.login(username="operador", password="demo")
    other = BotFactory()
    response = client.post(reverse("switch_bot"), {"bot": other.pk, "next": "/"})
    assert response.status_code == 404


def test_home_sends_each_role_to_its_work(client, demo):
    client.login(username="ana@example.com", password="demo")
    assert client.get("/")["Location"] == reverse("desk:home")
    client.login(username="operador", password="demo")
    assert client.get("/")["Location"] == reverse("campaigns:list")


@pytest.mark.parametrize("chosen", ["abc", "1.5", "", "1 OR 1=1", "٣"])
def test_switching_with_a_malformed_bot_id_is_not_found(client, demo, chosen):
    """Issue 13: POST /portal/bot/ with a non-numeric id answered 500."""
    client.login(username="operador", password="demo")
    assert client.post(reverse("switch_bot"), {"bot": chosen}).status_code == 404


def test_portal_pages_do_not_build_the_admin_app_list(client, demo):
    """The portal shows no admin sidebar: asking every ModelAdmin its permissions on each page
    view cost two membership queries per model (scoped admin), a third of a report's time."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.login(username="operador", password="demo")
    client.get(reverse("campaigns:list"))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("campaigns:list"))
    assert response.context["available_apps"] == []
    memberships = [q for q in queries.captured_queries if "bots_botmembership" in q["sql"]]
    assert len(memberships) <= 4


def test_a_request_reads_the_users_memberships_once(client, demo):
    """The switcher, the view's role check and the Desk's supervisor test all ask: one read."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.login(username="operador", password="demo")
    client.get(reverse("campaigns:list"))
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("campaigns:list"))
    memberships = [q for q in queries.captured_queries if "bots_botmembership" in q["sql"]]
    assert len(memberships) == 1


def test_a_membership_granted_or_revoked_is_seen_at_once_by_the_same_user_object(demo):
    """The memo lives on the user object; any membership change in the process drops it."""
    from django.contrib.auth import get_user_model

    from bots.access import bot_ids_for, has_role
    from bots.models import BotMembership
    from tests.bots.factories import BotFactory, SubBotFactory

    user = get_user_model().objects.get(username="operador")
    router = BotFactory(as_router=True)
    assert router.pk not in bot_ids_for(user) and not has_role(user, router, ["operator"])
    membership = BotMembership.objects.create(user=user, bot=router, role="operator")
    assert router.pk in bot_ids_for(user) and has_role(user, router, ["operator"])
    sub = SubBotFactory(router=router)
    assert sub.pk in bot_ids_for(user) and has_role(user, sub, ["operator"])
    membership.delete()
    assert not {router.pk, sub.pk} & bot_ids_for(user)
    assert not has_role(user, sub, ["operator"])
