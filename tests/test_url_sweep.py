"""Issue 13: every URL pattern, walked as a user of another bot and as an anonymous visitor.

The patterns come from the URL resolver, so a URL added later is swept without touching this
file; a parameter name the sweep cannot fill fails the test, asking for a sample below. Each
pattern is requested with GET and with a POST carrying the other bot's ids, as the attacker of
issue 13 did. Nothing may answer 500, nothing may show a row of the other bot (its rows carry a
marker word in their names), nothing of the other bot may change, and an anonymous visitor only
gets the public endpoints of ``PUBLIC``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from bots.models import Bot, BotMembership
from tests.bots.factories import (
    BotFactory,
    BotMembershipFactory,
    ContactFactory,
    FlowBlockFactory,
    MessageFactory,
    UserFactory,
)
from tests.campaigns.factories import CampaignFactory, MessageTemplateFactory, RecipientFactory
from tests.desk.factories import (
    AttendanceRuleFactory,
    AttendantFactory,
    InboundRoutingFactory,
    ReplyDirectiveFactory,
    TeamFactory,
    TicketFactory,
)

pytestmark = pytest.mark.django_db

MARK = "zq7xk"  # in every name of the other bot's rows; never in a page of ours

# Endpoints an anonymous visitor may reach: they log in, or authenticate on their own (webhooks
# by the bot's secret, /metrics by its token), or say nothing private (health).
PUBLIC = {
    "login",
    "admin:login",
    "logout",
    "admin:logout",
    "set_language",
    "desk_messages_webhook",
    "blip_notifications",
    "healthz",
    "readyz",
    "metrics",
    "api:schema",  # the REST API's OpenAPI document and its docs page are public
    "api:docs",
    "api.errors.not_found",
}
LOGIN_PATHS = ("/login/", "/admin/login/")


@dataclass
class Target:
    route: str  # e.g. "desk/<slug:bot_slug>/tickets/<int:pk>/"
    name: str  # "namespace:name" or the view's dotted path
    model: type | None  # the admin's model, when it is a ModelAdmin's URL


def patterns(resolver=None, prefix: str = "", namespace: str = "") -> Iterator[Target]:
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(n for n in (namespace, entry.namespace) if n)
            yield from patterns(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            admin = getattr(entry.callback, "model_admin", None)
            yield Target(
                prefix + str(entry.pattern),
                name or entry.lookup_str,
                admin.model if admin is not None else None,
            )


@pytest.fixture
def theirs() -> dict:
    """A whole bot of someone else, every name carrying the marker."""
    # The slug goes into URLs and forms, which pages may echo: only names carry the marker.
    bot = BotFactory(slug="their-bot", name=f"Bot {MARK}")
    owner = UserFactory(username=f"{MARK}-owner", staff=True)
    BotMembershipFactory(user=owner, bot=bot, role=BotMembership.Role.ADMIN)
    team = TeamFactory(bot=bot, name=f"Team {MARK}")
    attendant = AttendantFactory(
        bot=bot, email=f"{MARK}@example.com", name=f"Attendant {MARK}", teams=[team], user=owner
    )
    contact = ContactFactory(bot=bot, name=f"Contact {MARK}", phone="+5521977770001")
    template = MessageTemplateFactory(bot=bot, name=f"{MARK}_template", body=f"{MARK} {{{{1}}}}")
    campaign = CampaignFactory(bot=bot, name=f"Campaign {MARK}", template=template)
    message = MessageFactory(contact=contact, text=f"Message {MARK}")
    ticket = TicketFactory(bot=bot, contact=contact, team=team, attendant=attendant)
    rows = {
        "bot": bot,
        "owner": owner,
        "user": owner,
        "team": team,
        "attendant": attendant,
        "contact": contact,
        "flowblock": FlowBlockFactory(bot=bot, name=f"Block {MARK}"),
        "message": message,
        "ticket": ticket,
        "attendancerule": AttendanceRuleFactory(bot=bot, team=team, name=f"Rule {MARK}"),
        "replydirective": ReplyDirectiveFactory(
            attendant=attendant, contact=contact, source_label=f"Directive {MARK}"
        ),
        "messagetemplate": template,
        "campaign": campaign,
        "recipient": RecipientFactory(campaign=campaign, contact=contact),
        "inboundrouting": InboundRoutingFactory(message=message),
        "botmembership": owner.bot_memberships.get(),
    }
    return rows


@pytest.fixture
def ours() -> Bot:
    bot = BotFactory(slug="ours", name="Our bot")
    TeamFactory(bot=bot, name="Default")
    ContactFactory(bot=bot, name="Our contact")
    return bot


def candidates(target: Target, theirs: dict) -> list[str]:
    """Ids of the other bot's rows that this URL's id may point to."""
    if target.model is not None:
        row = theirs.get(target.model._meta.model_name)
        return [str(row.pk)] if row is not None else ["1"]
    named = [key for key in theirs if key in target.name.lower()]
    rows = [theirs[k] for k in named] or [r for r in theirs.values() if hasattr(r, "pk")]
    return sorted({str(r.pk) for r in rows})


def samples(target: Target, theirs: dict) -> dict[str, list[str]]:
    ids = candidates(target, theirs)
    bot_ct = ContentType.objects.get_for_model(Bot)
    return {
        "bot_slug": [theirs["bot"].slug],
        "slug": [theirs["bot"].slug],
        "pk": ids,
        "object_id": [*ids, "abc", "1.5"],
        "id": ids,  # the admin's password change page of a user
        "content_type_id": [str(bot_ct.pk)],
        "app_label": ["bots", "desk", "campaigns"],
        "url": ["nothing-here/"],
        "fmt": ["csv", "xlsx"],  # the report's recipient exports
        "recipient_pk": [str(theirs["recipient"].pk)],
    }


_PARAM = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)")


def urls_of(target: Target, theirs: dict) -> list[str]:
    """Concrete URLs of one pattern: every parameter filled with each of its samples."""
    route = target.route.replace("^", "").replace("$", "")
    if target.name == "admin:view_on_site":
        return [f"/admin/r/{ContentType.objects.get_for_model(Bot).pk}/{theirs['bot'].pk}/"]
    values = samples(target, theirs)
    urls = [route]
    for match in _PARAM.finditer(route):
        name = match.group(1) or match.group(2)
        if name not in values:
            pytest.fail(f"the URL sweep has no sample for <{name}> in {target.route}: add one")
        urls = [u.replace(match.group(0), v, 1) for u in urls for v in values[name]]
    return ["/" + u for u in urls]


def attack_data(theirs: dict) -> dict:
    """What an attacker posts: the other bot's ids in every field name the views read."""
    return {
        "bot": theirs["bot"].slug,
        "phone": theirs["contact"].phone,
        "text": "injected",
        "attendant": theirs["attendant"].pk,
        "status": "online",
        "target": f"team:{theirs['team'].pk}",
        "user": theirs["owner"].pk,
        "role": "admin",
        "action": "delete_selected",
        "_selected_action": [str(r.pk) for r in theirs.values() if hasattr(r, "pk")],
        "post": "yes",
        "next": "/",
    }


