"""Parse newspaper metadata from cleaned lines: dates, page notes, bylines, interviewees, speakers."""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.ingest.clean import BYLINE, SUBTITLE
from app.ingest.speakers import TITLES
from app.text import ORGANISATION_SUFFIXES

# One list of titles for the whole pipeline, longest first (党组书记 before 书记).
ROLES = TITLES
_ROLE_ALT = "|".join(ROLES)
_PAGE_NOTE = re.compile(r"(?:统筹|美编|校对|编辑|责编|版)\s*[:：]")
# A byline or production credit inside passage text (answered only to questions about who wrote the page).
# A byline names its reporters after 记者/通讯员 ("测试日报记者 张三", "（记者 李四）"); "告诉记者：" or
# "记者了解到" inside a sentence is reporting, not a credit.
CREDIT_LINE = re.compile(
    r"(?<![告诉接受向对据跟和])记者\s*(?![了从在获近日昨今前看注发采走来调问])[\u4e00-\u9fff]{2,3}(?=\s|$|[）)，,]|通讯员|报道|摄)|通讯员\s*[\u4e00-\u9fff]{2,3}"
    r"|统筹[:：]|美编[:：]|校对[:：]"
)
_SPEECH = r"(?:表示|说|看来|认为|介绍|指出)"
_DEPARTMENT_SPEAKER = re.compile(rf"^(?P<who>[^，,。“”\"《》]{{2,30}}?)(?P<role>相关负责人|负责人){_SPEECH}")
_PERSON_SPEAKER = re.compile(
    rf"(?P<org>[\u4e00-\u9fffA-Za-z0-9（）()、]{{2,30}}?)(?P<role>{_ROLE_ALT})(?P<name>[\u4e00-\u9fff]{{2,3}}?){_SPEECH}"
)
_NAME = re.compile(r"^[\u4e00-\u9fff]{2,4}$")


@dataclass(frozen=True)
class Person:
    name: str
    position: str
    department: str


@dataclass(frozen=True)
class Byline:
    outlet: str
    reporters: tuple[str, ...]
    correspondents: tuple[str, ...]

    @property
    def newspaper(self) -> str:
        return self.outlet.split("·")[-1] if self.outlet else ""


def parse_page_note(line: str) -> str:
    """The production credits of a page line ("统筹:孙友文 美编:王艳 …"), or ""."""
    match = _PAGE_NOTE.search(line)
    return line[match.start() :].strip() if match else ""


def parse_byline(line: str) -> Byline | None:
    """"正观新闻·郑州晚报记者 成燕 通讯员 赵翔" -> outlet, reporters, correspondents."""
    match = BYLINE.match(line)
    if not match:
        return None
    names = (match.group("names") or "").strip()
    reporters, _, correspondents = names.partition("通讯员")
    return Byline(match.group("outlet").strip(), tuple(reporters.split()), tuple(correspondents.split()))


def parse_interviewee(line: str) -> Person | None:
    """"——访市工信局党组书记、局长王智明" -> name 王智明, position, department 市工信局."""
    match = SUBTITLE.match(line)
    if not match:
        return None
    who = match.group("who").strip()
    ends = [m.end() for m in re.finditer(_ROLE_ALT, who)]
    if not ends or not _NAME.match(who[ends[-1] :]):
        return Person(name="", position=who, department=department_of(who))
    position = who[: ends[-1]]
    return Person(name=who[ends[-1] :], position=position, department=department_of(position))


_UNIT_SUFFIX = re.compile("|".join(ORGANISATION_SUFFIXES))


def department_of(position: str) -> str:
    """The most specific unit named in a position: "市委副秘书长、市委政研室主任" -> 市委政研室."""
    units = []
    for part in re.split(r"[、，,]", position):
        unit = part
        while (stripped := re.sub(rf"(?:{_ROLE_ALT})$", "", unit)) != unit:
            unit = stripped
        # "…有限公司市场" (of 市场总监): the unit ends at its last organisation suffix.
        if (ends := [m.end() for m in _UNIT_SUFFIX.finditer(unit)]) and ends[-1] >= 2:
            unit = unit[: ends[-1]]
        if unit:
            units.append(unit)
    return units[-1] if units else ""


def parse_speaker(paragraph: str) -> Person | None:
    """Who opens a paragraph by speaking: "市商务局相关负责人表示…" or "在…公司市场总监张智群看来…"."""
    first = re.split(r"[。！？!?]", paragraph, maxsplit=1)[0] if not paragraph.startswith(("“", '"')) else paragraph[:160]
    if match := _DEPARTMENT_SPEAKER.match(first):
        who = match.group("who")
        return Person(name="", position=who + match.group("role"), department=who)
    if match := _PERSON_SPEAKER.search(first):
        org = match.group("org").removeprefix("在")
        if org.startswith(("该", "这位", "他", "她")):
            return None
        position = org + match.group("role")
        return Person(name=match.group("name"), position=position, department=department_of(position))
    return None


def is_credit_line(text: str) -> bool:
    """A byline or production credit ("郑州晚报记者 成燕 通讯员 赵翔", "统筹:孙友文 美编:王艳")."""
    return bool(CREDIT_LINE.search(text))
