"""The OpenAPI document and the docs page, served by the app with no CDN asset."""

import re

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db

ENDPOINTS = {
    "/api/v1/bots",
    "/api/v1/templates",
    "/api/v1/teams",
    "/api/v1/attendants",
    "/api/v1/flow-blocks",
    "/api/v1/messages",
    "/api/v1/campaigns",
    "/api/v1/campaigns/{id}",
    "/api/v1/campaigns/{id}/cancel",
    "/api/v1/campaigns/{id}/recipients",
}


def test_openapi_document_lists_every_endpoint(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    doc = response.json()
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) == ENDPOINTS
    assert doc["components"]["securitySchemes"]["ApiKey"]["name"] == "Authorization"
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
            if method == "post":
                assert "Idempotency-Key" in headers, path


def test_docs_page_loads_only_local_assets(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/api/v1/openapi.json" in html
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources, html
    assert all(not s.startswith(("http://", "https://", "//")) for s in sources), sources
    for source in sources:
        if source.startswith("/static/"):  # the app ships it (WhiteNoise serves it in production)
            assert finders.find(source.removeprefix("/static/")), source