def snapshot(theirs: dict) -> dict:
    return {
        key: {
            f.attname: getattr(type(row).objects.get(pk=row.pk), f.attname)
            for f in row._meta.concrete_fields
        }
        for key, row in theirs.items()
        if type(row).objects.filter(pk=row.pk).exists()
    } | {"count": {key: type(row).objects.filter(pk=row.pk).count() for key, row in theirs.items()}}


def sweep(client: Client, theirs: dict, *, user=None) -> list[str]:
    problems: list[str] = []
    data = attack_data(theirs)
    query = {k: data[k] for k in ("bot", "phone", "attendant", "status")}
    for target in patterns():
        for url in urls_of(target, theirs):
            for method in ("get", "post"):
                if user is not None and "_auth_user_id" not in client.session:
                    client.force_login(user)  # a swept logout must not end the sweep
                payload = query if method == "get" else data
                try:
                    response = getattr(client, method)(url, payload)
                except Exception as exc:  # every crash is a finding to report
                    problems.append(f"{method.upper()} {url}: raised {exc!r}")
                    continue
                problems += judge(target, url, method, response, anonymous=user is None)
    return problems


def judge(target: Target, url: str, method: str, response, *, anonymous: bool) -> list[str]:
    where = f"{method.upper()} {url} ({target.name}) → {response.status_code}"
    if response.status_code >= 500:
        return [f"{where}: server error"]
    body = b"" if response.streaming else response.content
    if MARK.encode() in body.lower():
        return [f"{where}: shows a row of the other bot"]
    if anonymous and target.name not in PUBLIC:
        if response.status_code == 200:
            return [f"{where}: open to an anonymous visitor"]
        location = response.get("Location", "")
        if response.status_code in (301, 302) and not location.startswith(LOGIN_PATHS):
            return [f"{where}: redirects an anonymous visitor to {location}"]
    return []


