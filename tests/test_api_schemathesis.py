"""schemathesis against the OpenAPI document, in process (WSGI, no server): every operation,
with generated valid and invalid input, called with a coordinator's and an officer's token.
No answer may be a 5xx, and every answer must match what the document declares."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from app import clock
from app.domain import api_tokens, nominations
from tests.factories import make_showcase_world, open_slot, register

# Examples per operation and generation mode: about a minute for the whole API on 2 CPUs
# (VITRINA_API_FUZZ_EXAMPLES=200 VITRINA_API_FUZZ_RANDOM=1 for a longer, new exploration).
EXAMPLES = int(os.environ.get("VITRINA_API_FUZZ_EXAMPLES", "25"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def tokens(app, db) -> dict[str, dict[str, str]]:
    world = make_showcase_world(app)  # a published week with consenting and other people
    # And a week taking nominations, with a draft on each commune's list.
    week = open_slot(world["program"], {world["melipilla"]: 3, world["alhue"]: 3}, index=5)
    week.nominations_deadline = clock.now_utc() + timedelta(days=30)
    for commune, officer, rut in (
        (world["melipilla"], world["users"]["officer"], "7.654.321-6"),
        (world["alhue"], world["users"]["other_officer"], "8.765.432-K"),
    ):
        person = register(commune, world["crafts"], rut, by=officer)
        nominations.nominate(week, person, by=officer)
    app.config["API_TOKEN_FAILURE_LIMIT"] = "100000 per minute"
    headers = {}
    for role in ("coordinator", "officer"):
        _row, secret = api_tokens.issue(world["users"][role], name=f"schemathesis {role}")
        headers[role] = {"Authorization": f"Bearer {secret}"}
    db.session.commit()
    return headers


def test_every_operation_survives_generated_input(app, tokens):
    # On SQLite: the other API tests run on both backends; this one is about the document.
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, mode, tokens)


def _faulty_headers(case) -> bool:
    components = case.meta.components if case.meta else {}
    info = components.get(ParameterLocation.HEADER)
    return info is not None and info.mode is GenerationMode.NEGATIVE


def _fuzz(operation, mode: GenerationMode, tokens: dict[str, dict[str, str]]) -> None:
    checks = CHECKS + ([negative_data_rejection] if mode is GenerationMode.NEGATIVE else [])
    secured = bool(operation.definition.raw.get("security"))

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=not os.environ.get("VITRINA_API_FUZZ_RANDOM"),
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        if secured and _faulty_headers(case):
            # The generated fault is the token itself (missing, empty, odd): it must be refused.
            case.call_and_validate(checks=checks)
            return
        for headers in tokens.values():
            case.call_and_validate(headers=headers, checks=checks)

    try:
        run()
    except Unsatisfiable:
        # Nothing to make invalid: an operation without parameters or body (GET /communes).
        assert mode is GenerationMode.NEGATIVE, operation.label
