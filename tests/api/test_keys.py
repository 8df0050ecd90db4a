"""Per-bot API keys: stored hashed, shown once in the admin, revocable, last-used time."""

import hashlib

import pytest
from django.urls import reverse

from api.keys import api_key_create, api_key_find
from api.models import ApiKey
from bots.models import BotMembership
from tests.api.factories import ApiKeyFactory, client_for
from tests.bots.factories import BotFactory, BotMembershipFactory, SubBotFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_only_a_prefix_and_a_hash_are_stored():
    key, clear = api_key_create(bot=BotFactory(), name="CRM")
    row = ApiKey.objects.values().get(pk=key.pk)
    assert clear not in str(row)
    assert row["key_hash"] == hashlib.sha256(clear.encode()).hexdigest()
    assert clear.startswith(f"bpk_{row['prefix']}.")
    assert api_key_find(clear=clear) == key
    assert api_key_find(clear=clear[:-1] + ("A" if clear[-1] != "A" else "B")) is None


def test_a_key_belongs_to_a_top_level_bot():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        api_key_create(bot=SubBotFactory(), name="CRM")
    assert error.value.error_dict["bot"][0].code == "api_key_on_sub_bot"


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, "api_key_missing"),
        ("Key bpk_deadbeef.nope", "api_key_invalid"),
        ("Key", "api_key_malformed"),
        ("Bearer something", "api_key_missing"),
    ],
)
def test_requests_without_a_valid_key_get_401(client, header, code):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get("/api/v1/templates", **extra)
    assert response.status_code == 401
    assert response.json()["code"] == code
    assert response["WWW-Authenticate"] == "Key"


def test_a_revoked_key_gets_401():
    key = ApiKeyFactory(revoked=True)
    response = client_for(key).get("/api/v1/templates")
    assert response.status_code == 401
    assert response.json()["code"] == "api_key_revoked"


def test_use_records_the_last_used_time():
    key = ApiKeyFactory()
    assert key.last_used_at is None
    assert client_for(key).get("/api/v1/templates").status_code == 200
    key.refresh_from_db()
    assert key.last_used_at is not None


# --- The admin -----------------------------------------------------------------------------


def _bot_admin(bot, role=BotMembership.Role.ADMIN):
    user = UserFactory(staff=True)
    BotMembershipFactory(user=user, bot=bot, role=role)
    return user


def test_admin_creates_a_key_and_shows_it_once(client):
    bot = BotFactory()
    client.force_login(_bot_admin(bot))
    response = client.post(
        reverse("admin:api_apikey_add"),
        {"bot": bot.pk, "name": "CRM de vendas", "requests_per_minute": 60},
    )
    assert response.status_code == 200
    clear = response.context["clear"]
    key = ApiKey.objects.get(bot=bot)
    assert api_key_find(clear=clear) == key
    assert key.created_by is not None
    page = client.get(reverse("admin:api_apikey_change", args=[key.pk])).content.decode()
    assert clear not in page
    assert key.display_prefix in page


def test_admin_revokes_a_key(client):
    bot = BotFactory()
    key = ApiKeyFactory(bot=bot)
    client.force_login(_bot_admin(bot))
    client.post(
        reverse("admin:api_apikey_changelist"),
        {"action": "revoke", "_selected_action": [key.pk]},
    )
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert client_for(key).get("/api/v1/templates").status_code == 401


def test_admin_keys_are_scoped_to_the_readers_bots(client):
    mine, other = BotFactory(), BotFactory()
    ApiKeyFactory(bot=mine, name="minha")
    theirs = ApiKeyFactory(bot=other, name="deles")
    client.force_login(_bot_admin(mine))
    listing = client.get(reverse("admin:api_apikey_changelist")).content.decode()
    assert "minha" in listing and "deles" not in listing
    assert client.get(reverse("admin:api_apikey_change", args=[theirs.pk])).status_code == 403
    form = client.get(reverse("admin:api_apikey_add")).context["adminform"].form
    assert list(form.fields["bot"].queryset) == [mine]
    response = client.post(
        reverse("admin:api_apikey_add"), {"bot": other.pk, "name": "x", "requests_per_minute": 5}
    )
    assert not ApiKey.objects.filter(name="x").exists()
    assert response.status_code == 200 and "bot" in response.context["adminform"].form.errors


def test_operators_do_not_manage_keys(client):
    bot = BotFactory()
    client.force_login(_bot_admin(bot, role=BotMembership.Role.OPERATOR))
    assert client.get(reverse("admin:api_apikey_changelist")).status_code == 403
    assert client.get(reverse("admin:api_apikey_add")).status_code == 403
