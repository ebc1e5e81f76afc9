"""The hot read routes' dependencies, solved from a plan made once per route.

FastAPI walks a route's dependency tree on every request, asking again of each parameter
whether it is a model, a sequence, which alias it goes by, and copying its default: for
``/articles`` (four dependencies, fourteen query parameters) that was about a third of the
request's time. ``PlannedRoute`` asks those questions once, when the route is built, and at
request time only reads the parameters given, validates each with the field FastAPI made
for it (so values and errors are FastAPI's own), and calls the dependencies in FastAPI's
order: a dependency whose parameters fail is skipped and its errors gathered, a dependency
asked for twice is called once, and the errors of every parameter become one
``RequestValidationError``. The route is declared as before, so the OpenAPI document is
unchanged.

A route with anything else (a body, headers, cookies, security, a plain ``def`` or a
generator dependency, an endpoint that does not answer a ``Response``) keeps FastAPI's
solver, and so does every request while ``app.dependency_overrides`` is not empty.
"""

import inspect
from collections.abc import Awaitable, Callable, Coroutine
from contextvars import ContextVar
from copy import deepcopy
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from fastapi._compat import ModelField, field_annotation_is_sequence, get_missing_field_error
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel

_inclusion: ContextVar[Any] | None
try:  # newer FastAPI builds a route included in a router again for each inclusion
    from fastapi.routing import _effective_route_context_var as _inclusion
except ImportError:  # pragma: no cover - older FastAPI builds it once
    _inclusion = None

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


@dataclass(frozen=True, slots=True)
class _Parameter:
    """One query or path parameter: where it is read from and what it is when absent."""

    field: ModelField
    alias: str
    loc: tuple[str, str]
    sequence: bool
    required: bool
    default: Any
    mutable_default: bool  # copied for each request, as FastAPI does

    def value(self, given: Any) -> tuple[Any, list[dict[str, Any]]]:
        """The parameter's value from what the request gave (None: absent), or its errors."""
        if given is None or (self.sequence and not given):
            if self.required:
                return None, [get_missing_field_error(self.loc)]
            return (deepcopy(self.default) if self.mutable_default else self.default), []
        return self.field.validate(given, {}, loc=self.loc)


@dataclass(frozen=True, slots=True)
class _Step:
    """A dependency (or the endpoint): its own parameters, then the dependencies it takes."""

    call: Callable[..., Awaitable[Any]]
    name: str | None
    use_cache: bool
    dependencies: tuple["_Step", ...]
    path: tuple[_Parameter, ...]
    query: tuple[_Parameter, ...]
    request_name: str | None


def _parameter(field: ModelField, place: str) -> _Parameter | None:
    info = field.field_info
    annotation = info.annotation
    if (
        info.validation_alias is not None
        or info.validate_default
        or (isinstance(annotation, type) and issubclass(annotation, BaseModel))
        or any(type(item).__name__ == "Json" for item in info.metadata)
    ):
        return None
    required = info.is_required()
    default = None if required else field.default
    return _Parameter(
        field=field,
        alias=field.alias,
        loc=(place, field.alias),
        sequence=field_annotation_is_sequence(annotation),
        required=required,
        default=default,
        mutable_default=isinstance(default, list | dict | set),
    )


def _plan(dependant: Dependant) -> _Step | None:
    """The plan of ``dependant``, or None when it needs something only FastAPI solves."""
    call = dependant.call
    if (
        call is None
        or not inspect.iscoroutinefunction(call)
        or dependant.header_params
        or dependant.cookie_params
        or dependant.body_params
        or dependant.websocket_param_name
        or dependant.http_connection_param_name
        or dependant.response_param_name
        or dependant.background_tasks_param_name
        or dependant.security_scopes_param_name
        # Fields of some FastAPI versions only.
        or getattr(dependant, "security_requirements", None)
        or getattr(dependant, "own_oauth_scopes", None)
        or getattr(dependant, "concurrency", None) is not None
    ):
        return None
    path = [_parameter(f, "path") for f in dependant.path_params]
    query = [_parameter(f, "query") for f in dependant.query_params]
    dependencies = [_plan(d) for d in dependant.dependencies]
    if None in path or None in query or None in dependencies:
        return None
    return _Step(
        call=call,
        name=dependant.name,
        use_cache=dependant.use_cache,
        dependencies=tuple(d for d in dependencies if d is not None),
        path=tuple(p for p in path if p is not None),
        query=tuple(p for p in query if p is not None),
        request_name=dependant.request_param_name,
    )


async def _solve(
    step: _Step, request: Request, solved: dict[Callable[..., Any], Any]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The keyword arguments of ``step.call`` and the errors of its parameters, FastAPI's way."""
    values: dict[str, Any] = {}
    errors: list[dict[str, Any]] = []
    for dependency in step.dependencies:
        arguments, failed = await _solve(dependency, request, solved)
        if failed:
            errors.extend(failed)
            continue
        if dependency.use_cache and dependency.call in solved:
            value = solved[dependency.call]
        else:
            value = await dependency.call(**arguments)
            solved.setdefault(dependency.call, value)
        if dependency.name is not None:
            values[dependency.name] = value
    for parameter in step.path:
        _take(parameter, request.path_params.get(parameter.alias), values, errors)
    if step.query:
        query = request.query_params
        for parameter in step.query:
            given = (
                query.getlist(parameter.alias) if parameter.sequence else query.get(parameter.alias)
            )
            _take(parameter, given, values, errors)
    if step.request_name is not None:
        values[step.request_name] = request
    return values, errors


def _take(
    parameter: _Parameter, given: Any, values: dict[str, Any], errors: list[dict[str, Any]]
) -> None:
    value, failed = parameter.value(given)
    if failed:
        errors.extend(failed)
    else:
        values[parameter.field.name] = value


def _answers_response(call: Callable[..., Any]) -> bool:
    annotation = inspect.signature(call).return_annotation
    return isinstance(annotation, type) and issubclass(annotation, Response)


class PlannedRoute(APIRoute):
    """An APIRoute whose dependencies are solved from a plan (see the module's docstring)."""

    plan: _Step | None = None

    def get_route_handler(self) -> Handler:
        """FastAPI's handler, or one that solves from the plan when the route has one."""
        fastapi_handler = super().get_route_handler()
        # As FastAPI's does: a route included in a router is built for that inclusion.
        context = _inclusion.get() if _inclusion is not None else None
        route: Any = context if context is not None and context.original_route is self else self
        plan = None
        if route.dependant is not None and _answers_response(route.endpoint):
            plan = _plan(route.dependant)
        self.plan = plan
        if plan is None:
            return fastapi_handler
        overrides = route.dependency_overrides_provider

        async def planned(request: Request) -> Response:
            if overrides is not None and getattr(overrides, "dependency_overrides", None):
                return await fastapi_handler(request)
            values, errors = await _solve(plan, request, {})
            if errors:
                raise RequestValidationError(errors)
            response: Response = await plan.call(**values)
            return response

        return planned


def planned(route: object) -> bool:
    """Whether ``route`` solves its dependencies from a plan."""
    return isinstance(route, PlannedRoute) and route.plan is not None
