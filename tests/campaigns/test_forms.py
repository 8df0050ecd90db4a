"""Each wizard step's validation, by code (R2–R4, R6, R16, schedule), without the browser."""

import codecs
import datetime as dt

import pytest
from django.core.files.storage import InMemoryStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from campaigns.forms import AudienceForm, ContentForm, RoutingForm, SendForm
from tests.bots.factories import BotFactory, ContactFactory, FlowBlockFactory, SubBotFactory
from tests.campaigns.factories import MessageTemplateFactory
from tests.desk.factories import TeamFactory

pytestmark = pytest.mark.django_db


def codes(form) -> set[str]:
    assert not form.is_valid()
    return {e.code for errors in form.errors.as_data().values() for e in errors}


# --- Step 1: audience -------------------------------------------------------------------------


def audience_form(bot, data, upload=None, storage=None, known=None):
    files = {}
    if upload is not None:
        files["audience_file"] = SimpleUploadedFile("a.csv", upload, "text/csv")
    return AudienceForm(
        {"name": "Campanha", **data},
        files,
        bot=bot,
        upload_storage=storage or InMemoryStorage(),
        known_scan=known,
    )


@pytest.mark.parametrize(
    "raw",
    [
        "+55 11 97777-1234",
        "(11) 97777-1234",
        "11977771234",
        "0055 11 97777-1234",
        "055 11 977771234",
    ],
)
def test_R16_individual_phone_any_notation_is_e164(raw):
    form = audience_form(BotFactory(), {"kind": "individual", "phone": raw})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["phone"] == "+5511977771234"


@pytest.mark.parametrize(
    ("raw", "code"), [("", "phone_empty"), ("abc", "phone_invalid"), ("123", "phone_invalid")]
)
def test_R16_individual_bad_phone(raw, code):
    assert codes(audience_form(BotFactory(), {"kind": "individual", "phone": raw})) == {code}


def test_R16_individual_opted_out_contact_is_refused():
    bot = BotFactory()
    ContactFactory(bot=bot, phone="+5511977771234", opted_out=True)
    form = audience_form(bot, {"kind": "individual", "phone": "11977771234"})
    assert codes(form) == {"R16_contact_opted_out"}


def test_R16_bulk_needs_a_file():
    assert codes(audience_form(BotFactory(), {"kind": "bulk"})) == {"R16_file_required"}


def test_R16_bulk_token_must_be_ours():
    form = audience_form(BotFactory(), {"kind": "bulk", "upload_token": "../../etc/passwd"})
    assert codes(form) == {"R16_file_required"}


GOOD = b"telefone,nome\n+5511900000001,Ana\n+5511900000002,Bia\n"
# The corpus of bad and odd files: what operators actually upload.
CORPUS = [
    # (name, bytes, valid rows, bad-row codes, file-level code)
    ("utf8_bom", codecs.BOM_UTF8 + GOOD, 2, [], None),
    ("windows_1252", "telefone;cidade\n+5511900000001;São Paulo\n".encode("cp1252"), 1, [], None),
    (
        "blank_lines",
        b"\n\ntelefone,nome\n\n+5511900000001,Ana\n\n\n+5511900000002,Bia\n",
        2,
        [],
        None,
    ),
    (
        "quoted_newline",
        b'telefone,obs\n+5511900000001,"linha 1\nlinha 2"\n+5511900000002,ok\n',
        2,
        [],
        None,
    ),
    (
        "delimiter_mix",
        b"telefone;nome\n+5511900000001;Ana\n+5511900000002,Bia\n",
        1,
        ["wrong_column_count"],
        None,
    ),
    (
        "duplicates",
        b"telefone,nome\n+5511900000001,Ana\n(11) 90000-0001,Ana de novo\n",
        1,
        ["duplicate_phone"],
        None,
    ),
    ("0ddi", b"telefone\n0551190000000 1\n05511900000002\n", 2, [], None),
    ("formula_cells", b"telefone,nome\n+5511900000001,=cmd|' /C calc'!A0\n", 1, [], None),
    (
        "header_accents",
        "telefone,endereço\n+5511900000001,x\n".encode(),
        0,
        [],
        "header_special_chars",
    ),
    ("header_missing", b"+5511900000001,Ana\n", 0, [], "header_missing"),
    ("empty", b"", 0, [], "file_empty"),
    ("binary", b"PK\x03\x04\x00\x00", 0, [], "file_binary"),
    ("bad_phone", b"telefone\nabc\n+5511900000001\n", 1, ["phone_invalid"], None),
]


