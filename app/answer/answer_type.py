"""Whether a sentence holds the kind of thing a question asks for: a figure with the asked unit, a
date or time the question does not state, items, or a place."""

from __future__ import annotations

import re

from app.answer.figures import COUNTERS
from app.answer.naming import ASKS_NAME, names_after_head, short_tags
from app.answer.question import DATE, NUMBER, QuestionInfo
from app.answer.relations import asks_alias, gives_alias
from app.text import cities

_SAME_UNIT = {"人": "人|名|位", "名": "名|人|位", "位": "位|名|人", "家": "家|个", "天": "天|日"}  # ways to count the same things
_DAY = re.compile(r"\d{1,2}\s*月\s*\d{1,2}\s*日|\d{4}-\d{2}-\d{2}")
# A year: 2023年, 二〇二三年, or a reign or era year (光绪十一年, 民国元年); not a span of years (过去十年).
_YEAR = re.compile(r"\d{4}\s*年|\d{4}-\d{2}|[〇零一二三四五六七八九]{4}年"
                   r"|(?<![过历经长持整用花走近这])(?!过去|历经|经过|长达|持续|整整|用了|花了|走过)[\u4e00-\u9fff](?![了过近约达有的第为满余])[\u4e00-\u9fff](?:元|[一二三四五六七八九十]{1,3})年")
_TIME = re.compile(r"[〇零一二三四五六七八九]{4}年|[一二三四五六七八九十]{1,2}月[一二三四五六七八九十]{1,3}[日号]|的时候|\d{1,2}\s*月|[春夏秋冬][季天]|[\d一二三四五六七八九十]+岁|时期|年代|世纪|[初末]年|朝末|[秦汉晋隋唐宋元明清][初末](?![\u4e00-\u9fff]{0,1}[年期])|早上|晚上|上午|下午|正午|中午|凌晨|清晨|傍晚|黄昏|午夜|深夜|夜间|[夏冬]至|[春秋]分|立[春夏秋冬]|\d{1,2}\s*时\s*\d{1,2}\s*分|平日|周末|之后|以后|之前|以前")
_ASKS_DAY = re.compile(r"哪天|哪一天|几号|几月几日|日期|什么日子|what date|which day", re.I)
_CALENDAR = re.compile(r"\d{1,2}\s*(?:[-－—~至到]\s*\d{1,2}\s*)?(?:月份?|日|号)(?!元)|\d{1,2}\s*(?:[:：]\s*\d{2}|时\s*\d{1,2}\s*分)")
_ASKS_DURATION = re.compile(r"多久|多长时间|多少时间|\bhow long\b", re.I)
_ASKS_YEAR = re.compile(r"哪年|哪一年|which year|what year", re.I)


# A place: a name ending like one, or where something is held ("在东湖机场举行", "于阿布扎比召开").
_PLACE = re.compile(
    r"[\u4e00-\u9fff]{1,8}(?:省|市|区|县|镇|村|街|城|园|港|路|机场|广场)"
    r"|[在于][\u4e00-\u9fff·]{2,12}(?:举行|举办|召开|开幕|闭幕|开展|进行|发生|落地|落户)"
    r"|(?:位于|坐落于|地处)[\u4e00-\u9fff]{2}"
)
# Asking why (or for what purpose, against what background): 为什么 and 为何, not 为 closing a verb
# ("命名为什么", "称之为什么" ask for a name).
_ASKS_WHY = re.compile(r"(?<![称名成作认视改分定选列评封立更译变化转誉之以奉拜尊任命聘划归现示义编写做当翻合拆升降提晋追])为(?:什么|何)|原因|缘故|缘由|怎么会|何以|凭什么|靠什么|凭借什么|(?<![项题科节栏书数条名剧盲面心账曲篇])目的(?!地)|背景(?:是|为)?(?:什么|如何)|什么背景|\bwhy\b", re.I)
_ASKS_BIRTH = re.compile(r"出生|生于|诞生|籍贯|哪里人|何处人")
_BIRTH = re.compile(r"出生|生于|诞生|籍贯|\d{4}\s*年生|[^，。]人[，。）)]")
_ASKS_DEATH = re.compile(r"怎么死|怎样死|如何死|因何而死|死因|死亡原因|怎么去世|如何去世|怎么遇害|遇难原因")
_ASKS_DIED = re.compile(r"逝世|去世|死亡|死于|病逝|病故|遇害|牺牲|驾崩|[何哪].{0,4}死")
_DEATH = re.compile(r"死|亡|卒|逝|杀|殁|崩|薨|遇害|遇难|去世|辞世|过世|离世|谢世|病故|丧生|牺牲|自尽|缢")
# A cause given: its marker anywhere ("由于…", "…，因为…", "为了…"), or a consequence drawn from what the
# quote said before it ("…。因此…", "…，所以…"). A quote that opens with the consequence has its cause
# in the sentence before it, which it does not hold.
_CAUSE = re.compile(r"因为|由于|为了|旨在|目的|原因|缘于|鉴于|出于|基于|以免|以便|(?<![基诱])因(?![此而素])")
_CONSEQUENCE = re.compile(r"[，,；;]故|因此|所以|因而|故而|于是|从而|以致|致使|导致|造成|使得|促使|吸引|在此背景下|正因如此|由此")
_OPENING = re.compile(r"^[\s“”\"「」]*(?:[^，。；]{0,6}?(?:因此|所以|因而|故而|于是|从而|在此背景下|正因如此|由此))")
_ASKS_CITIES = re.compile(r"城市|哪座|哪个市|\bcit(?:y|ies)\b|\bwhere\b", re.I)


