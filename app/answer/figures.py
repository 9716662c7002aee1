"""Figures in Chinese text as whole quantities: 7000亿元, 三百项, 百分之五十, 1,300余名.

A figure is its value with magnitude applied (700亿 = 7e10) and its unit (元, 项, %), so a
claim's figure matches a passage only as a whole: 700亿 never matches inside 7000亿, 30项 never
inside 300项.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_SMALL = {"十": 10, "百": 100, "千": 1000}
_LARGE = {"万": 10**4, "亿": 10**8}
_MAGNITUDE = {**_SMALL, **_LARGE}
# Measure words and units, longest first so 平方公里 wins over 公里 and 个百分点 over 个.
UNITS = (
    "个百分点", "百分点", "平方公里", "平方米", "公顷", "公里", "千米", "小时", "分钟", "美元", "欧元", "港元",
    "人次", "%", "‰", "元", "块", "项", "个", "家", "名", "位", "人", "户", "条", "篇", "届", "年", "月", "日", "号",
    "天", "周", "次", "倍", "座", "所", "台", "辆", "吨", "米", "亩", "岁", "件", "款", "种", "类", "批", "期", "层",
    "处", "场", "轮", "份", "张", "部", "秒", "度", "支", "只", "本", "间", "栋", "套", "片", "站", "艘", "架", "例",
    "宗", "笔", "所", "座", "GB", "MW", "kW",
)
# Units that count things: a claim may say 个 for any of them ("30个项目" for "项目30项").
COUNTERS = frozenset("项个家条篇届座所台辆件款种类批期层处场轮份张部支只本间栋套片站艘架例宗笔")
_SAME = ({"名", "位", "人"}, {"元", "块"})
_FILLER = "余多来几"
_ARABIC = r"\d+(?:,\d{3})*(?:\.\d+)?"
_CHINESE = "[零〇一二两三四五六七八九十百千万亿]+"
_UNIT_RE = "|".join(re.escape(u) for u in UNITS)
_FIGURE = re.compile(
    rf"(?P<percent>百分之(?P<pnum>{_ARABIC}|{_CHINESE}))"
    rf"|(?P<arabic>{_ARABIC})(?P<mag>[十百千万亿]*)[{_FILLER}]?(?P<aunit>{_UNIT_RE})?"
    rf"|(?P<chinese>{_CHINESE})[{_FILLER}]?(?P<cunit>{_UNIT_RE}|大)?"
)


@dataclass(frozen=True)
class Figure:
    value: float
    unit: str  # "" when no unit follows
    start: int
    end: int
    text: str


def normalize(text: str) -> str:
    """Full-width digits and signs as ASCII (７０％ -> 70%), spaces inside Chinese text removed."""
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"(?<=[^\x00-\x7f])\s+|\s+(?=[^\x00-\x7f])", "", text)


def chinese_number(numeral: str) -> float | None:
    """三百 -> 300, 一万二千 -> 12000, 二〇二三 -> 2023; None when it is not a number."""
    if not any(c in _DIGITS for c in numeral) and numeral[0] != "十":
        return None
    if all(c in _DIGITS for c in numeral):  # read digit by digit: 二〇二三
        return float("".join(str(_DIGITS[c]) for c in numeral))
    total, section, digit = 0, 0, None
    for char in numeral:
        if char in _DIGITS:
            digit = _DIGITS[char]
        elif char in _SMALL:
            section += (1 if digit is None else digit) * _SMALL[char]
            digit = None
        else:  # 万 or 亿 closes everything before it
            total = (total + section + (digit or 0)) * _LARGE[char]
            section, digit = 0, None
    return float(total + section + (digit or 0))


def _scale(magnitude: str) -> float:
    scale = 1.0
    for char in magnitude:
        scale *= _MAGNITUDE[char]
    return scale


def figures(text: str) -> list[Figure]:
    """Every figure in text (normalized first), in order.

    A Chinese numeral counts only when a unit or 大 follows it (三百项, 九大工程), and a lone 一 never:
    一流, 一批 and 统一 are words, not figures.
    """
    text = normalize(text)
    found = []
    for match in _FIGURE.finditer(text):
        if match.group("percent"):
            raw = match.group("pnum")
            value = float(raw.replace(",", "")) if raw[0].isdigit() else chinese_number(raw)
            unit = "%"
        elif match.group("arabic"):
            value = float(match.group("arabic").replace(",", "")) * _scale(match.group("mag"))
            unit = match.group("aunit") or ""
        else:
            numeral, unit = match.group("chinese"), match.group("cunit") or ""
            if not unit or numeral == "一":
                continue
            value = chinese_number(numeral)
            unit = "" if unit == "大" else unit
        if value is not None:
            found.append(Figure(value, unit, match.start(), match.end(), match.group()))
    return found


def same_unit(a: str, b: str) -> bool:
    """Units that may stand for each other."""
    if a == b:
        return True
    if {a, b} <= COUNTERS and "个" in (a, b):
        return True
    return any(a in group and b in group for group in _SAME)


def matches(claimed: Figure, stated: Figure) -> bool:
    """The same quantity: equal value (to rounding) in a compatible unit.

    A claim may leave the unit out (7000亿 for 7000亿元); it may add one only to a stated amount
    of 万 or 亿 (7000亿元 for 7000亿), since a bare number (芝麻街1958) counts nothing.
    """
    if abs(claimed.value - stated.value) > 1e-9 * max(1.0, abs(stated.value)):
        return False
    if not claimed.unit:
        return True
    if not stated.unit:
        return any(c in _LARGE for c in stated.text)
    return same_unit(claimed.unit, stated.unit)


_EN_SCALE = {"trillion": 1e12, "billion": 1e9, "hundred million": 1e8, "million": 1e6, "thousand": 1e3}
_EN_FIGURE = re.compile(
    r"(?<![\w.])(\d+(?:,\d{3})*(?:\.\d+)?)\s*(%|percent\b|per cent\b|hundred million\b|trillion\b|billion\b|million\b|thousand\b)?",
    re.IGNORECASE,
)


def english_figures(text: str) -> list[Figure]:
    """Figures of an English sentence: 700 billion yuan -> 7e11, 50 percent -> 50 %; other units are not read."""
    found = []
    for match in _EN_FIGURE.finditer(normalize(text)):
        word = (match.group(2) or "").lower()
        unit = "%" if word in ("%", "percent", "per cent") else ""
        value = float(match.group(1).replace(",", "")) * _EN_SCALE.get(word, 1.0)
        found.append(Figure(value, unit, match.start(), match.end(), match.group().strip()))
    return found
