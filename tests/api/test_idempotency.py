"""Idempotency-Key: a retried POST returns the first answer and never sends twice."""

import threading

import pytest
from django.db import connection

from api.idempotency import records_remove_expired
from api.models import IdempotencyRecord
from campaigns.models import Campaign, Recipient
from tests.api import scenarios
from tests.api.factories import client_for
from tests.services import require_postgres

pytestmark = pytest.mark.django_db


def post(setup, payload, key="retry-1", path="/api/v1/messages"):
    return client_for(setup.key).post(path, payload, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_retry_gets_the_first_answer_and_sends_once(api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = post(api, api.message())
        second = post(api, api.message())
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Campaign.objects.count() == 1
    assert Recipient.objects.filter(status="sent").count() == 1


def test_a_refusal_is_remembered_too(api):
    payload = api.message(routing=api.routing(attendant_email="ninguem@example.com"))
    first, second = post(api, payload), post(api, payload)
    assert first.status_code == second.status_code == 422
    assert second.json() == first.json()


def test_the_same_key_with_another_body_is_refused(api):
    assert post(api, api.message()).status_code == 201
    response = post(api, api.message(phone="+5511977779999"))
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Campaign.objects.count() == 1


def test_keys_are_per_api_key(api):
    other = scenarios.setup()
    assert post(api, api.message()).status_code == 201
    assert post(other, other.message()).status_code == 201
    assert Campaign.objects.count() == 2


def test_an_empty_or_huge_key_is_a_400(api):
    for key in (" ", "x" * 256):
        response = post(api, api.message(), key=key)
        assert response.status_code == 400
        assert response.json()["code"] == "idempotency_key_invalid"


def test_cancel_is_idempotent(api):
    import datetime as dt

    from django.utils import timezone

    at = (timezone.now() + dt.timedelta(hours=1)).isoformat()
    created = post(api, api.message(scheduled_at=at), key="create").json()
    path = f"/api/v1/campaigns/{created['id']}/cancel"
    first = post(api, None, key="cancel", path=path)
    again = post(api, None, key="cancel", path=path)
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"


def test_records_older_than_a_day_are_removed(api):
    import datetime as dt

    from django.utils import timezone

    post(api, api.message())
    assert records_remove_expired() == 0
    later = timezone.now() + dt.timedelta(hours=25)
    assert records_remove_expired(now=later) == 1
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_send_once_on_postgresql():
    """Eight simultaneous requests with one key, each on its own connection: one campaign."""
    require_postgres()
    setup = scenarios.setup()
    payload = setup.message()
    barrier = threading.Barrier(8)
    results: list = []

    def attempt():
        try:
            barrier.wait()
            response = post(setup, payload, key="burst")
            results.append((response.status_code, response.json()["id"]))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 8
    assert {status for status, _id in results} == {201}
    assert len({campaign_id for _status, campaign_id in results}) == 1
    assert Campaign.objects.count() == 1
    assert Recipient.objects.get().status == Recipient.Status.SENT
