"""The PostgreSQL search index: the text's characters and words as ``tsvector`` chunks under GIN.

SQLite's tokens cut to single CJK characters (``character_tokens``): a substring query is a
``<->`` phrase of characters, and the vectors take half the room bigrams would. A
``tsvector`` keeps positions only up to 16,383 and at most 256 per lexeme, and phrase queries
need every position, so a long text is cut into chunks that stay inside both limits, and
small enough (``CHUNK_BYTES``) to be stored in their rows rather than in TOAST. Chunks
overlap, so a phrase shorter than the overlap is never cut in two.

Ranking counts each occurrence once (``postgres_search``): a chunk's head, the positions it
repeats from the chunk before, carries weight B, the rest the default D. The article's
length in tokens, BM25's ``D``, is kept in ``article_search_length``.

A file's first and last tokens are chunks of their own (``EDGE_TOKENS``), written ahead of
the other chunks of their batch: the archive's boilerplate (the header's ``:house:返回``, the
``轉載自`` source line, disclaimers and footers) sits there, so the terms most articles share
are read from small rows packed many to a page, not each from a page-sized chunk.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.engine import Connection

from app.search.folding import fold
from app.search.indexed_text import IndexedText
from app.search.segmenting import GAP, character_tokens, token_string

CHUNK_TOKENS = 4000
OVERLAP_TOKENS = 64
MAX_POSITIONS = 255
# A chunk's vector stays in its own row (toast_tuple_target 8160, migration 0011) up to about
# 8,100 bytes: scoring then reads it from the table's page instead of fetching it from TOAST
# once per function that looks at it, which made the score of a common term slow.
CHUNK_BYTES = 7600
# A chunk cut by a repeated lexeme holds at least 255 tokens; the byte limit never cuts one
# shorter either (a text of long words then has chunks that go to TOAST: slower, still exact).
MIN_CHUNK_TOKENS = MAX_POSITIONS
# A file's edges hold its boilerplate (module docstring): 128 tokens hold the header and the
# source line of 99% of the archive's files at the top, and its footers at the bottom.
EDGE_TOKENS = 2 * OVERLAP_TOKENS
# A shorter text is one chunk of at most a few kilobytes: splitting it would only repeat lexemes.
EDGED_TOKENS = 4 * EDGE_TOKENS
TITLE, BODY = 0, 1
# PostgreSQL refuses lexemes over 2 KB; longer "words" are base64 blobs and the like.
MAX_LEXEME_CHARS = 500


def lexeme_literal(lexeme: str) -> str:
    """A lexeme quoted for ``tsvector``/``tsquery`` input."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def _chunk_literal(tokens: Sequence[str], head: int) -> str:
    positions: dict[str, list[str]] = {}
    for position, token in enumerate(tokens, start=1):
        if token != GAP:  # a position that holds nothing
            mark = f"{position}B" if position <= head else str(position)
            positions.setdefault(token, []).append(mark)
    return " ".join(f"{lexeme_literal(lex)}:{','.join(pos)}" for lex, pos in positions.items())


def _entry_bytes(token: str) -> int:
    """What a new lexeme adds to a ``tsvector`` at most: its entry, its bytes and alignment,
    and its position count."""
    return 4 + len(token.encode()) + 1 + 2


def _chunk_end(tokens: Sequence[str], start: int) -> int:
    """Where the chunk starting at ``start`` ends: at ``CHUNK_TOKENS``, at a lexeme's 256th
    position, or (past ``MIN_CHUNK_TOKENS``) where its vector would outgrow ``CHUNK_BYTES``."""
    counts: dict[str, int] = {}
    size = 0
    end = start
    limit = min(len(tokens), start + CHUNK_TOKENS)
    while end < limit:
        token = tokens[end]
        seen = counts.get(token, 0)
        if token != GAP:
            if seen >= MAX_POSITIONS:
                break
            size += 2 + (0 if seen else _entry_bytes(token))
            if size > CHUNK_BYTES and end - start >= MIN_CHUNK_TOKENS:
                break
        counts[token] = seen + 1
        end += 1
    return end


