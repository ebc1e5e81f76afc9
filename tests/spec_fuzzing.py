"""Schemathesis runs shared by the read and write spec tests: the checks and the bounds."""

from collections.abc import Callable

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Bounded so a file runs in seconds; derandomised so a run can be repeated exactly.
EXAMPLES_PER_OPERATION = 40
# Requests made, by "METHOD PATH": the run's total is printed at the end of the session.
REQUESTS: dict[str, int] = {}


def bounded_longpoll(case: schemathesis.Case) -> None:
    """Caps a generated long-poll's wait at 0.2 s: the feed answers the same, CI time stays."""
    query = case.query if isinstance(case.query, dict) else None
    if query is None or query.get("feed") != "longpoll":
        return
    try:
        wait = float(query.get("timeout", 30.0))
    except (TypeError, ValueError):
        return  # not a number: a 422 at once, nothing to wait for
    if 0.2 < wait <= 300:
        query["timeout"] = 0.2


def conformance_runner(
    case_strategy: st.SearchStrategy[schemathesis.Case],
    headers: dict[str, str] | None = None,
    prepare: Callable[[schemathesis.Case], None] = bounded_longpoll,
) -> Callable[[], None]:
    """A hypothesis test calling each generated case and validating it against the spec."""

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=case_strategy)
    def run(case: schemathesis.Case) -> None:
        key = f"{case.method} {case.path}"
        REQUESTS[key] = REQUESTS.get(key, 0) + 1
        prepare(case)
        case.call_and_validate(checks=CHECKS, headers=headers)

    return run
