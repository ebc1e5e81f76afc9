"""markdown-it-py's token stream for a body, built for speed (FORMATS.md §7).

Only the rules the corpus uses are on; inline rules run only on blocks with a markdown mark;
runs of plain lines get their paragraph tokens without going through the block rules.
"""

import html
import re
from collections.abc import MutableMapping
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

_MARKED = re.compile(r"[\[*_\\`<]")


def _inline_where_marked(state: StateCore) -> None:
    """markdown-it's inline step, skipped where a block has no markdown mark (children: None)."""
    for token in state.tokens:
        if token.type == "inline":
            _fill_inline(state.md, state.env, token)


def _fill_inline(md: MarkdownIt, env: MutableMapping[str, Any], token: Token) -> None:
    if _MARKED.search(token.content):
        token.children = []
        md.inline.parse(token.content, md, env, token.children)
    else:
        token.children = None
        if "&" in token.content:  # entities are the only mark: decode them here
            token.content = html.unescape(token.content)


def _markdown() -> MarkdownIt:
    # Only the rules the corpus uses: fewer rules is most of the parser's speed. Indented code
    # is off because transcripts indent paragraphs with wide spaces; raw HTML is kept inline
    # only, for <br>.
    md = MarkdownIt("zero", {"html": True, "maxNesting": 20})
    md.enable(["heading", "fence", "blockquote", "hr", "list"])
    md.enable(["newline", "escape", "backticks", "emphasis", "link", "image", "autolink"])
    md.enable(["html_inline", "entity"])
    # Most lines of the corpus are plain Chinese prose: inline rules run only where a mark is.
    md.core.ruler.at("inline", _inline_where_marked)
    md.core.ruler.disable("text_join")
    # The text rule stops only where an enabled rule could start (the default set also stops
    # at : - + = # $ % @ ^ { } ~ for plugins we do not use).
    md.inline.terminator_re = re.compile(r"[\n!&*<\[\\\]_`]")
    # Keep hrefs as written: validation happens here, with the corpus's own garbage in mind.
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    md.normalizeLink = lambda url: url  # type: ignore[method-assign]
    md.normalizeLinkText = lambda link: link  # type: ignore[method-assign]
    return md


MARKDOWN = _markdown()

# A line that could start a block other than a paragraph (heading, list, quote, fence, rule) or
# hold a bold heading. Runs of lines between blank lines without one are plain paragraphs.
_BLOCK_START = re.compile(r"[ \t]*(?:[#>*+\-_~`]|\d{1,9}[.)])")
_FENCE = re.compile(r"^[ \t]*(?:```|~~~)", re.M)


# The opening and closing tokens of a plain paragraph say nothing but "paragraph": one pair
# serves them all (the line numbers are on the inline token, as markdown-it puts them).
_PARAGRAPH_OPEN = Token("paragraph_open", "p", 1, block=True)
_PARAGRAPH_CLOSE = Token("paragraph_close", "p", -1, block=True)


def _paragraph(lines: list[str], start: int, end: int) -> list[Token]:
    """The tokens markdown-it gives a run of plain lines: one paragraph."""
    content = "\n".join(lines[start:end]).strip()
    inline = Token("inline", "", 0, map=[start, end], content=content)
    _fill_inline(MARKDOWN, {}, inline)
    return [_PARAGRAPH_OPEN, inline, _PARAGRAPH_CLOSE]


def _parse_segment(lines: list[str], start: int, end: int) -> list[Token]:
    """markdown-it over lines[start:end], line numbers shifted to the body's."""
    tokens = MARKDOWN.parse("\n".join(lines[start:end]))
    if start:
        for token in tokens:
            if token.map:
                token.map = [token.map[0] + start, token.map[1] + start]
    return tokens


def block_tokens(markdown: str, lines: list[str]) -> list[Token]:
    """markdown-it's token stream for a body.

    Runs of lines between blank lines with no block mark are plain paragraphs whatever comes
    around them, so they get their paragraph tokens directly and only the other runs go through
    markdown-it's block rules: most of a transcript is plain paragraphs, and the block rules
    cost far more than the text. A fenced code block may hold blank lines, so a body with a
    fence is parsed whole.
    """
    if _FENCE.search(markdown):
        return _parse_segment(lines, 0, len(lines))
    tokens: list[Token] = []
    marked_from: int | None = None
    i, n = 0, len(lines)
    while i < n:
        if not lines[i].strip():
            i += 1
            continue
        j = i
        marked = False
        while j < n and lines[j].strip():
            marked = marked or _BLOCK_START.match(lines[j]) is not None
            j += 1
        if marked:
            marked_from = i if marked_from is None else marked_from
        else:
            if marked_from is not None:
                tokens += _parse_segment(lines, marked_from, i)
                marked_from = None
            tokens += _paragraph(lines, i, j)
        i = j
    if marked_from is not None:
        tokens += _parse_segment(lines, marked_from, n)
    return tokens
