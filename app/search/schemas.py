"""Response models of search: a hit is an article summary with its score and snippets."""

from pydantic import BaseModel, Field

from app.schemas import ArticleSummary, FacetCount


class SnippetPublic(BaseModel):
    """A piece of the title or text of a hit, in the original text, with what matched."""

    field: str = Field(description="`title` or `body` (the text of the file).", examples=["body"])
    text: str = Field(
        description="The piece of original text (line breaks shown as spaces).",
        examples=["2月29日，艾娃做客斯廷奇菲尔德播客，谈中共利用TikTok影响美国大选。"],
    )
    highlights: list[tuple[int, int]] = Field(
        description="Matched spans as [start, end) character offsets into `text`.",
        examples=[[[18, 24]]],
    )


class SearchHit(ArticleSummary):
    """An article that matches the query."""

    score: float = Field(
        description=(
            "Relevance: BM25 (k1 1.2, b 0.75; a title occurrence counts 4 times; the same "
            "score on SQLite and PostgreSQL), plus 1000 when the title holds every term. "
            "Higher is better; comparable within one query only."
        ),
        examples=[1003.52],
    )
    snippets: list[SnippetPublic] = Field(description="Where the terms occur, title first.")


class SearchPage(BaseModel):
    """One page of hits; `total` counts every hit of the query and filters."""

    items: list[SearchHit]
    next: str | None = Field(
        description="Pass as `cursor` to get the next page; null when this is the last page.",
        examples=["eyJ2IjoxLCJzIjoi...In0.Qm9ndXNzaWduYXR1cmU"],
    )
    total: int = Field(description="Exact number of matching articles.", examples=[42])
    facets: dict[str, list[FacetCount]] | None = Field(
        default=None,
        description="Per facet asked for in `facets`, its most frequent values among the hits.",
        examples=[{"collection": [{"value": "gnews", "count": 40}]}],
    )