def fits_type(info: QuestionInfo, sentence: str) -> bool:
    """Whether a sentence holds the kind of thing the question asks for (a figure, a date, …)."""
    if info.kind == "number":
        # A date is no amount: "2023年全国茶叶种植面积…如下" gives no figure of 产量.
        sentence = DATE.sub(" ", sentence)
        # So is a day, a month or a clock time on its own ("30日在拉萨举行", "1-7月", "14时38分"),
        # unless days or months are what is counted or how long something lasts is asked (花期1-3月).
        if info.unit not in ("日", "天", "月", "个月") and not _ASKS_DURATION.search(info.text):
            sentence = _CALENDAR.sub(" ", sentence)
        if info.unit == "%":  # a share, or a ratio (男女生比例 "约为1：7")
            return bool(re.search(r"\d\s*[%％]|百分之|\d\s*[:：比]\s*\d", sentence))
        if info.unit == "元":  # money: 50亿元, 1.5万元, 300元, 77亿美元, 20万英镑
            return bool(re.search(r"\d\s*(?:余|多)?\s*[千百万亿]*\s*(?:余|多)?\s*(?:[美欧港日韩澳台]?元|美金|英镑|卢布|法郎|马克)", sentence))
        if (info.unit in COUNTERS or info.unit in ("名", "位")) and listed(info, sentence):
            return True  # "身兼几家骑士团的团长" is answered by naming them: "A骑士团、B骑士团和C骑士团"
        if info.unit and info.unit != "个":  # 个 is the general classifier: 八大城市, 三座城市 answer 几个
            # "10个年头" answers 几年, "3.71万人" and "1.4万名" 多少人, "1万余家" and "300多家" 多少家
            units = _SAME_UNIT.get(info.unit, re.escape(info.unit))
            return bool(re.search(rf"(?:\d|[一二三四五六七八九十两])\s*(?:余|多)?\s*[千百万亿]*\s*(?:余|多)?\s*(?:个)?(?:多)?\s*(?:{units})", sentence))
        return bool(NUMBER.search(sentence))
    if info.kind == "date":
        # Only a time the question does not state answers it: "2024年某峰会的时间" is not answered by
        # a sentence whose only date is 2024年.
        def new(pattern: re.Pattern[str]) -> bool:
            return any(m.group(0).replace(" ", "") not in info.text for m in pattern.finditer(sentence))

        # When someone was born or died is answered by the birth or death told ("卒", not "出生").
        if (_ASKS_BIRTH.search(info.text) and not _BIRTH.search(sentence)) or (_ASKS_DIED.search(info.text) and not _DEATH.search(sentence)):
            return False
        # "哪天" wants a day, "哪年" a year: "今年4月" answers neither.
        if _ASKS_DAY.search(info.text):
            return new(_DAY)
        if _ASKS_YEAR.search(info.text):
            return new(_YEAR)
        # "什么时候", "何时" take any time: a date, a month, a season, an age, a period (盛花期为夏季,
        # 生殖季在2至4月, 自十八岁开始, 唐末).
        return new(DATE) or new(_TIME)
    if info.kind in ("place", "general") and _ASKS_BIRTH.search(info.text):
        return bool(_BIRTH.search(sentence))  # "出生于哪里" is answered by the birth told
    if asks_alias(info.text) and not _ASKS_WHY.search(info.text):  # "为什么又叫X" asks why
        return gives_alias(sentence)  # "某树的别名" is answered by "又名…", "别称…"
    if aspect := asked_aspect(info.text):
        return about_aspect(aspect, sentence)
    if info.kind in ("place", "list") and _ASKS_CITIES.search(info.text):
        # "Which cities" is answered by a sentence naming cities, with or without 市.
        asked = {city for city in cities() if city in info.text}  # "郑州对标哪些城市" is not answered by 郑州
        return any(city in sentence for city in cities() - asked) or bool(info.kind == "place" and _PLACE.search(sentence))
    if info.kind == "list":
        return "、" in sentence or sentence.count(",") + sentence.count("，") >= 2
    if info.kind == "place":
        return bool(_PLACE.search(sentence))
    if _ASKS_DEATH.search(info.text):
        return bool(_DEATH.search(sentence))  # "怎么死的", "死因" are answered by the death told
    if _ASKS_WHY.search(info.text):
        return gives_cause(sentence)
    if ASKS_NAME.search(info.text):
        return names_after_head(info, sentence)
    if kind := asked_kind(info.text):
        return names_kind(info.text, kind, sentence)
    return True


