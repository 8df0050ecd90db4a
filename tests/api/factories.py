import factory
from rest_framework.test import APIClient

from api.keys import api_key_create
from api.models import ApiKey
from tests.bots.factories import BotFactory


class ApiKeyFactory(factory.django.DjangoModelFactory):
    """A key built through the service; the clear text is on ``key.clear`` (tests only)."""

    class Meta:
        model = ApiKey

    bot = factory.SubFactory(BotFactory)
    name = factory.Sequence(lambda n: f"CRM {n}")
    requests_per_minute = 1000

    class Params:
        revoked = factory.Trait(revoked_at=factory.Faker("past_datetime", tzinfo=None))

    @classmethod
    def _create(cls, model_class, *, bot, name, requests_per_minute, revoked_at=None, **kwargs):
        key, clear = api_key_create(bot=bot, name=name, requests_per_minute=requests_per_minute)
        if revoked_at is not None:
            ApiKey.objects.filter(pk=key.pk).update(revoked_at=key.created_at)
            key.refresh_from_db()
        key.clear = clear
        return key


def client_for(key: ApiKey, language: str | None = None) -> APIClient:
    client = APIClient()
    headers = {"HTTP_AUTHORIZATION": f"Key {key.clear}"}
    if language:
        headers["HTTP_ACCEPT_LANGUAGE"] = language
    client.credentials(**headers)
    return client
