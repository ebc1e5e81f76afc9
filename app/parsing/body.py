"""The body's markdown structure, read from markdown-it-py's token stream (FORMATS.md §7.3-§7.5).

Sections open at ``##``..``######`` headings and at lines that are only bold text; links and
images are collected with the section they sit in; the plain text drops every markdown mark
and every URL.
"""

import re
from dataclasses import dataclass, field

from markdown_it.token import Token

from app.parsing.byline import is_credit
from app.parsing.markdown_tokens import block_tokens
from app.parsing.model import ParsedImage, ParsedLink, ParsedSection
from app.parsing.text import collapse_whitespace, normalise_characters

# Possessive quantifiers (*+): a line of spaces must not cost time squared in its length.
_REFERENCE_LABEL = re.compile(
    r"^[ \t]*+(?:#{1,6}[ \t]*+)?[*_ \t【\[]*+(?:参考链接|參考鏈接|参考连接|参考来源|参考资料|"
    r"参考文献|参考|原文链接|原文連接|原文连接|原文|资料来源|信息来源|信息源|新闻来源链接|新闻来源|"
    r"消息来源|新闻链接|新闻参考链接|相关链接|相关新闻|相关阅读|延伸阅读|素材来源|来源链接|来源|References?|Sources?)"
    r"[*_ \t】\]]*(?:[：:]|$)",
    re.M | re.I,
)
# URLs are ASCII in this corpus; a URL glued to Chinese text ends where the Chinese begins.
_BARE_URL = re.compile(r"https?://[A-Za-z0-9\-._~:/?#@!$&*+,;=%]+")
_ESCAPED_IMAGE = re.compile(r"^!\[[^\]]*\]\((\S+?)\)$")
_CAPTION_LINE = re.compile(r"^\s*(?:图片来源|图源|图：|图片：|（图|\(图|Photo|Image|截图|封面)")
_MEANINGLESS_ALT = {"", "img", "image", "Image", "IMG", "图片", "photo"}
_WORDPRESS_ALT = "This image has an empty alt attribute"
_MAX_CAPTION = 120
_MARKUP_ONLY = "*_~`#|-: "
# SRT subtitle dumps (§7.7): `00:14:10,800 –&gt; 00:14:13,850` lines after a cue number.
_SUBTITLE_TIME = re.compile(r"\d\d:\d\d:\d\d,\d{3} *(?:–|-{1,2})>")
_SUBTITLE_CUE = re.compile(r"^(?:\d+|\d\d:\d\d:\d\d,\d{3} *(?:–|-{1,2})> *\d\d:\d\d:\d\d,\d{3})$")
_MAX_HEADING = 40
_SENTENCE_END = ("：", ":", "。", "，", ",", "；", ";")
_MAX_HREF = 400


@dataclass(slots=True)
class _Section:
    start_line: int
    heading: str | None
    texts: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Body:
    """The structure of a body: its sections, links, images and plain text."""

    sections: list[ParsedSection]
    links: list[ParsedLink]
    images: list[ParsedImage]
    text: str


def reference_lines(markdown: str) -> list[int]:
    """Line numbers of reference headings (参考链接...) followed by a URL within three lines."""
    if not _REFERENCE_LABEL.search(markdown):
        return []
    found = []
    lines = markdown.split("\n")
    for m in _REFERENCE_LABEL.finditer(markdown):
        line = markdown.count("\n", 0, m.start())
        nearby = "\n".join(lines[line : line + 4])
        if "http" in nearby or "](" in nearby:
            found.append(line)
    return found


def _good_href(href: str) -> bool:
    return (
        bool(href)
        and len(href) <= _MAX_HREF
        and href.isascii()
        and not any(c.isspace() for c in href)
    )


def _url_like(text: str) -> bool:
    return text.startswith(("http://", "https://", "www.")) and " " not in text