@pytest.mark.parametrize(
    ("name", "data", "valid", "row_codes", "file_code"), CORPUS, ids=[c[0] for c in CORPUS]
)
def test_R16_csv_corpus_at_step_1(name, data, valid, row_codes, file_code):
    form = audience_form(BotFactory(), {"kind": "bulk", "skip_bad_rows": "on"}, upload=data)
    if file_code:
        assert codes(form) == {file_code}
        return
    assert form.is_valid(), form.errors
    assert form.scan["valid_rows"] == valid
    assert [e["code"] for e in form.scan["errors"]] == row_codes


def test_R16_formula_cell_is_kept_as_text_not_evaluated():
    data = b"telefone,nome\n+5511900000001,=cmd|' /C calc'!A0\n"
    form = audience_form(BotFactory(), {"kind": "bulk"}, upload=data)
    assert form.is_valid()
    assert form.scan["preview"] == [["+5511900000001", "=cmd|' /C calc'!A0"]]


def test_R16_bad_rows_need_the_explicit_skip():
    data = b"telefone\nabc\n+5511900000001\n"
    form = audience_form(BotFactory(), {"kind": "bulk"}, upload=data)
    assert codes(form) == {"R16_bad_rows_not_skipped"}
    assert form.scan["errors"] == [{"line": 2, "code": "phone_invalid", "params": {"value": "abc"}}]


def test_R16_the_stored_upload_is_reused_by_its_token():
    storage = InMemoryStorage()
    bot = BotFactory()
    first = audience_form(
        bot, {"kind": "bulk"}, upload=b"telefone\nabc\n+5511900000001\n", storage=storage
    )
    assert not first.is_valid()
    token = first.cleaned_data["upload_token"]
    again = audience_form(
        bot, {"kind": "bulk", "upload_token": token, "skip_bad_rows": "on"}, storage=storage
    )
    assert again.is_valid(), again.errors
    assert again.scan["valid_rows"] == 1


def test_R16_opted_out_rows_are_counted_and_an_all_opted_out_file_refused():
    bot = BotFactory()
    ContactFactory(bot=bot, phone="+5511900000001", opted_out=True)
    form = audience_form(bot, {"kind": "bulk"}, upload=GOOD)
    assert form.is_valid()
    assert form.scan["opted_out"] == 1
    only = audience_form(bot, {"kind": "bulk"}, upload=b"telefone\n+5511900000001\n")
    assert codes(only) == {"R16_no_valid_rows"}


def test_R16_error_list_is_capped_but_the_total_is_kept():
    data = b"telefone\n" + b"abc\n" * 500 + b"+5511900000001\n"
    form = audience_form(BotFactory(), {"kind": "bulk", "skip_bad_rows": "on"}, upload=data)
    assert form.is_valid()
    assert form.scan["error_count"] == 500 and len(form.scan["errors"]) == 200


# --- Step 2: content --------------------------------------------------------------------------


def content_form(bot, data, kind="individual", columns=()):
    return ContentForm(data, bot=bot, kind=kind, columns=list(columns))


def test_only_approved_templates_of_the_bot_are_offered():
    bot = BotFactory()
    ok = MessageTemplateFactory(bot=bot)
    pending = MessageTemplateFactory(bot=bot, pending=True)
    other = MessageTemplateFactory(bot=BotFactory())
    form = content_form(bot, {})
    assert list(form.fields["template"].queryset) == [ok]
    for template in (pending, other):
        assert codes(content_form(bot, {"template": template.pk})) == {"invalid_choice"}


