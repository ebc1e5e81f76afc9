"""What the index holds for one article: its title and searched text, and where it came from."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class IndexedText:
    """The original title and text an article is indexed under.

    ``from_file`` is true when the text is the whole file as a reader sees it, false when it
    is the parsed body only.
    """

    id: str
    title: str
    body: str
    from_file: bool
