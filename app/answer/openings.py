"""How a sentence opens: a dateline before the news, a pointer to its speaker, or a pointer back to
the sentence before it. General news grammar; each function says how many characters to skip, or
where the sentence it points back to is."""

from __future__ import annotations

import functools
import re

from app.ingest.speakers import SPEECH_ALT, has_surname
from app.text import sentence_spans, tagged

# A dateline: the outlet and place, 讯 or …日电, then the credit in brackets or 记者 and a name
# ("本报讯（记者 张三 通讯员 李四）", "某某网北京8月1日电 (王五)", "某某讯记者赵六发自北京").
_DATELINE = re.compile(
    r"^\s*[^，。！？\n]{0,30}?(?:讯|日电)\s*(?:[（(][^（()）]{0,40}[）)]|记者\s*[\u4e00-\u9fff]{2,4}(?:\s*发自[\u4e00-\u9fff]{2,4})?)\s*"
    r"|^\s*[^，。！？\n]{0,30}?\d{1,2}日电\s+"
)
# A sentence opening with a pointer to its speaker: 他表示, 该负责人说, 她认为 …
_POINTER_LEAD = re.compile(r"^\s*(?:他|她|其|该负责人|该局负责人|这位负责人)(?:表示|说|认为|指出|介绍|坦言|强调)[,，:：]\s*")
# A sentence that opens by pointing back ("本次活动计划于…", "该项目…", "此次会议…") is about what the
# sentence before it names.
_POINTS_BACK = re.compile(r"^\s*(?:本次|此次|这次|该|此|这一|上述|这些|此前|本届|这个)")


# What a paragraph's first sentence is about: the words before its first comma, bracket, colon or
# copula ("某草（学名：…）为…", "王某，女，1940年生", "《某书》是…").
_TOPIC = re.compile(r"^\s*([^\n，,。；;：:（(、！？!?]{2,24}?)\s*([（(]|[，,：:]|是|为|系|位于)")
# A clause, not a subject: it opens with a preposition, verb, adverb, conjunction or pronoun
# ("在…方面", "据悉", "与重庆相似") or does not end in a noun ("李某表示", "发布会上").
_NOT_SUBJECT_START = ("p", "v", "d", "c", "r", "u")


def topic_of(text: str, start: int) -> str:
    """The subject a paragraph opens with, when text[start:] is a later sentence of that paragraph:
    later sentences that do not name it are still about it ("花期1-3月。", "现任…", "她为了…")."""
    opening = text.rfind("\n", 0, start) + 1
    if start < _first_end(text, opening):
        return ""  # text[start:] is the paragraph's first sentence
    return _subject(text[opening : opening + 40])


@functools.lru_cache(maxsize=4096)
def _first_end(text: str, opening: int) -> int:
    """Where the first sentence of the paragraph starting at `opening` ends."""
    end = text.find("\n", opening)
    first = sentence_spans(text, opening, len(text) if end < 0 else end)
    return first[0][1] if first else opening


@functools.lru_cache(maxsize=4096)
def _subject(opening: str) -> str:
    match = _TOPIC.match(opening)
    if not match:
        return ""
    topic = match.group(1)
    if len(topic) <= 4 and re.fullmatch(r"[\u4e00-\u9fff]+", topic) and has_surname(topic) and not re.search(SPEECH_ALT, topic):
        return topic  # a person's name, however jieba tags it (魏某 as a verb), not "李某表示"
    words = [(w, flag) for w, flag in tagged(topic) if w.strip()]
    if not words or words[0][1].startswith(_NOT_SUBJECT_START) or all(flag in ("m", "t", "x") for _, flag in words):
        return ""
    # An appositive in brackets marks a definition's subject whatever its words ("某某（1900年－1980年）").
    if match.group(2) in "（(":
        return match.group(1)
    # Otherwise it is a noun phrase: no verb or adverb in it ("某某不参加世界杯" is a clause), and it
    # ends in a noun or a title's closing mark.
    last_word, last_flag = words[-1]
    if any(flag in ("v", "d", "p") for _, flag in words):
        return ""
    return match.group(1) if last_flag.startswith("n") or last_flag == "eng" or last_word in ("》", "”") else ""


def dateline_end(sentence: str) -> int:
    """How many characters of a sentence are its dateline (0 when it has none)."""
    match = _DATELINE.match(sentence)
    return match.end() if match else 0


def pointer_end(sentence: str) -> int:
    """How many characters of a sentence only point at its speaker ("该负责人表示,")."""
    match = _POINTER_LEAD.match(sentence)
    return match.end() if match and match.end() < len(sentence) else 0


def points_back(sentence: str) -> bool:
    return bool(_POINTS_BACK.match(sentence))


def sentence_before(text: str, start: int) -> tuple[int, int] | None:
    """The span of the sentence before text[start:] in the same paragraph, if any."""
    before = sentence_spans(text, 0, start)
    if not before or "\n" in text[before[-1][0] : start]:
        return None
    return before[-1]
