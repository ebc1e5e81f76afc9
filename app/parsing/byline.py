"""Credit lines (FORMATS.md §7.1): 翻译：Nick｜校对：JS709｜编辑&发布：小蜜蜂."""

import re

from app.parsing.model import Byline

# Label as written -> normalised role. Traditional spellings included; longest labels win.
_ROLES = {
    "author": "作者 撰稿 撰文 撰稿人 By by BY 文 记者 記者 作者名",
    "editor": "编辑 編輯 责任编辑 責任編輯 总编 總編 主编 主編 整理 编辑整理 編輯整理 "
    "上传排版 排版 编审 编辑上传 编辑上傳 审稿 审编 资料整理 资料整理编辑",
    "translator": "翻译 翻譯 译者 譯者 编译 編譯 翻译组 中译",
    "proofreader": "校对 校對 校正 审核 審核 审校 審校 校稿 核稿",
    "publisher": "发布 發布 发稿 發稿 上传 上傳 发布者",
    "transcriber": "听写 聽寫 听打 机听 聽打 听写整理编辑 听写整理 聽寫整理",
    "narrator": "音频 音頻 配音 朗读 朗讀 主播",
    "designer": "图文设计 圖文設計 海报 美工 作图 图文 设计",
    "video editor": "视频剪辑 視頻剪輯 视频制作 剪辑 字幕 后期",
    "producer": "制作 製作 监制 監製 出品",
    "researcher": "素材 收集",
}
ROLE_OF = {label: role for role, labels in _ROLES.items() for label in labels.split()}
_LABEL = "|".join(sorted(map(re.escape, ROLE_OF), key=len, reverse=True))
_CREDIT = re.compile(
    # Several roles share a credit, with or without a mark between them (校对发布：).
    rf"^(?:#{{1,6}}\s*+)?[*_\s]*+【?((?:{_LABEL})(?:\s*[/&、＆]?\s*(?:{_LABEL}))*)】?\s*[*_]*\s*[：:]"
    r"\s*[*_]*\s*(.+)$"
)
# Without a colon only a few labels are used, and only as a whole short line (编辑 星星).
_CREDIT_SPACED = re.compile(
    r"^[*_\s]*(编辑上传|编辑|作者|翻译|校对|发布|撰稿)\s+([^\s：:，,。]{1,20})[*_\s]*$"
)
# A team's name alone on a line credits the team (**战友之家听写组**, VOG战友之家听写组).
_TEAM = re.compile(
    r"^[*_\s【]*([^\s*_：:，,。]{0,20}(?:听写组|聽寫組|翻译组|翻譯組|听打组|校对组|字幕组))[*_\s】]*$"
)
# A team credited with its work: 推特党筹委会翻译组：紫贝壳.
_TEAM_ROLE = {
    "翻译组": "translator",
    "翻譯組": "translator",
    "听写组": "transcriber",
    "聽寫組": "transcriber",
    "听打组": "transcriber",
    "校对组": "proofreader",
}
_TEAM_CREDIT = re.compile(
    rf"^[*_\s【]*([^：:\s*]{{0,20}}?({'|'.join(_TEAM_ROLE)}))[*_\s]*[：:][*_\s]*([^】]+?)[*_\s】]*$"
)
# Credits share a line split by ｜, wide gaps, or only a space before the next label.
_SEGMENT_SPLIT = re.compile(rf"[｜|]|\s{{2,}}|\n|\s+(?=(?:{_LABEL})\s*[：:])")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_LABEL_PART = re.compile(_LABEL)
_NAME_TRIM = "*_ \t。，,;；.：:"
_MAX_NAME = 30
# A credit line is short, but its links may carry long garbage hrefs (§7.5).
_MAX_LINE = 3000
# Credits sit at the top or the bottom of a body.
HEAD_REACH = 14
TAIL_REACH = 25


def credit_of_line(line: str) -> list[Byline]:
    """The credits one line gives (several when it is split by ｜ or wide spaces)."""
    if "：" not in line and ":" not in line:
        spaced = _CREDIT_SPACED.match(line) or _TEAM.match(line)
        if spaced is None:
            return []
        if spaced.re is _TEAM:
            return [Byline("organisation", spaced.group(1))]
        return [Byline(ROLE_OF[spaced.group(1)], spaced.group(2), spaced.group(1))]
    if "](" in line:
        line = _LINK.sub(r"\1", line)
    found: list[Byline] = []
    for segment in _SEGMENT_SPLIT.split(line):
        m = _CREDIT.match(segment)
        if m is None:
            team = _TEAM_CREDIT.match(segment)
            name = team.group(3).strip(_NAME_TRIM) if team else ""
            if team and 0 < len(name) <= _MAX_NAME:
                found.append(Byline(_TEAM_ROLE[team.group(2)], name, team.group(1)))
            continue
        name = m.group(2).strip(_NAME_TRIM)
        if not name or len(name) > _MAX_NAME or "://" in name:
            continue
        label = m.group(1)
        roles = dict.fromkeys(ROLE_OF[part] for part in _LABEL_PART.findall(label))
        found.extend(Byline(role, name, label) for role in roles)
    return found


def bylines_of(lines: list[str]) -> list[Byline]:
    """Credits from the first and last lines of a body, in order, without repeats."""
    reach: list[int] | range = range(len(lines))
    if len(lines) > HEAD_REACH + TAIL_REACH:
        reach = [*range(HEAD_REACH), *range(len(lines) - TAIL_REACH, len(lines))]
    seen: dict[Byline, None] = {}
    for i in reach:
        line = lines[i]
        if not line or len(line) > _MAX_LINE:
            continue
        for byline in credit_of_line(line):
            seen.setdefault(byline, None)
    return list(seen)


def is_credit(line: str) -> bool:
    """True when a line (a heading or bold line) is a credit, not a section heading."""
    return bool(credit_of_line(line))
