"""R27's cap under real concurrency: two attendants send to one contact at the same moment, each
on its own PostgreSQL connection; one wins, the other is refused by the cap. Never both."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from bots.errors import error_codes
from campaigns.desk_sends import services
from campaigns.desk_sends.services import DeskSendTarget, desk_send_create
from campaigns.models import Campaign, DeskSend
from tests.bots.factories import ContactFactory, UserFactory
from tests.campaigns.factories import DeskSenderFactory
from tests.campaigns.test_desk_sends import make_desk
from tests.desk.factories import AttendantFactory
from tests.services import require_postgres

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

A, B = "+5511977770001", "+5511977770002"
LOCK_WAITERS = """
    SELECT count(*) FROM pg_stat_activity
    WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()
"""


class Overlap:
    """Holds the first sender right after it counted the contact's messages, until the other
    sender is either blocked on a lock (the cap's lock works) or counting too (it does not).

    Both are events observed, not waited for by the clock: the test's own connection watches
    pg_stat_activity, and each sender reports when it counts.
    """

    def __init__(self, monkeypatch):
        self.counting = threading.Semaphore(0)
        self.entered = 0
        self.go = threading.Event()
        self.guard = threading.Lock()
        count = services.recent_send_times

        def counted(**kwargs):
            result = count(**kwargs)
            with self.guard:
                self.entered += 1
            self.counting.release()
            self.go.wait(timeout=30)
            return result

        monkeypatch.setattr(services, "recent_send_times", counted)

    def release_when_overlapping(self) -> None:
        assert self.counting.acquire(timeout=30), "no sender reached the cap"
        with connection.cursor() as cursor:
            for _poll in range(3000):
                cursor.execute(LOCK_WAITERS)
                if cursor.fetchone()[0] or self.entered > 1:
                    break
                threading.Event().wait(0.01)
        self.go.set()


def race(monkeypatch, *sends) -> list:
    """Run each ``(attendant, template, targets)`` in its own thread at once; their outcomes."""
    overlap = Overlap(monkeypatch)
    outcomes: list = [None] * len(sends)

    def run(index, attendant, template, targets):
        try:
            outcomes[index] = desk_send_create(
                attendant=attendant, template=template, targets=targets
            )
        except ValidationError as error:
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, *s)) for i, s in enumerate(sends)]
    for thread in threads:
        thread.start()
    overlap.release_when_overlapping()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def _two_senders():
    require_postgres()
    desk = make_desk()
    carla = AttendantFactory(
        bot=desk.vendas, teams=list(desk.ana.teams.all()), user=UserFactory(), name="Carla"
    )
    DeskSenderFactory(attendant=carla)
    return desk, carla


def _one_won(outcomes) -> None:
    won = [o for o in outcomes if isinstance(o, list)]
    lost = [o for o in outcomes if isinstance(o, ValidationError)]
    assert (len(won), len(lost)) == (1, 1), outcomes
    assert error_codes(lost[0]) == {services.R27_CONTACT_CAP}
    assert DeskSend.objects.count() == Campaign.objects.count() == len(won[0])


@pytest.mark.parametrize("known", [True, False], ids=["known-contact", "new-contact"])
def test_R27_two_attendants_sending_to_one_contact_at_once_one_wins(monkeypatch, known):
    desk, carla = _two_senders()
    if known:
        ContactFactory(bot=desk.router, phone=A, name="Maria")
    targets = [DeskSendTarget(phone=A, parameters={"body": ["Maria"]})]

    outcomes = race(
        monkeypatch, (desk.ana, desk.template, targets), (carla, desk.template, targets)
    )

    _one_won(outcomes)
    assert DeskSend.objects.get().contact.phone == A


def test_R27_overlapping_lists_in_opposite_orders_neither_deadlock_nor_both_pass(monkeypatch):
    desk, carla = _two_senders()
    for phone in (A, B):
        ContactFactory(bot=desk.router, phone=phone)
    forward = [DeskSendTarget(phone=p, parameters={"body": ["Oi"]}) for p in (A, B)]

    outcomes = race(
        monkeypatch,
        (desk.ana, desk.template, forward),
        (carla, desk.template, list(reversed(forward))),
    )

    _one_won(outcomes)
    assert sorted(DeskSend.objects.values_list("contact__phone", flat=True)) == [A, B]
