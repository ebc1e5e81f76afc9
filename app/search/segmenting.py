"""Cutting folded text into the units the search indexes hold and queries look up.

FTS5 calls these units tokens and PostgreSQL lexemes (not to be confused with the parser's
markdown tokens or the API's bearer tokens).

Chinese has no spaces, so a run of CJK characters becomes overlapping bigrams, and its last
character a unigram: every character starts exactly one token. A substring of two or more
characters is then a phrase of bigrams, and a single character is a prefix lookup, and both
stay index lookups. Every other run of word characters (Latin, digits, Cyrillic...) is one
token, which is what makes Latin terms match whole words. SQLite indexes these tokens;
PostgreSQL indexes them cut to single characters (``character_tokens``).
"""

import re
from dataclasses import dataclass
from operator import add

# Scripts written without spaces between words: matched as substrings.
CJK_CLASS = (
    "\u1100-\u11ff"  # Hangul Jamo
    "\u2e80-\u2fdf"  # CJK radicals
    "\u3005-\u3007"  # 々 〆 〇
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u3100-\u312f"  # Bopomofo
    "\u3130-\u318f"  # Hangul compatibility Jamo
    "\u31a0-\u31ff"  # Bopomofo extended, Katakana extensions
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uac00-\ud7af"  # Hangul syllables
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\U00020000-\U0003134f"  # CJK extensions B-G
)
_UNIT = re.compile(rf"([{CJK_CLASS}]+)|([^\W{CJK_CLASS}]+)")
_CJK_RUN = re.compile(rf"[{CJK_CLASS}]+")
_CJK_CHAR = re.compile(rf"[{CJK_CLASS}]")
_NOT_TOKEN = re.compile(rf"[^\w{CJK_CLASS}]+")


@dataclass(frozen=True, slots=True)
class QueryToken:
    """One token of a query phrase; ``prefix`` for a lone CJK character (any token it starts)."""

    text: str
    prefix: bool = False


def _run_tokens(match: re.Match[str]) -> str:
    run = match.group()
    if len(run) == 1:
        return f" {run} "
    return f" {' '.join(map(add, run, run[1:]))} {run[-1]} "


def token_string(folded: str) -> str:
    """The tokens of folded text, in order, separated by spaces.

    Bigrams and run-final unigrams of CJK, and words. Built with two regular-expression
    passes rather than token by token: this is most of the ingest's search work.
    """
    return _CJK_RUN.sub(_run_tokens, _NOT_TOKEN.sub(" ", folded))


def query_tokens(folded: str) -> list[QueryToken]:
    """The phrase a folded query term becomes: consecutive tokens that must all match in order.

    Inside the term a CJK run gives the same tokens as in the text. The term's last run may
    go on in the text, so it gives only its bigrams, or, when it is a lone character, a
    prefix token that any token starting with that character matches.
    """
    units = list(_UNIT.finditer(folded))
    phrase: list[QueryToken] = []
    for position, match in enumerate(units):
        run = match.group(1)
        if run is None:
            phrase.append(QueryToken(match.group(2)))
            continue
        phrase.extend(QueryToken(bigram) for bigram in map(add, run, run[1:]))
        if position < len(units) - 1:
            phrase.append(QueryToken(run[-1]))
        elif len(run) == 1:
            phrase.append(QueryToken(run, prefix=True))
    return phrase


# In ``character_tokens``: an unindexed position between two CJK runs, so that no phrase
# of characters spans punctuation (as no bigram does on SQLite).
GAP = ""


def character_tokens(tokens: list[str]) -> list[str]:
    """Index tokens with each CJK token cut to its first character: the text's characters.

    PostgreSQL indexes these: a ``tsvector`` repeats every distinct lexeme of a chunk, so
    single characters take half the room of bigrams, and ``<->`` phrases make substrings.
    Where one CJK run ends (its last token is a lone character) and another follows, a
    ``GAP`` keeps the runs apart.
    """
    cjk = _CJK_CHAR.match
    out: list[str] = []
    run_ended = False
    for token in tokens:
        if cjk(token):
            if run_ended:
                out.append(GAP)
            out.append(token[0])
            run_ended = len(token) == 1
        else:
            out.append(token)
            run_ended = False
    return out


def query_characters(folded: str) -> list[tuple[str, int]]:
    """A folded query term as the phrase of ``character_tokens`` it must match.

    Each lexeme comes with its distance from the one before (2 across a ``GAP``).
    """
    lexemes: list[tuple[str, int]] = []
    previous_cjk = False
    for match in _UNIT.finditer(folded):
        run = match.group(1)
        if run is not None:
            lexemes.append((run[0], 2 if previous_cjk else 1))
            lexemes.extend((ch, 1) for ch in run[1:])
            previous_cjk = True
        else:
            lexemes.append((match.group(2), 1))
            previous_cjk = False
    return lexemes