class _Walker:
    """Walks the token stream once, filling sections, links and images."""

    def __init__(self, lines: list[str], references: list[int]) -> None:
        self.lines = lines
        self.references = references
        self.next_reference = 0
        self.in_references = False
        self.sections = [_Section(0, None)]
        self.links: list[ParsedLink] = []
        self.images: list[ParsedImage] = []
        # Caption capture: the image whose caption is being read, and how.
        self.caption_image: int | None = None
        self.caption_parts: list[str] = []
        self.awaiting_caption: int | None = None

    # -- blocks ------------------------------------------------------------------------------
    def walk(self, tokens: list[Token]) -> None:
        """Read every block of the token stream once, in order."""
        for i, tok in enumerate(tokens):
            kind = tok.type
            if kind == "inline":
                line = tok.map[0] if tok.map else 0
                self._block(tokens[i - 1], tok, line)
            elif kind in ("fence", "code_block"):
                self._end_caption()
                self.awaiting_caption = None
                self.sections[-1].texts.append(tok.content.rstrip("\n"))

    def _block(self, opener: Token, inline: Token, line: int) -> None:
        self._reach(line)
        heading = None
        if opener.type == "heading_open" and opener.tag != "h1":
            heading = "heading"
        elif opener.level == 0 and _bold_only(inline.children or []):
            heading = "bold"
        start = len(self.links), len(self.images)
        text = self._render(inline, line)
        if heading:
            title = collapse_whitespace(text.replace("**", ""))
            raw = self.lines[line] if line < len(self.lines) else ""
            if self._opens_section(heading, title, raw):
                self._open_section(line, title, *start)
                return
        self.sections[-1].texts.append(text)

    @staticmethod
    def _opens_section(kind: str, title: str, raw: str) -> bool:
        if not title or is_credit(raw):
            return False
        if kind == "bold":
            # A bold sentence (ends in 。，；：) is emphasis, not a heading.
            return len(title) <= _MAX_HEADING and not title.endswith(_SENTENCE_END)
        return True

    def _open_section(self, line: int, heading: str, first_link: int, first_image: int) -> None:
        index = len(self.sections)
        self.sections.append(_Section(line, heading))
        if line not in self.references:
            self.in_references = False
        # Links and images of the heading line itself belong to the new section.
        for k in range(first_link, len(self.links)):
            link = self.links[k]
            self.links[k] = ParsedLink(link.url, link.text, index, self.in_references)
        for k in range(first_image, len(self.images)):
            image = self.images[k]
            self.images[k] = ParsedImage(image.url, image.alt, image.caption, index)

    def _reach(self, line: int) -> None:
        """Note when reading reaches a reference heading (参考链接...)."""
        refs = self.references
        while self.next_reference < len(refs) and refs[self.next_reference] <= line:
            self.next_reference += 1
            self.in_references = True

    # -- inline ------------------------------------------------------------------------------
    def _render(self, inline: Token, line: int) -> str:
        if inline.children is None:
            return self._render_plain(inline.content, line)
        out: list[str] = []
        # Runs of text tokens are joined before bare URLs are looked for: markdown-it splits
        # text at every mark character, and URLs hold _ ! & and *.
        run: list[str] = []
        anchor: list[str] | None = None
        href = ""
        images_in_anchor = 0
        for child in inline.children or []:
            kind = child.type
            if kind == "text" or kind == "text_special" or kind == "code_inline":
                (run if anchor is None else anchor).append(child.content)
                continue
            if run:
                self._text_run(run, out, line)
            if kind == "softbreak" or kind == "hardbreak":
                line += 1
                if anchor is not None:  # a link text broken over two lines reads as one
                    self._reach(line)
                    continue
                out.append("\n")
                self._reach(line)
                self._end_line()
            elif kind == "html_inline":
                if child.content[:3].lower() == "<br":
                    out.append("\n")
            elif kind == "link_open":
                anchor, href, images_in_anchor = (
                    [],
                    str(child.attrs.get("href", "")),
                    len(self.images),
                )
            elif kind == "link_close" and anchor is not None:
                shown = self._link(href, "".join(anchor), line, len(self.images) > images_in_anchor)
                if shown:
                    self._caption_text(shown)
                    out.append(shown)
                anchor = None
            elif kind == "image":
                self._image(child)
        if run:
            self._text_run(run, out, line)
        self._end_line()
        return "".join(out)

    def _text_run(self, run: list[str], out: list[str], line: int) -> None:
        piece = "".join(run)
        run.clear()
        if "://" in piece:
            piece = self._bare_urls(piece, line)
        self._caption_text(piece)
        out.append(piece)

    def _render_plain(self, content: str, line: int) -> str:
        out: list[str] = []
        for k, piece in enumerate(content.split("\n")):
            if k:
                out.append("\n")
                line += 1
                self._reach(line)
                self._end_line()
            if "://" in piece:
                piece = self._bare_urls(piece, line)
            self._caption_text(piece)
            out.append(piece)
        self._end_line()
        return "".join(out)

    def _link(self, href: str, anchor: str, line: int, wraps_image: bool) -> str:
        """Record a link; return the text a reader sees in its place."""
        anchor = anchor.strip()
        escaped = _ESCAPED_IMAGE.match(anchor)
        if escaped:  # blogspot's [!\[\](small)](large): an image, not a citation
            self._add_image(escaped.group(1), None, None)
            return ""
        if not _good_href(href):
            href = anchor if _url_like(anchor) else ""
        if href and not (wraps_image and not anchor):
            self.links.append(
                ParsedLink(href, anchor or None, len(self.sections) - 1, self.in_references)
            )
        return "" if _url_like(anchor) else anchor

    def _bare_urls(self, piece: str, line: int) -> str:
        for m in _BARE_URL.finditer(piece):
            url = m.group(0).rstrip(".,;:!?")
            self.links.append(ParsedLink(url, None, len(self.sections) - 1, self.in_references))
        return _BARE_URL.sub("", piece)

    def _image(self, token: Token) -> None:
        src = str(token.attrs.get("src", "")).strip()
        if not src:  # WordPress's empty ![]() placeholder
            return
        alt = token.content.strip()
        title = str(token.attrs.get("title") or "").strip()
        if alt in _MEANINGLESS_ALT or alt.startswith(_WORDPRESS_ALT):
            caption = title or None
        else:
            caption = alt
        self._add_image(src, alt, caption)

    def _add_image(self, src: str, alt: str | None, caption: str | None) -> None:
        self._end_caption()
        self.images.append(ParsedImage(src, alt or None, caption, len(self.sections) - 1))
        if caption is None:
            self.caption_image = len(self.images) - 1
            self.caption_parts = []
        self.awaiting_caption = None

    def _caption_text(self, piece: str) -> None:
        if self.caption_image is not None:
            self.caption_parts.append(piece)
        elif self.awaiting_caption is not None:
            if piece.strip() and _CAPTION_LINE.match(piece):
                self.caption_image, self.caption_parts = self.awaiting_caption, [piece]
            if piece.strip():
                self.awaiting_caption = None

    def _end_line(self) -> None:
        waiting = self.caption_image
        if waiting is not None and not self._end_caption():
            self.awaiting_caption = waiting

    def _end_caption(self) -> bool:
        """Close the caption being read; True when it found one."""
        index, self.caption_image = self.caption_image, None
        if index is None:
            return False
        caption = collapse_whitespace("".join(self.caption_parts))[:_MAX_CAPTION]
        self.caption_parts = []
        if not caption:
            return False
        image = self.images[index]
        self.images[index] = ParsedImage(image.url, image.alt, caption, image.section_index)
        return True

    def finish(self) -> Body:
        """The body as read: sections with their markdown and text, links, images."""
        self._end_caption()
        sections: list[ParsedSection] = []
        for k, section in enumerate(self.sections):
            end = self.sections[k + 1].start_line if k + 1 < len(self.sections) else len(self.lines)
            markdown = "\n".join(self.lines[section.start_line : end]).strip("\n")
            text = _plain("\n".join(t for t in section.texts if t.strip()))
            sections.append(ParsedSection(k, section.heading, markdown, text))
        parts = []
        for done in sections:
            if done.heading:
                parts.append(done.heading)
            if done.text:
                parts.append(done.text)
        return Body(sections, self.links, self.images, "\n".join(parts))


