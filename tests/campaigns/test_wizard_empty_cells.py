"""Step 2 flags a column mapped to a template variable that has empty cells, with the count and
the choice to skip those rows (issue 8, item 6); the import then skips them."""

import pytest
from django.core.files.base import ContentFile

from campaigns.audience import (
    AudienceParser,
    count_rows_missing,
    mapped_columns,
    rows_to_import,
    scan_audience,
)
from campaigns.models import Campaign, Recipient
from tests.campaigns.test_wizard import (  # the fixtures too: the demo and a logged-in admin
    admin_client,  # noqa: F401
    codes,
    demo,  # noqa: F401
    ids,
    post_step,
    template,
    upload,
)

pytestmark = pytest.mark.django_db

# Carla has every cell; Diego has no order; Eva has no name; Fábio has neither.
CSV = (
    b"telefone;nome;pedido;cidade\n"
    b"+55 11 91234-5678;Carla;A1;SP\n"
    b"+5521998877665;Diego;;RJ\n"
    b"+5531988887777;;A3;\n"
    b"+5541977776666;;;BH\n"
)


def test_the_scan_counts_empty_cells_per_column():
    scan = scan_audience(ContentFile(CSV))
    assert scan["empty_cells"] == {"nome": 2, "pedido": 2, "cidade": 1}


def test_rows_missing_count_each_row_once_whatever_the_columns():
    assert count_rows_missing(ContentFile(CSV), ["nome", "pedido"]) == 3
    assert count_rows_missing(ContentFile(CSV), ["cidade"]) == 1


def test_rows_to_import_skips_them_only_when_chosen():
    parameters = {"body": ["nome", "pedido"], "header": None, "button": None}
    assert mapped_columns(parameters) == ["nome", "pedido"]
    kept = list(rows_to_import(AudienceParser(ContentFile(CSV)), parameters))
    assert [type(r).__name__ for r in kept] == ["AudienceRow"] * 4
    skipping = {**parameters, "skip_rows_missing": True}
    codes_ = [
        getattr(r, "code", "row")
        for r in rows_to_import(AudienceParser(ContentFile(CSV)), skipping)
    ]
    assert codes_ == ["row", "variable_empty", "variable_empty", "variable_empty"]


def _content(client, **extra):
    data = {"template": template("retomada_pedido").pk, "var_1": "nome", "var_2": "pedido"}
    return post_step(client, "content", {**data, "button_column": "cidade", **extra})


def test_step_2_flags_the_empty_cells_with_the_count_and_the_choice(admin_client):  # noqa: F811
    upload(admin_client, data=CSV)
    r = _content(admin_client)
    assert codes(r, "content") == {"template_variable_cells_empty"}
    form = r.context["wizard"]["form"]
    assert (form.rows_missing, form.columns_missing) == (3, ["nome", "pedido", "cidade"])
    page = r.content.decode()
    assert 'id="rows-missing" data-count="3"' in page
    # Another mapping without empty cells goes through.
    r = post_step(
        admin_client,
        "content",
        {"template": template("retomada_pedido").pk, "var_1": "cidade", "var_2": "cidade",
         "button_column": "cidade"},
    )  # fmt: skip
    assert codes(r, "content") == {"template_variable_cells_empty"}  # cidade has one too


def test_skipping_them_sends_to_the_complete_rows_only(admin_client):  # noqa: F811
    upload(admin_client, data=CSV)
    r = _content(admin_client, skip_rows_missing="on")
    assert r.context["wizard"]["form"].prefix == "routing", codes(r, "content")
    post_step(
        admin_client,
        "routing",
        {"routing": "flow", "routing_bot": ids("vendas"), "flow_block": ids("ofertas")},
    )
    r = post_step(admin_client, "send", {"when": "now"})
    assert r.status_code == 302
    campaign = Campaign.objects.get()
    assert (campaign.audience_size, campaign.skipped_rows) == (1, 3)
    assert Recipient.objects.get().parameters["body"] == ["Carla", "A1"]
    assert campaign.parameters["skip_rows_missing"] is True


def test_the_background_import_skips_them_too(
    admin_client,  # noqa: F811
    settings,
    django_capture_on_commit_callbacks,
):
    settings.AUDIENCE_INLINE_MAX_ROWS = 1  # this file goes to the background import
    upload(admin_client, data=CSV)
    _content(admin_client, skip_rows_missing="on")
    post_step(
        admin_client,
        "routing",
        {"routing": "flow", "routing_bot": ids("vendas"), "flow_block": ids("ofertas")},
    )
    with django_capture_on_commit_callbacks(execute=True):
        post_step(admin_client, "send", {"when": "now"})
    campaign = Campaign.objects.get()
    assert (campaign.audience_size, campaign.skipped_rows) == (1, 3)
