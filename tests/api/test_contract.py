"""Property-based contract tests: schemathesis generates requests from /api/v1/openapi.json and
checks every answer against the document (status codes, content types, bodies, headers).

Runs in-process against the WSGI app and the test database, a bounded number of examples per
operation (API_CONTRACT_EXAMPLES, default 25) so CI stays fast.
"""

import os

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from tests.api import scenarios

EXAMPLES = int(os.environ.get("API_CONTRACT_EXAMPLES", "25"))
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture
def keep_test_connection():
    """Calls go through the real WSGI handler, whose request signals would close the test's
    database connection (and its transaction) after each request; Django's test client
    disconnects them the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def contract_key(db):
    # A bot with data in every list, a key with room for every generated request.
    setup = scenarios.setup(router=True, requests_per_minute=100_000)
    return setup.key


def test_the_api_keeps_its_openapi_contract(contract_key, keep_test_connection):
    from blipportal.wsgi import application

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    headers = {"Authorization": f"Key {contract_key.clear}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def conforms(case):
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS)

        conforms()
