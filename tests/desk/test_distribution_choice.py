"""R21 as tables: who receives a waiting ticket, and which tickets an attendant takes next."""

from datetime import UTC, datetime, timedelta

import pytest

from desk.distribution import Candidate, WaitingTicket, choose_attendant, tickets_for

T0 = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)


def at(minutes):
    return T0 + timedelta(minutes=minutes)


def person(id, open_tickets=0, slots=3, status="online", last=None):
    return Candidate(
        id=id, status=status, slots=slots, open_tickets=open_tickets, last_assigned_at=last
    )


@pytest.mark.parametrize(
    ("candidates", "expected"),
    [
        pytest.param([], None, id="nobody"),
        pytest.param([person(1)], 1, id="the only one"),
        pytest.param([person(1, open_tickets=2), person(2, open_tickets=1)], 2, id="fewest open"),
        pytest.param(
            [person(1, open_tickets=1, last=at(5)), person(2, open_tickets=1, last=at(1))],
            2,
            id="tie: longest without a new ticket",
        ),
        pytest.param(
            [person(1, last=at(1)), person(2, last=None)], 2, id="tie: never received one first"
        ),
        pytest.param([person(2, last=at(1)), person(1, last=at(1))], 1, id="full tie: lowest id"),
        pytest.param(
            [person(1, open_tickets=3, slots=3), person(2, open_tickets=4, slots=5)],
            2,
            id="full slots are skipped even with fewer tickets",
        ),
        pytest.param([person(1, open_tickets=3, slots=3)], None, id="everyone full"),
        pytest.param([person(1, status="pause"), person(2, open_tickets=2)], 2, id="pause: none"),
        pytest.param(
            [person(1, status="invisible"), person(2, open_tickets=2)], 2, id="invisible: none"
        ),
        pytest.param([person(1, status="offline")], None, id="offline: none"),
    ],
)
def test_R21_choose_attendant(candidates, expected):
    chosen = choose_attendant(candidates)
    assert (chosen.id if chosen else None) == expected


def test_R21_choice_does_not_depend_on_the_order_of_the_rows():
    people = [person(1, 1, last=at(3)), person(2, 1, last=at(2)), person(3, 2)]
    assert {choose_attendant(order).id for order in (people, people[::-1])} == {2}


ANA, BRUNO = 10, 20
VENDAS, SUPORTE = 1, 2


def ticket(id, minute, team=VENDAS, directed=None):
    return WaitingTicket(
        id=id, created_at=at(minute), team_id=team, requested_attendant_id=directed
    )


@pytest.mark.parametrize(
    ("waiting", "free", "expected"),
    [
        pytest.param([ticket(1, 5), ticket(2, 1)], 2, [2, 1], id="oldest of the team first"),
        pytest.param([ticket(1, 5), ticket(2, 1)], 1, [2], id="as many as free slots"),
        pytest.param([ticket(1, 5)], 0, [], id="no free slot"),
        pytest.param(
            [ticket(1, 1), ticket(2, 9, team=SUPORTE, directed=ANA)],
            1,
            [2],
            id="R13 directed to her first, even newer and of another team",
        ),
        pytest.param(
            [ticket(1, 1), ticket(2, 9, directed=ANA), ticket(3, 5, directed=ANA)],
            3,
            [3, 2, 1],
            id="directed oldest first, then the team",
        ),
        pytest.param(
            [ticket(1, 1, directed=BRUNO), ticket(2, 2)], 2, [2], id="never a colleague's directed"
        ),
        pytest.param([ticket(1, 1, team=SUPORTE)], 2, [], id="not her teams"),
        pytest.param([ticket(2, 1), ticket(1, 1)], 2, [1, 2], id="same minute: the lower id first"),
    ],
)
def test_R21_tickets_for_an_attendant(waiting, free, expected):
    picks = tickets_for(attendant_id=ANA, team_ids=[VENDAS], waiting=waiting, free_slots=free)
    assert [t.id for t in picks] == expected