def _middle_spans(tokens: Sequence[str], start: int, head: int) -> list[tuple[int, int, int]]:
    """The chunks of ``tokens`` from ``start`` on (``chunk_spans``), the first repeating
    ``head`` tokens."""
    spans: list[tuple[int, int, int]] = []
    while start < len(tokens):
        end = _chunk_end(tokens, start)
        spans.append((start, end, head))
        if end >= len(tokens):
            break
        # Overlap, but always move on (a chunk cut short by a repeated lexeme may be small).
        next_start = max(end - OVERLAP_TOKENS, start + (end - start + 1) // 2)
        head, start = end - next_start, next_start
    return spans


def chunk_spans(tokens: Sequence[str]) -> list[tuple[int, int, int]]:
    """``(start, end, head)`` of each chunk of ``tokens``: the chunks' token ranges, each
    within PostgreSQL's position limits and, as far as it can, small enough to be stored
    in its row; ``head`` is how many leading tokens it repeats from the chunk before.

    Each chunk's head is exactly its overlap with the chunk before, so an occurrence is
    counted in the first chunk that holds it whole and lies inside the head of any later one.
    A text of more than ``EDGED_TOKENS`` starts and ends with an edge chunk of
    ``EDGE_TOKENS`` (``is_edge``).
    """
    if len(tokens) <= EDGED_TOKENS:
        return _middle_spans(tokens, 0, 0)
    tail = len(tokens) - EDGE_TOKENS
    # The middle stops OVERLAP_TOKENS into the tail, so the tail repeats that many tokens.
    middle = _middle_spans(
        tokens[: tail + OVERLAP_TOKENS], EDGE_TOKENS - OVERLAP_TOKENS, OVERLAP_TOKENS
    )
    return [(0, EDGE_TOKENS, 0), *middle, (tail, len(tokens), OVERLAP_TOKENS)]


def is_edge(chunk: int, count: int) -> bool:
    """Whether chunk number ``chunk`` of a field cut into ``count`` is written ahead of the
    rest: a text's first or last, or a text that is one small chunk anyway."""
    return chunk in (0, count - 1)


def chunks(tokens: Sequence[str]) -> list[str]:
    """``tsvector`` literals covering ``tokens`` (``chunk_spans``).

    The positions a chunk repeats from the one before (its head) are marked with weight B.
    """
    return [_chunk_literal(tokens[start:end], head) for start, end, head in chunk_spans(tokens)]


@dataclass(frozen=True, slots=True)
class FieldChunks:
    """One field's ``tsvector`` chunk literals and its length in tokens (as FTS5 counts)."""

    literals: list[str]
    token_count: int


def field_chunks(token_text: str) -> FieldChunks:
    """The chunks of one field from its ``token_string``; picklable, so a parse worker can
    compute the body's ahead (most of the work of indexing on PostgreSQL)."""
    split = token_text.split()
    return FieldChunks(chunks(field_tokens(split)), len(split))


def field_tokens(tokens: list[str]) -> list[str]:
    """The lexemes of a field's tokens at their positions (``GAP`` where none is)."""
    return [t for t in character_tokens(tokens) if len(t) <= MAX_LEXEME_CHARS]


@dataclass(frozen=True, slots=True)
class _Tokenised:
    chunks: list[dict[str, object]]
    length: dict[str, object]


def _tokenise(text: IndexedText) -> _Tokenised:
    """The chunk rows of one article and its length in tokens (as FTS5 counts them)."""
    rows: list[dict[str, object]] = []
    body = text.body_chunks
    if body is None:
        body_tokens = text.body_tokens
        if body_tokens is None:
            body_tokens = token_string(fold(text.body))
        body = field_chunks(body_tokens)
    title = field_chunks(token_string(fold(text.title)))
    article_id = text.id
    for field, done in ((TITLE, title), (BODY, body)):
        count = len(done.literals)
        for number, literal in enumerate(done.literals):
            edge = is_edge(number, count)
            rows.append(
                {
                    "article_id": article_id,
                    "field": field,
                    "chunk": number,
                    "tokens": literal,
                    "edge": edge,
                }
            )
    length = title.token_count + body.token_count
    return _Tokenised(rows, {"article_id": article_id, "token_count": length})


_INSERT_CHUNKS = (
    "INSERT INTO article_search_chunk (article_id, field, chunk, tokens) "
    "VALUES (%(article_id)s, %(field)s, %(chunk)s, %(tokens)s::tsvector)"
)
_INSERT_LENGTHS = (
    "INSERT INTO article_search_length (article_id, token_count) "
    "VALUES (%(article_id)s, %(token_count)s)"
)


def _insert(connection: Connection, texts: Sequence[IndexedText], *, lengths: bool) -> None:
    tokenised = [_tokenise(t) for t in texts]
    # Edge chunks first: they fill pages of their own (module docstring).
    rows = sorted((row for t in tokenised for row in t.chunks), key=lambda row: not row["edge"])
    if rows:
        connection.exec_driver_sql(_INSERT_CHUNKS, rows)
    if lengths and tokenised:
        connection.exec_driver_sql(_INSERT_LENGTHS, [t.length for t in tokenised])


def file_texts(connection: Connection, ids: Sequence[str]) -> dict[str, str]:
    """The indexed text of those of these articles that were indexed from their file."""
    if not ids:
        return {}
    rows = connection.exec_driver_sql(
        "SELECT article_id, body FROM article_search_text "
        "WHERE from_file AND article_id = ANY(%(ids)s)",
        {"ids": list(ids)},
    )
    return {article_id: body for article_id, body in rows}


def remove(connection: Connection, ids: Sequence[str]) -> None:
    """Remove these articles from the index."""
    for table in ("article_search_chunk", "article_search_length", "article_search_text"):
        connection.exec_driver_sql(
            f"DELETE FROM {table} WHERE article_id = ANY(%(ids)s)", {"ids": list(ids)}
        )


def replace(connection: Connection, texts: Sequence[IndexedText]) -> None:
    """Index these articles, replacing what was indexed for them before."""
    remove(connection, [t.id for t in texts])
    # PostgreSQL compresses long text itself (TOAST): the searched text is stored as is.
    connection.exec_driver_sql(
        "INSERT INTO article_search_text (article_id, title, body, from_file) "
        "VALUES (%(id)s, %(title)s, %(body)s, %(from_file)s)",
        [{"id": t.id, "title": t.title, "body": t.body, "from_file": t.from_file} for t in texts],
    )
    _insert(connection, texts, lengths=True)


def rebuild(connection: Connection, batch: int = 500, *, lengths: bool = True) -> None:
    """Re-tokenise every indexed article from its stored text (after the tokens changed).

    ``lengths=False`` leaves ``article_search_length`` alone (migrations before it existed).
    """
    connection.exec_driver_sql("DELETE FROM article_search_chunk")
    if lengths:
        connection.exec_driver_sql("DELETE FROM article_search_length")
    after = ""
    while True:
        texts = [
            IndexedText(article_id, title, body, from_file)
            for article_id, title, body, from_file in connection.exec_driver_sql(
                "SELECT article_id, title, body, from_file FROM article_search_text "
                "WHERE article_id > %(after)s ORDER BY article_id LIMIT %(n)s",
                {"after": after, "n": batch},
            )
        ]
        if not texts:
            return
        _insert(connection, texts, lengths=lengths)
        after = texts[-1].id