def _plain(text: str) -> str:
    # Entities decoded by markdown-it may bring back no-break spaces. Emphasis marks markdown
    # could not pair (blogspot's **文字版：****2019**) and table rules are markup, not text.
    text = normalise_characters(text)
    if "**" in text:
        text = text.replace("**", "")
    lines = (line.strip() for line in text.split("\n"))
    kept = [line for line in lines if line and line.strip(_MARKUP_ONLY)]
    if _SUBTITLE_TIME.search(text):  # a subtitle dump: its cue numbers and times are not text
        kept = [line for line in kept if not _SUBTITLE_CUE.match(line)]
    return "\n".join(kept)


def _bold_only(children: list[Token]) -> bool:
    depth, bold = 0, False
    for child in children:
        kind = child.type
        if kind == "strong_open":
            depth, bold = depth + 1, True
        elif kind == "strong_close":
            depth -= 1
        elif kind in ("text", "code_inline"):
            if depth == 0 and child.content.strip():
                return False
        elif kind not in ("em_open", "em_close"):
            return False
    return bold


def parse_body(markdown: str) -> Body:
    """Sections, links, images and plain text of a body (header and footers already cut)."""
    lines = markdown.split("\n")
    walker = _Walker(lines, reference_lines(markdown))
    walker.walk(block_tokens(markdown, lines))
    return walker.finish()
