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
EXAMPLES_PER_OPERATION = 25


def conformance_runner(
    case_strategy: st.SearchStrategy[schemathesis.Case], headers: dict[str, str] | None = None
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
        case.call_and_validate(checks=CHECKS, headers=headers)

    return run
