"""What every list can count besides its page: an exact ``total`` and ``facets``.

``/articles``, a tag's or an author's articles take ``total``, ``facets`` and ``facet_size``
(``ListCountingDep``); ``/search``, whose total is always there, takes the facets alone
(``FacetRequestDep``); ``/tags`` and the other name lists take ``total`` (``TotalQuery``).
"""

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query
from sqlalchemy.sql.selectable import Subquery
from sqlmodel import Session

from app.api.deps import SettingsDep
from app.errors import Unprocessable
from app.queries.counts import FACETS, count_articles, facet_counts
from app.queries.filters import ArticleFilter

MAX_FACET_SIZE = 100
FACET_NAMES = ", ".join(FACETS)

TotalQuery = Annotated[
    bool,
    Query(
        description="Also answer `total`: how many items match, over all pages (exact).",
        examples=[True],
    ),
]


@dataclass(frozen=True, slots=True)
class FacetRequest:
    """Which facets a request asks for, and how many values of each."""

    facets: tuple[str, ...]
    size: int

    def members(
        self, session: Session, article_filter: ArticleFilter, *, within: Subquery | None = None
    ) -> dict[str, Any]:
        """The page's ``facets`` member when facets are asked for."""
        if not self.facets:
            return {}
        return {
            "facets": facet_counts(
                session, article_filter, self.facets, size=self.size, within=within
            )
        }


async def facet_request(
    settings: SettingsDep,
    facets: Annotated[
        list[str] | None,
        Query(
            description=(
                "Also answer `facets`: for each named facet (comma-separated or repeated), "
                "its most frequent values among the matching articles, with their counts. "
                f"Facets: {FACET_NAMES} (`month` as `YYYY-MM`; articles without a "
                "publication time have no year or month)."
            ),
            examples=[["collection,year,tag"]],
        ),
    ] = None,
    facet_size: Annotated[
        int | None,
        Query(
            ge=1,
            le=MAX_FACET_SIZE,
            description=(
                f"Most values per facet (1-{MAX_FACET_SIZE}; default: the `CORPUS_FACET_SIZE` "
                "setting)."
            ),
            examples=[10],
        ),
    ] = None,
) -> FacetRequest:
    """The facets a list request asks for; 422 on an unknown facet."""
    names = [n.strip() for value in facets or [] for n in value.split(",") if n.strip()]
    unknown = sorted(set(names) - set(FACETS))
    if unknown:
        raise Unprocessable(f"facets: unknown facet(s) {', '.join(unknown)}; known: {FACET_NAMES}")
    size = settings.facet_size if facet_size is None else facet_size
    return FacetRequest(facets=tuple(dict.fromkeys(names)), size=size)


FacetRequestDep = Annotated[FacetRequest, Depends(facet_request)]


@dataclass(frozen=True, slots=True)
class ListCounting:
    """What an article list counts besides its page: the exact total, and facets."""

    total: bool
    facets: FacetRequest

    def members(self, session: Session, article_filter: ArticleFilter) -> dict[str, Any]:
        """The page's ``total`` and ``facets`` members, those asked for."""
        out: dict[str, Any] = {}
        if self.total:
            out["total"] = count_articles(session, article_filter)
        return out | self.facets.members(session, article_filter)


async def list_counting(facets: FacetRequestDep, total: TotalQuery = False) -> ListCounting:
    """The counting parameters of an article list request."""
    return ListCounting(total=total, facets=facets)


ListCountingDep = Annotated[ListCounting, Depends(list_counting)]
