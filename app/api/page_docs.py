"""How a JSON route documents its 200 in the spec: the headers it sends and an example body.

A page (``/tags``, ``/authors``, a tag's articles, an article's revisions...) sends
``PAGE_HEADERS``; one document (a revision) sends the same but ``Link``, having no next page.
"""

from typing import Any

from app.api.listing import PAGE_HEADERS
from app.api.problems import problem_responses

DOCUMENT_HEADERS = {k: v for k, v in PAGE_HEADERS.items() if k != "Link"}


def page_responses(example: Any, *errors: int) -> dict[int | str, Any]:
    """The ``responses=`` of a page route: its 200 (headers, ``example``) and its ``errors``."""
    return _responses(PAGE_HEADERS, example, errors)


def document_responses(example: Any, *errors: int) -> dict[int | str, Any]:
    """The ``responses=`` of a route answering one document: its 200 and its ``errors``."""
    return _responses(DOCUMENT_HEADERS, example, errors)


def _responses(
    headers: dict[str, Any], example: Any, errors: tuple[int, ...]
) -> dict[int | str, Any]:
    return {
        200: {"headers": headers, "content": {"application/json": {"example": example}}},
        **problem_responses(*errors),
    }
