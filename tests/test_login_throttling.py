"""Issue 13: login throttling by django-axes — a user name locked at an address after repeated
failures, a clear page in Portuguese, and a superuser unlocking it from the admin."""

import pytest
from axes.models import AccessAttempt
from django.test import override_settings
from django.urls import reverse

from tests.bots.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("throttled")]


@pytest.fixture
def throttled():
    with override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=5):
        yield


def attempt(client, username, password, address="203.0.113.7"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_thirty_wrong_passwords_lock_the_user_at_that_address(client):
    UserFactory(username="ana")
    statuses = [attempt(client, "ana", f"guess{i}").status_code for i in range(30)]
    assert statuses[:4] == [200] * 4  # the login form again, with its error
    assert set(statuses[5:]) == {429}
    locked = attempt(client, "ana", "pw")
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    page = locked.content.decode()
    assert 'class="errornote login-locked"' in page
    assert "15 minutos" in page  # the cool-off, said in pt-BR
    assert locked["Content-Language"] == "pt-br"


def test_the_lock_is_per_user_and_address(client):
    UserFactory(username="ana")
    UserFactory(username="bruno")
    for i in range(5):
        attempt(client, "ana", f"guess{i}")
    assert attempt(client, "ana", "pw").status_code == 429
    # Bruno, behind the same office address, still logs in; so does Ana from elsewhere.
    assert attempt(client, "bruno", "pw").status_code == 302
    client.logout()
    assert attempt(client, "ana", "pw", address="198.51.100.9").status_code == 302


def test_a_superuser_unlocks_from_the_admin(client):
    UserFactory(username="ana")
    for i in range(5):
        attempt(client, "ana", f"guess{i}")
    assert attempt(client, "ana", "pw").status_code == 429
    admin = UserFactory(superuser=True)
    client.force_login(admin)
    changelist = reverse("admin:axes_accessattempt_changelist")
    page = client.get(changelist)
    assert page.status_code == 200
    rows = list(AccessAttempt.objects.filter(username="ana").values_list("pk", flat=True))
    assert rows
    client.post(changelist, {"action": "delete_selected", "_selected_action": rows, "post": "yes"})
    assert not AccessAttempt.objects.filter(username="ana").exists()
    client.logout()
    assert attempt(client, "ana", "pw").status_code == 302


def test_bot_admins_cannot_see_or_clear_attempts(client):
    from tests.bots.factories import BotMembershipFactory

    client.force_login(BotMembershipFactory(role="admin").user)
    assert client.get(reverse("admin:axes_accessattempt_changelist")).status_code == 403
