"""Every page is titled "<page> | blipportal": never a bare " | blipportal" (issue 10, pt-BR)."""

import os
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db

PAGES = ["/campaigns/", "/campaigns/new/", "/desk/", "/desk/supervisor/", "/desk/simulator/"]
PAGES += ["/admin/", "/admin/bots/bot/"]


def title(response) -> str:
    found = re.search(r"<title>(.*?)</title>", response.content.decode(), re.S)
    return " ".join(found.group(1).split()) if found else ""


def test_page_titles_name_the_page_first(client):
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    anonymous = title(client.get("/login/"))
    assert anonymous == "Acessar | blipportal"  # Django's pt-BR for "Log in"
    client.force_login(get_user_model().objects.get(username="admin"))
    for path in PAGES:
        shown = title(client.get(path))
        assert re.fullmatch(r"\S.* \| blipportal", shown), (path, shown)