# "X是什么类型的游戏", "X是什么电影", "X是什么项目的": a kind of thing is asked for.
_ASKS_KIND = re.compile(r"(?:是|属于|为)(?:一[部款个种类项])?(?:什么|哪种|哪类|何种|哪一类)(?:类型|类别|种类|样|类)?的?([\u4e00-\u9fff]{2,4}?)的?[？?]?\s*$")
_NOT_KINDS = frozenset("样子 意思 东西 内容 作用 情况 关系 原因 时候 地方 问题 特点 用途 意义 含义 名字 名称".split())


def asked_kind(question: str) -> str:
    """The noun whose kind a question asks ("电影" of "某片是什么电影"), "" when it asks none."""
    match = _ASKS_KIND.search(question)
    return match.group(1) if match and match.group(1) not in _NOT_KINDS else ""


def names_kind(question: str, noun: str, sentence: str) -> bool:
    """Whether a sentence says what kind of the noun something is: a word the question lacks just
    before it ("喜剧电影", "文字游戏"), not a pointer or count ("这种游戏", "一部电影")."""
    at = sentence.find(noun)
    while at > 0:
        before = [(w, f) for w, f in short_tags(sentence[max(0, at - 8) : at]) if w.strip()]
        if before and len(before[-1][0]) >= 2 and before[-1][0] not in question and not before[-1][1].startswith(("r", "m", "q", "u", "p", "c", "x")):
            return True
        at = sentence.find(noun, at + 1)
    return False


def listed(info: QuestionInfo, sentence: str) -> bool:
    """Whether a sentence lists the things a count question counts, each named by its noun: "A骑士团、
    B骑士团和C骑士团" (not "从A、B、C3个方面发力…在这方面", where the noun comes back but names no item)."""
    return any(re.search(rf"{re.escape(noun)}(?:、|和|与|及|以及)[^，。；]*?{re.escape(noun)}", sentence) for noun in info.measure)


def asks_why(question: str) -> bool:
    return bool(_ASKS_WHY.search(question))


def gives_cause(quote: str) -> bool:
    """Whether a quote states a cause, not only the consequence of one said before it."""
    if _CAUSE.search(quote):
        return True
    opening = _OPENING.match(quote)
    return bool(_CONSEQUENCE.search(quote, opening.end() if opening else 0))


# "某草的叶子有什么特点", "某树的树叶是什么形状": a property of one part of something is asked for.
_ASKS_ASPECT = re.compile(r"的([\u4e00-\u9fff]{1,2}?)(?:有|是|呈|为)?(?:什么|哪些|何种|怎样的?)(?:特点|特征|样子|形状|颜色|样|特色)")
_POINTER = re.compile(r"^[\s“”「」]*(?:其|[本该此][\u4e00-\u9fff](?=[\u4e00-\u9fff])|它的|牠的|它们的|牠们的)?")  # 本种, 该树


def asked_aspect(question: str) -> str:
    """The part whose properties a question asks ("叶子" of "某草的叶子有什么特点"), "" when none."""
    match = _ASKS_ASPECT.search(question)
    return match.group(1) if match else ""


def about_aspect(aspect: str, sentence: str) -> bool:
    """Whether a sentence is about that part: it opens with it, or with one of its characters that a
    description follows ("叶为披针形" for 叶子, "其叶螺旋状排列" for 树叶), as descriptions give one
    part a sentence."""
    opening = sentence[_POINTER.match(sentence).end() :]
    return opening.startswith(aspect) or any(opening.startswith(c) and opening[1:2] in _DESCRIBES for c in aspect)


_DESCRIBES = frozenset("为呈稍较常多互无有片色形状螺长宽短大小圆")

