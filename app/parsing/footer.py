"""Boilerplate at the end of a body: footers, promos, the lone counter line (FORMATS.md §7.6)."""

import re
from dataclasses import dataclass

_ROL_LINK = re.compile(r"^\s*[-*]\s*\[(ROL Foundation|ROL Society|Terms of use|Privacy Policy)\]\(")
_DISCLAIMER = re.compile(r"^\s*免责声明：本文内容仅代表作者个人观点")
_ORIGINAL_LINK = re.compile(r"^\s*\[(?:原文連接|原文链接)\]\((https?://[^)\s]*)\)\s*$")
_PAYWALL = re.compile(r"^\s*请订阅或登录，以继续阅读全文")
_TRANSCRIPT_DISCLAIMER = re.compile(r"^\W*本全文字版内容如与《文贵大直播》视频有不一致之处")
_NAVIGATION = re.compile(r"^\s*\[?(?:上一篇|下一篇)[：:]")
_LONE_NUMBER = re.compile(r"^\s*\d{1,3}\s*$")
_PROMO = re.compile(r"^[*\s]*更多资讯，?请关注")
# A promo block is the farm's link list: it is only cut when it sits in the last lines.
_PROMO_REACH = 12


@dataclass(slots=True)
class Footer:
    """What was cut from the end: the body's last line, and facts the footers gave."""

    body_end: int
    original_link: str | None = None


def _last_filled(lines: list[str], start: int, end: int) -> int:
    """Index one past the last non-blank line in lines[start:end]."""
    while end > start and not lines[end - 1].strip():
        end -= 1
    return end


def cut_footer(lines: list[str], start: int) -> Footer:
    """Find where the body ends once footers, promos and the trailing counter are cut."""
    footer = Footer(body_end=_last_filled(lines, start, len(lines)))
    number_cut = False
    while footer.body_end > start:
        last = lines[footer.body_end - 1]
        if _ROL_LINK.match(last) or _DISCLAIMER.match(last) or _NAVIGATION.match(last):
            pass
        elif m := _ORIGINAL_LINK.match(last):
            footer.original_link = footer.original_link or m.group(1)
        elif _PAYWALL.match(last) or _TRANSCRIPT_DISCLAIMER.match(last):
            pass
        elif not number_cut and _LONE_NUMBER.match(last) and footer.body_end - 1 > start:
            number_cut = True
        elif (promo := _promo_start(lines, start, footer.body_end)) is not None:
            footer.body_end = promo + 1
        else:
            break
        footer.body_end = _last_filled(lines, start, footer.body_end - 1)
    return footer


def _promo_start(lines: list[str], start: int, end: int) -> int | None:
    for k in range(end - 1, max(start, end - _PROMO_REACH) - 1, -1):
        if _PROMO.match(lines[k]):
            return k
    return None
