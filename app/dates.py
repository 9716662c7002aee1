"""Dates as Chinese news writes them and as questions ask for them: one place for every date pattern.

An article's date is read from its date line (2023年5月17日 or 2023-05-17) and kept as ISO yyyy-mm-dd;
a question may name a day as 5月17号 or 2023年5月, so a day is matched in all the ways it is written.
"""

from __future__ import annotations

import re

_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_ISO = r"(\d{4})-(\d{2})-(\d{2})"
_ISO_DATE = re.compile(rf"\b{_ISO}\b")
# A line that is a date: a page's date line.
DATE_LINE = re.compile(rf"^\s*{_DATE.pattern}|^\s*{_ISO}\s*$")
# A day or a month as a question names it: 5月17日, 2023年5月17号, 2023年5月.
DATE_TERM = re.compile(r"(?:\d{4}\s*年\s*)?\d{1,2}\s*月\s*\d{1,2}\s*[日号]|\d{4}\s*年\s*\d{1,2}\s*月")


def parse_date(text: str) -> str | None:
    """The first date written as 2023年5月17日 (or 2023-05-17) in text, as ISO yyyy-mm-dd."""
    match = _DATE.search(text) or _ISO_DATE.search(text)
    if not match:
        return None
    year, month, day = (int(g) for g in match.groups())
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def is_date_line(line: str) -> bool:
    return bool(DATE_LINE.match(line))


def date_variants(date: str) -> tuple[str, ...]:
    """A date as a question wrote it, and as a text may write the same day: without the year, 日 or 号."""
    day = re.search(r"(\d{1,2})月(\d{1,2})[日号]", date)
    if not day:
        return (date,)
    month, number = day.groups()
    return tuple(dict.fromkeys((date, f"{month}月{number}日", f"{month}月{number}号")))


def date_forms(date: str | None) -> str:
    """An ISO date as questions write it: "2023-05-17" -> "2023年5月17日 5月17号 2023年5月"."""
    if not date or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        return ""
    year, month, day = (int(part) for part in date.split("-"))
    return f"{year}年{month}月{day}日 {month}月{day}号 {year}年{month}月"
