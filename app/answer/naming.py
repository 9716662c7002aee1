"""Questions that ask for the name of something ("某运动会吉祥物是谁", "《某剧》的导演是谁", "新舰叫什么"),
and whether a sentence gives one: a name right after the noun asked about ("导演某某", "吉祥物“某某”",
"第一棒火炬手——某某", "冠军由某某获得"), or after a naming verb that follows it ("吉祥物揭晓，它的名字叫
作某某"). General grammar; names are told from words by jieba's dictionary."""

from __future__ import annotations

import functools
import re

from app.answer.figures import chinese_number
from app.answer.question import QuestionInfo
from app.ingest.speakers import has_surname
from app.text import dictionary_tag, tagged, words

# What the question asks the name of: the word before 是谁 / 叫什么 / 名字, or after 谁是. Not
# "X是谁介绍的", which asks who did something.
_HEAD_BEFORE = re.compile(
    r"([\u4e00-\u9fffA-Za-z0-9]{2,}?)(?:是|为)?(?:(?:谁|何人|哪位|哪一位)(?![\u4e00-\u9fff]{0,4}的)|叫什么|叫啥"
    r"|的?(?:名字|名称)(?=(?:是|叫)?(?:什么|啥)?[？?。]?\s*$))"
)
_HEAD_AFTER = re.compile(r"(?:谁|何人|哪位|哪一位)(?:是|担任|任)([\u4e00-\u9fffA-Za-z0-9]{2,})")
ASKS_NAME = re.compile(r"叫什么|叫啥|(?:名字|名称)(?:是|叫)?(?:什么|啥)?[？?。]?\s*$")  # not "名字是怎么来的"
# Between the thing and its name: a dash or colon, a copula, a naming verb or 由 ("冠军由某某获得").
_MARK = r"[\s：:—–\-－]*"
_LINK = re.compile(rf"{_MARK}(?:(?:命名为|取名为|定名为|名为|名叫|叫作|叫做|叫|是|为|由)\s*)?{_MARK}")
# A naming verb later in the clause: "吉祥物揭晓，它的名字叫作某某".
_NAMING = re.compile(r"命名为|取名为|定名为|名为|名叫|叫作|叫做|名字是|名字为")
_QUOTES = "“‘「《\"'"
_NAME_TAGS = ("nz", "ns", "nt", "eng")
# A count before the noun ("第20棒火炬手") must be the question's.
_COUNT_BEFORE = re.compile(r"([\d一二三四五六七八九十两]+)[\u4e00-\u9fff]?$")


@functools.lru_cache(maxsize=8192)
def short_tags(text: str) -> tuple[tuple[str, str], ...]:
    """jieba's tags of a short piece of a candidate sentence, kept: one sentence is looked at alone,
    in pairs and again for the lead."""
    return tuple(tagged(text))


@functools.lru_cache(maxsize=256)
def asked_head(question: str) -> str:
    """The noun a "who is / what is it called" question asks the name of ("吉祥物" of
    "某运动会吉祥物是谁"), "" when it asks no such thing."""
    match = _HEAD_AFTER.search(question) or _HEAD_BEFORE.search(question)
    if not match:
        return ""
    phrase = match.group(1)
    if phrase.endswith(("的", "有")):
        return ""  # "提出…的是谁" asks who did something, "…有谁" for a list, not the name of a thing
    tokens = words(phrase)
    last = max((i for i, w in enumerate(tokens) if len(w) >= 2), default=-1)
    return "".join(tokens[last:]) if last >= 0 else ""  # with single characters after it: 机器 + 狗


def names_after_head(info: QuestionInfo, sentence: str) -> bool:
    """Whether a sentence names something right after (or named by a verb after) the noun the
    question asks the name of."""
    head = asked_head(info.text)
    return bool(head) and head in sentence and _names_after(info.text, head, sentence)


@functools.lru_cache(maxsize=4096)  # a sentence is asked about alone, in pairs, and again for the lead
def _names_after(question: str, head: str, sentence: str) -> bool:
    start = sentence.find(head)
    while start >= 0:
        if _same_thing(question, head, sentence[:start]):
            after = sentence[start + len(head) : start + len(head) + 32]
            link = _LINK.match(after)
            clause = re.split(r"[。；;！？!?]", after, maxsplit=1)[0]
            naming = _NAMING.search(clause[:20])
            if _a_name(question, after[link.end() :], marked=bool(re.search(r"[：:—–\-－]", link.group(0)))):
                return True
            if naming and _a_name(question, clause[naming.end() :].lstrip(" ：:"), marked=True):
                return True
        start = sentence.find(head, start + 1)
    return False


def _same_thing(question: str, head: str, before: str) -> bool:
    """Whether what precedes the noun in the sentence keeps it the question's: not a noun the question
    lacks ("奥运冠军" for 女单冠军) unless the question's own word before the noun comes shortly
    before ("卡塔尔世界杯官方吉祥物" for 世界杯吉祥物), nor another count ("第20棒" for 第一棒)."""
    tokens = short_tags(before[-8:])
    if tokens and tokens[-1][1].startswith(("n", "j", "s")) and tokens[-1][0] not in question:
        asked = [w for w in words(question[: question.find(head)]) if len(w) >= 2]
        if not asked or asked[-1] not in before[-12:]:
            return False
    count = _COUNT_BEFORE.search(before)
    return not count or count.group(1) in question or _value(count.group(1)) in {_value(c) for c in re.findall(r"[\d一二三四五六七八九十两]+", question)}


def _value(numeral: str) -> float | None:
    return float(numeral) if numeral.isdigit() else chinese_number(numeral)


def _a_name(question: str, rest: str, marked: bool) -> bool:
    """Whether text opens with a name the question does not have: quoted, or a word jieba's
    dictionary lacks (雪容融, 某某) or tags as a named thing. The dictionary tags many nouns as
    people (荣誉, 叶子), so of those only a surname and two more characters count (毛泽东), unless a
    dash, a colon or a naming verb marks what follows as the name ("火炬手——罗致焕", which jieba
    cuts 罗致 + 焕; "名字叫作拉伊卜", 拉伊 + 卜)."""
    if rest[:1] in _QUOTES:
        return len(rest) > 2 and rest[1:3] not in question
    pairs = [(w, flag) for w, flag in short_tags(rest[:12]) if w.strip()]
    if not pairs:
        return False
    word, flag = pairs[0]
    if len(word) < 2 or word in question:
        return False
    tag = dictionary_tag(word)
    if not tag:
        return flag.startswith(("n", "eng"))
    if tag.startswith(_NAME_TAGS):
        return True
    return tag.startswith("nr") and (marked or (has_surname(word) and len(word) >= 3))
