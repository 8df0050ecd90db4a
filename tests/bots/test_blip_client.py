"""BlipClient against the fake Blip server over real loopback sockets (no database)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from bots.gateway.blip import (
    BlipClient,
    GatewayError,
    PermanentGatewayError,
    TransientGatewayError,
    UnknownOutcomeError,
    backoff_delay,
)
from tests.fakeblip import FakeBlip, fake_blip_server

PHONE = "+5511999998888"
IDENTITY = "5511999998888@wa.gw.msging.net"

fake_blip = pytest.fixture(fake_blip_server)


@pytest.fixture
def client(fake_blip: FakeBlip):
    with BlipClient(fake_blip.url, "secret", timeout=0.2) as blip:
        yield blip


def send(client: BlipClient, message_id: str = "m-1") -> None:
    client.send_text(message_id=message_id, to=IDENTITY, text="Olá")


# -- happy paths ---------------------------------------------------------------------------


def test_resolve_identity_asks_the_whatsapp_postmaster(client, fake_blip):
    assert client.resolve_identity(PHONE) == IDENTITY

    [(path, body, headers)] = fake_blip.requests
    assert path == "/commands"
    assert body["to"] == "postmaster@wa.gw.msging.net"
    assert body["method"] == "get"
    assert body["uri"] == "lime://wa.gw.msging.net/accounts/+5511999998888"
    uuid.UUID(body["id"])
    assert headers["authorization"] == "Key secret"
    assert headers["content-type"] == "application/json"


def test_resolve_identity_returns_the_alternative_account(client, fake_blip):
    # Old Brazilian numbers are known to WhatsApp without the ninth digit.
    fake_blip.set_identity(PHONE, "551199998888@wa.gw.msging.net")
    assert client.resolve_identity(PHONE) == "551199998888@wa.gw.msging.net"


@pytest.mark.parametrize("phone", ["5511999998888", "011999998888", "+55 11 99999", ""])
def test_resolve_identity_refuses_a_phone_that_is_not_e164(client, fake_blip, phone):
    with pytest.raises(ValueError):
        client.resolve_identity(phone)
    assert fake_blip.requests == []


def test_number_not_on_whatsapp_is_a_permanent_failure(client, fake_blip):
    fake_blip.add_not_on_whatsapp(PHONE)
    with pytest.raises(PermanentGatewayError) as caught:
        client.resolve_identity(PHONE)
    assert caught.value.code == 73
    assert "not found" in caught.value.reason


def test_send_template_body_shape(client, fake_blip):
    components = BlipClient.build_components(
        {"type": "image", "link": "https://cdn.example.com/p.png"}, ["Ana", "10%"], [(0, "abc")]
    )
    client.send_template(
        message_id="m-42",
        to=IDENTITY,
        template_name="promo_maio",
        language="pt_BR",
        components=components,
    )

    assert fake_blip.messages == [
        {
            "id": "m-42",
            "to": IDENTITY,
            "type": "application/json",
            "content": {
                "type": "template",
                "template": {
                    "name": "promo_maio",
                    "language": {"code": "pt_BR", "policy": "deterministic"},
                    "components": [
                        {
                            "type": "header",
                            "parameters": [
                                {
                                    "type": "image",
                                    "image": {"link": "https://cdn.example.com/p.png"},
                                }
                            ],
                        },
                        {
                            "type": "body",
                            "parameters": [
                                {"type": "text", "text": "Ana"},
                                {"type": "text", "text": "10%"},
                            ],
                        },
                        {
                            "type": "button",
                            "sub_type": "url",
                            "index": "0",
                            "parameters": [{"type": "text", "text": "abc"}],
                        },
                    ],
                },
            },
        }
    ]
    assert fake_blip.sent_message_ids() == ["m-42"]


def test_build_components_header_kinds_and_empty_parts():
    text = BlipClient.build_components({"type": "text", "text": "Oi"}, [], [])
    assert text == [{"type": "header", "parameters": [{"type": "text", "text": "Oi"}]}]
    doc = BlipClient.build_components(
        {"type": "document", "link": "https://x/b.pdf", "filename": "boleto.pdf"}, [], []
    )
    assert doc[0]["parameters"] == [
        {"type": "document", "document": {"link": "https://x/b.pdf", "filename": "boleto.pdf"}}
    ]
    assert BlipClient.build_components(None, [], []) == []


@pytest.mark.parametrize(
    ("header", "body", "buttons"),
    [
        ({"type": "audio", "link": "x"}, [], []),
        (None, [""], []),
        (None, [None], []),
        (None, [], [(10, "x")]),
    ],
)
def test_build_components_refuses_bad_input(header, body, buttons):
    with pytest.raises(ValueError):
        BlipClient.build_components(header, body, buttons)


def test_send_text(client, fake_blip):
    send(client, "m-7")
    assert fake_blip.messages == [
        {"id": "m-7", "to": IDENTITY, "type": "text/plain", "content": "Olá"}
    ]


def test_set_master_state_and_state_commands(client, fake_blip):
    client.set_master_state(identity=IDENTITY, sub_bot_address="vendas@msging.net")
    client.set_state(identity=IDENTITY, flow_id="f1d2", block_id="desk:humano")

    master, state = fake_blip.commands
    assert {k: master[k] for k in ("to", "method", "uri", "type", "resource")} == {
        "to": "postmaster@msging.net",
        "method": "set",
        "uri": f"/contexts/{IDENTITY}/Master-State",
        "type": "text/plain",
        "resource": "vendas@msging.net",
    }
    assert state["uri"] == f"/contexts/{IDENTITY}/stateid@f1d2"
    assert state["resource"] == "desk:humano"
    assert fake_blip.context(IDENTITY) == {
        "Master-State": "vendas@msging.net",
        "stateid@f1d2": "desk:humano",
    }


def test_connections_are_kept_alive(client, fake_blip):
    for i in range(20):
        send(client, f"m-{i}")
    assert fake_blip.connections_opened == 1


# -- error model ----------------------------------------------------------------------------


def test_wrong_key_is_permanent(client, fake_blip):
    fake_blip.set_auth_key("other")
    with pytest.raises(PermanentGatewayError) as caught:
        send(client)
    assert caught.value.status_code == 401
    assert fake_blip.sent_message_ids() == []


def test_key_copied_with_its_prefix_is_accepted(fake_blip):
    fake_blip.set_auth_key("secret")
    with BlipClient(fake_blip.url, "Key secret", timeout=0.2) as blip:
        send(blip)


def test_429_with_retry_after_is_transient(client, fake_blip):
    fake_blip.fail_next(1, status=429, retry_after=7)
    with pytest.raises(TransientGatewayError) as caught:
        send(client)
    assert caught.value.status_code == 429
    assert caught.value.retry_after == 7.0
    send(client, "m-2")
    assert fake_blip.sent_message_ids() == ["m-2"]


def test_retry_after_as_http_date(client, fake_blip):
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    fake_blip.fail_next(1, status=503, retry_after=later)
    with pytest.raises(TransientGatewayError) as caught:
        client.resolve_identity(PHONE)
    assert 25 <= caught.value.retry_after <= 30


@pytest.mark.parametrize("operation", ["message", "command"])
def test_500_is_transient(client, fake_blip, operation):
    fake_blip.fail_next(1, status=500, body={"reason": {"code": 1, "description": "boom"}})
    with pytest.raises(TransientGatewayError) as caught:
        send(client) if operation == "message" else client.resolve_identity(PHONE)
    assert caught.value.retry_after is None
    assert caught.value.reason == "HTTP 500: boom"


def test_504_is_unknown_for_a_message_but_transient_for_a_command(client, fake_blip):
    fake_blip.fail_next(2, status=504)
    with pytest.raises(UnknownOutcomeError):
        send(client)
    with pytest.raises(TransientGatewayError):
        client.resolve_identity(PHONE)


def test_other_4xx_is_permanent(client, fake_blip):
    fake_blip.fail_next(1, status=400, body="bad envelope")
    with pytest.raises(PermanentGatewayError) as caught:
        send(client)
    assert caught.value.reason == "HTTP 400: bad envelope"


@pytest.mark.parametrize("path", ["/commands", "/messages"])
def test_200_with_failure_is_permanent_with_the_reason(client, fake_blip, path):
    fake_blip.failure_next(1, "Template not approved", code=64, path=path)
    with pytest.raises(PermanentGatewayError) as caught:
        send(client) if path == "/messages" else client.resolve_identity(PHONE)
    assert caught.value.reason == "Template not approved (code 64)"
    assert caught.value.code == 64


def test_read_timeout_on_a_message_is_unknown_outcome(client, fake_blip):
    fake_blip.timeout_next(1, seconds=0.5)
    with pytest.raises(UnknownOutcomeError):
        send(client, "m-slow")
    # It was in fact delivered: resending would have been a double send.
    assert fake_blip.sent_message_ids() == ["m-slow"]


def test_dropped_connection_on_a_message_is_unknown_outcome(client, fake_blip):
    fake_blip.drop_next(1)
    with pytest.raises(UnknownOutcomeError):
        send(client, "m-lost")
    assert fake_blip.sent_message_ids() == ["m-lost"]
    send(client, "m-next")  # the pool recovers on a fresh connection


def test_read_timeout_on_a_command_is_transient(client, fake_blip):
    fake_blip.timeout_next(1, seconds=0.5)
    with pytest.raises(TransientGatewayError):
        client.resolve_identity(PHONE)


def test_dropped_connection_on_a_command_is_transient(client, fake_blip):
    fake_blip.drop_next(1)
    with pytest.raises(TransientGatewayError):
        client.set_master_state(identity=IDENTITY, sub_bot_address="vendas@msging.net")


def test_faults_can_target_one_path_and_one_phone(client, fake_blip):
    fake_blip.fail_next(1, status=500, path="/messages")
    fake_blip.fail_for_phone("+5521988887777", reason="blocked", times=1)
    assert client.resolve_identity(PHONE) == IDENTITY
    with pytest.raises(TransientGatewayError):
        send(client)
    with pytest.raises(PermanentGatewayError, match="blocked"):
        client.send_text(message_id="m-3", to="5521988887777@wa.gw.msging.net", text="x")
    send(client, "m-4")
    assert fake_blip.sent_message_ids() == ["m-4"]


def test_connection_refused_is_transient_even_for_a_message():
    with FakeBlip() as stopped:
        url = stopped.url
    with BlipClient(url, "secret", timeout=0.2) as blip, pytest.raises(TransientGatewayError):
        send(blip)


def test_injected_client_is_used_and_left_open(fake_blip):
    http = httpx.Client()
    with BlipClient(fake_blip.url, "secret", client=http) as blip:
        send(blip)
    assert not http.is_closed
    http.close()


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"to": "5511999998888"}, "node"),
        ({"to": "a@b/c"}, "node"),
        ({"message_id": ""}, "message_id"),
    ],
)
def test_message_arguments_are_checked_before_sending(client, fake_blip, kwargs, error):
    with pytest.raises(ValueError, match=error):
        client.send_text(**{"message_id": "m", "to": IDENTITY, "text": "x", **kwargs})
    assert fake_blip.requests == []


@pytest.mark.parametrize("url", ["ftp://blip", "/commands", "http://"])
def test_base_url_must_be_absolute_http(url):
    with pytest.raises(ValueError):
        BlipClient(url, "secret")


def test_all_errors_share_a_base_with_a_reason():
    for cls in (TransientGatewayError, PermanentGatewayError, UnknownOutcomeError):
        error = cls("why")
        assert isinstance(error, GatewayError)
        assert error.reason == "why"


# -- backoff -------------------------------------------------------------------------------


def test_backoff_delay_bounds():
    assert backoff_delay(0, rng=lambda: 1.0) == 0.5
    assert backoff_delay(3, rng=lambda: 1.0) == 4.0
    assert backoff_delay(20, rng=lambda: 1.0) == 30.0
    assert backoff_delay(10_000, rng=lambda: 1.0) == 30.0
    assert backoff_delay(5, rng=lambda: 0.0) == 0.0
    assert all(
        0.0 <= backoff_delay(a) <= min(30.0, 0.5 * 2**a) for a in range(12) for _ in range(50)
    )
    with pytest.raises(ValueError):
        backoff_delay(-1)
