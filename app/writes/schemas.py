"""What the write endpoints answer: the upload's ingest report, and what a PUT did."""

from typing import Literal

from pydantic import BaseModel, Field


class FailurePublic(BaseModel):
    """A file that was refused, and why."""

    path: str = Field(examples=["content/gnews/1.md"])
    reason: str = Field(examples=["not UTF-8 (byte 0xff at offset 0)"])


class IngestCounts(BaseModel):
    """The report's figures, as the summary line of ``corpus ingest`` gives them."""

    files: int = Field(examples=[3])
    added: int = Field(examples=[2])
    updated: int = Field(examples=[1])
    unchanged: int = Field(examples=[0])
    deleted: int = Field(examples=[0])
    failed: int = Field(examples=[0])
    index_pages: int = Field(examples=[0])
    skipped: int = Field(examples=[0])


class UploadReport(BaseModel):
    """What an upload did: the report ``corpus ingest`` gives (``IngestReport.to_dict``)."""

    files: int = Field(description="Article and index files read.", examples=[3])
    added: list[str] = Field(description="Ids of new articles.", examples=[["gnews-2362915"]])
    updated: list[str] = Field(
        description="Ids of articles whose content changed.", examples=[["gnews-2362916"]]
    )
    unchanged: int = Field(description="Articles already stored as uploaded.", examples=[1])
    deleted: list[str] = Field(
        description="Ids of articles an uploaded index page replaced.", examples=[[]]
    )
    failed: list[FailurePublic] = Field(
        description="Always empty here: an upload with a bad file is refused whole (422).",
        examples=[[]],
    )
    index_pages: int = Field(description="Index pages read.", examples=[0])
    skipped: int = Field(description="Files that are not articles (images...).", examples=[0])
    complete: bool = Field(description="True: every uploaded file was read.", examples=[True])
    seconds: float = Field(description="Time taken.", examples=[0.4])
    counts: IngestCounts


class ArticleWritten(BaseModel):
    """What a PUT did to one article."""

    id: str = Field(examples=["gnews-2362915"])
    path: str = Field(examples=["content/gnews/2362915.md"])
    result: Literal["added", "updated", "unchanged"] = Field(examples=["updated"])
    content_hash: str = Field(examples=["9f2c" + "0" * 60])