def test_individual_variables_media_header_and_url_button_are_required():
    bot = BotFactory()
    template = MessageTemplateFactory(
        bot=bot,
        body="Oi {{1}}, pedido {{2}}",
        header_type="image",
        buttons=[{"type": "url", "text": "Ver", "url": "https://x.example/p/{{1}}"}],
    )
    form = content_form(bot, {"template": template.pk, "var_1": "Ana"})
    assert codes(form) == {
        "template_variable_missing",
        "template_header_missing",
        "template_button_missing",
    }
    form = content_form(
        bot,
        {
            "template": template.pk,
            "var_1": "Ana",
            "var_2": "7",
            "header_url": "https://img.example/a.jpg",
            "button_value": "7",
        },
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["parameters"] == {
        "body": ["Ana", "7"],
        "header": "https://img.example/a.jpg",
        "button": "7",
    }


def test_template_names_are_matched_exactly_by_choice_not_by_text():
    bot = BotFactory()
    MessageTemplateFactory(bot=bot, name="oferta")
    assert codes(content_form(bot, {"template": "OFERTA"})) == {"invalid_choice"}


def test_bulk_maps_each_variable_to_a_csv_column():
    bot = BotFactory()
    template = MessageTemplateFactory(bot=bot, body="Oi {{1}} de {{2}}", header_type="image")
    columns = ["nome", "cidade", "foto"]
    form = content_form(
        bot, {"template": template.pk, "var_1": "nome"}, kind="bulk", columns=columns
    )
    assert codes(form) == {"template_variable_missing", "template_header_missing"}
    form = content_form(
        bot,
        {"template": template.pk, "var_1": "nome", "var_2": "pais"},
        kind="bulk",
        columns=columns,
    )
    assert "invalid_choice" in codes(form)
    form = content_form(
        bot,
        {"template": template.pk, "var_1": "nome", "var_2": "cidade", "header_column": "foto"},
        kind="bulk",
        columns=columns,
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["parameters"] == {
        "body": ["nome", "cidade"],
        "header": "foto",
        "button": None,
    }


# --- Step 3: reply routing --------------------------------------------------------------------


def routing_form(bot, data, kind="individual"):
    return RoutingForm(data, bot=bot, kind=kind)


def test_R3_flow_needs_a_block_of_the_routing_bot():
    bot = BotFactory()
    assert codes(routing_form(bot, {"routing": "flow"})) == {"R3_routing_incomplete"}
    form = routing_form(bot, {"routing": "flow", "flow_block": FlowBlockFactory(bot=bot).pk})
    assert form.is_valid(), form.errors
    assert form.routing_fields()["routing_bot"] == bot


def test_R3_blocks_and_teams_are_those_of_the_chosen_sub_bot():
    router = BotFactory(as_router=True)
    vendas = SubBotFactory(router=router)
    suporte = SubBotFactory(router=router)
    block = FlowBlockFactory(bot=suporte)
    team = TeamFactory(bot=suporte)
    form = routing_form(
        router, {"routing": "flow", "routing_bot": vendas.pk, "flow_block": block.pk}
    )
    assert codes(form) == {"block_other_bot"}
    form = routing_form(router, {"routing": "team", "routing_bot": vendas.pk, "team": team.pk})
    assert codes(form) == {"team_other_bot"}
    foreign = FlowBlockFactory(bot=BotFactory())
    form = routing_form(
        router, {"routing": "flow", "routing_bot": vendas.pk, "flow_block": foreign.pk}
    )
    assert codes(form) == {"invalid_choice"}


def test_R4_router_needs_the_sub_bot():
    router = BotFactory(as_router=True)
    sub = SubBotFactory(router=router)
    block = FlowBlockFactory(bot=sub, human=True)
    form = routing_form(
        router, {"routing": "attendant", "human_block": block.pk, "attendant_email": "a@b.com"}
    )
    assert codes(form) == {"R4_sub_bot_required"}


def test_R4_attendant_needs_human_block_and_email_and_email_is_lowercased():
    bot = BotFactory()
    assert codes(routing_form(bot, {"routing": "attendant"})) == {"R3_routing_incomplete"}
    block = FlowBlockFactory(bot=bot, human=True)
    standard = FlowBlockFactory(bot=bot)
    form = routing_form(
        bot, {"routing": "attendant", "human_block": standard.pk, "attendant_email": "a@b.com"}
    )
    assert codes(form) == {"invalid_choice"}  # only human blocks are offered
    form = routing_form(
        bot,
        {"routing": "attendant", "human_block": block.pk, "attendant_email": " Ana@Example.COM "},
    )
    assert form.is_valid(), form.errors
    assert form.routing_fields()["attendant_email"] == "ana@example.com"
    assert form.routing_fields()["flow_block"] == block


def test_R6_bulk_cannot_choose_attendant():
    bot = BotFactory()
    block = FlowBlockFactory(bot=bot, human=True)
    data = {"routing": "attendant", "human_block": block.pk, "attendant_email": "a@b.com"}
    assert codes(routing_form(bot, data, kind="bulk")) == {"R6_attendant_bulk"}
    assert routing_form(bot, data, kind="individual").is_valid()


# --- Step 4: send -----------------------------------------------------------------------------


def test_send_now_has_no_schedule():
    form = SendForm({"when": "now", "date": "2000-01-01", "time": "10:00"})
    assert form.is_valid() and form.cleaned_data["scheduled_at"] is None


def test_schedule_is_read_in_the_operators_time_zone_and_must_be_future():
    future = timezone.localdate() + dt.timedelta(days=2)
    with timezone.override("America/Manaus"):
        form = SendForm({"when": "schedule", "date": future.isoformat(), "time": "08:15"})
        assert form.is_valid(), form.errors
    moment = form.cleaned_data["scheduled_at"]
    assert moment.utcoffset() == dt.timedelta(hours=-4)
    assert (moment.hour, moment.minute) == (8, 15)
    assert codes(SendForm({"when": "schedule", "date": "2001-01-01", "time": "08:00"})) == {
        "schedule_in_past"
    }
    assert codes(SendForm({"when": "schedule", "date": future.isoformat()})) == {
        "schedule_incomplete"
    }