@pytest.mark.parametrize("role", [r.value for r in BotMembership.Role])
def test_a_user_of_another_bot_reaches_nothing_of_it(client, theirs, ours, role):
    user = UserFactory(username=f"attacker-{role}", staff=True)
    BotMembershipFactory(user=user, bot=ours, role=role)
    client.force_login(user)
    before = snapshot(theirs)
    problems = sweep(client, theirs, user=user)
    assert problems == []
    assert snapshot(theirs) == before  # nothing of theirs changed or vanished


def test_an_anonymous_visitor_reaches_only_the_public_endpoints(client, theirs):
    before = snapshot(theirs)
    problems = sweep(client, theirs)
    assert problems == []
    assert snapshot(theirs) == before


def test_the_sweep_covers_every_app_and_the_admin():
    routes = [t.route for t in patterns()]
    assert len(routes) > 100
    for prefix in ("admin/desk/ticket/", "desk/", "campaigns/", "portal/bot/", "webhooks/"):
        assert any(r.startswith(prefix) for r in routes), prefix


def test_the_sweep_finds_a_leak_when_there_is_one(client, theirs, ours):
    """The judge is not blind: a page showing the other bot's name is reported."""
    from django.http import HttpResponse

    leak = HttpResponse(f"<td>{theirs['bot'].name}</td>")
    target = Target("x/", "x", None)
    assert judge(target, "/x/", "get", leak, anonymous=False)
    assert judge(target, "/x/", "get", HttpResponse("ok"), anonymous=True)


def test_superusers_are_not_swept_users(theirs):
    # The sweep's attacker must not be a superuser, or it would prove nothing.
    assert not get_user_model().objects.filter(is_superuser=True).exists()


def test_an_attendant_reaches_no_operator_page_of_their_own_bot(client):
    """Attendants work the Desk: campaigns, their progress and reports, and the simulator are
    for operators — also on the attendant's own bot (issue 13: progress JSON, simulator)."""
    bot = BotFactory(slug="own-bot", name="Own bot")
    campaign = CampaignFactory(bot=bot, name="Own campaign")
    user = UserFactory(username="attendant-only")
    BotMembershipFactory(user=user, bot=bot, role=BotMembership.Role.ATTENDANT)
    client.force_login(user)
    own = {"campaign": campaign, "recipient": RecipientFactory(campaign=campaign), "bot": bot}
    operator_only = [
        t for t in patterns() if t.name.startswith(("campaigns:", "campaign_", "desk:simulator"))
    ]
    assert len(operator_only) >= 6
    problems = []
    for target in operator_only:
        values = {"pk": [str(campaign.pk)], "bot_slug": [bot.slug], "fmt": ["csv"],
                  "recipient_pk": [str(own["recipient"].pk)]}  # fmt: skip
        url = "/" + target.route
        for match in _PARAM.finditer(target.route):
            url = url.replace(match.group(0), values[match.group(1) or match.group(2)][0], 1)
        for method in ("get", "post"):
            response = getattr(client, method)(url, {"bot": bot.slug, "phone": "+5511999990000"})
            if response.status_code not in (403, 404, 405):
                problems.append(f"{method.upper()} {url} → {response.status_code}")
    assert problems == []


def socket_paths(theirs: dict) -> list[str]:
    """Every WebSocket route of the ASGI application, filled with the other bot's ids."""
    from desk.live.urls import websocket_urlpatterns

    values = {"bot_slug": theirs["bot"].slug, "attendant_id": str(theirs["attendant"].pk)}
    paths = []
    for entry in websocket_urlpatterns:
        route = str(entry.pattern)
        for match in _PARAM.finditer(route):
            name = match.group(1) or match.group(2)
            if name not in values:
                pytest.fail(f"the socket sweep has no sample for <{name}> in {route}: add one")
            route = route.replace(match.group(0), values[name], 1)
        paths.append("/" + route)
    return paths


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", [None, *(r.value for r in BotMembership.Role)])
def test_no_socket_of_the_other_bot_opens(theirs, ours, role):
    """The Desk's WebSockets, swept like the URLs: each is closed at once for a user of another
    bot in any role, and for an anonymous visitor."""
    from desk.live.consumers import FORBIDDEN
    from tests.desk.sockets import desk_socket, run_async, session_cookie

    cookie = None
    if role is not None:
        user = UserFactory(username=f"socket-{role}", staff=True)
        BotMembershipFactory(user=user, bot=ours, role=role)
        cookie = session_cookie(user)
    paths = socket_paths(theirs)
    assert len(paths) >= 2

    async def sweep_sockets():
        for path in paths:
            async with desk_socket(path, cookie) as socket:
                closed = await socket.receive_output(timeout=3)
                assert closed == {"type": "websocket.close", "code": FORBIDDEN}, path

    run_async(sweep_sockets)
