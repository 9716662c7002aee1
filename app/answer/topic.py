"""What a question is about, beyond who is asked and how it is framed, and whether a text mentions it."""

from __future__ import annotations

import re

from app.answer.answer_type import fits_type
from app.answer.candidates import Sentence, context, forms
from app.answer.question import QUESTION_WORD, QuestionInfo, period_forms
from app.dates import DATE_TERM
from app.ingest.metadata import ROLES
from app.text import sentence_spans, subwords

MARKS = re.compile(r"[\s·•・“”\"'‘’《》「」『』]")
_DEMONSTRATIVE = re.compile(r"^[这那该此本][一]?[组篇版期位个次些份则]")  # 这组, 这一版, 那位: pointers, not topics
# Words that frame a question about a figure or date rather than say what it is about.
FRAME_WORDS = frozenset(
    "目标 今年 明年 全年 去年 当年 提出 计划 打算 要求 任务 达到 完成 实现 力争 确保 突破 规模 总量 总额 数字 数量 "
    "一共 共计 多少 具体 哪天 日期 时间 时候 年份 定 定的 设定 预计 期望 希望".split()
)


# A long title with a comma or full stop is a lead sentence, not a headline.
_PROSE = re.compile(r"^(?=.{25,}).*[，。]")


def on_topic(info: QuestionInfo, sentence: Sentence) -> bool:
    """Whether a sentence gives a figure about what the question is about (beyond who is asked and
    the question's frame words) and of what it measures."""
    if info.english:
        return True  # English terms cannot be looked up in Chinese text; similarity decides instead
    chunk = sentence.hit.chunk
    # A title that is prose (the lead sentence standing in for an article without a headline) is
    # what the article says, not who is asked: its words stay in the topic.
    titles = " ".join(t for t in dict.fromkeys((chunk.section_title, chunk.article_title)) if not _PROSE.search(t))
    topic = topic_terms(info, f"{context(sentence.hit)} {titles}")
    if not topic:
        return True
    # Words found in a large share of the passages (郑州, in this coverage) say little about what a
    # figure is of; they count only when the question has nothing rarer that some passage uses (收是,
    # of jieba's "总营/收是" for "总营收是多少", is in none). What is measured stays required (see below).
    topic = [t for t in topic if t not in info.common and t not in info.unseen] or topic
    text = sentence.text
    # The figure and the topic must share one sentence: a pair of adjacent sentences that has the
    # topic in one and a figure in the other does not say the figure is about the topic. That
    # sentence must also name what the question measures (see measured_share).
    measure = [w for w in info.measure if w not in info.people and not any(f in sentence.where for f in forms(w))]
    parts = [text[a:b] for a, b in sentence_spans(text)] or [text]
    return any(
        fits_type(info, part) and mentions(part, topic) and measured_share(part, measure) >= MEASURE_SHARE
        and _in_period(info, part, sentence)
        for part in parts
    )


def _in_period(info: QuestionInfo, part: str, sentence: Sentence) -> bool:
    """Whether a figure is for the period the question asks about ("8月份的货量" is not answered by
    June's and July's): the period is named in its sentence or the sentence before it."""
    if not info.periods:
        return True
    text = sentence.hit.chunk.text
    before = [text[a:b] for a, b in sentence_spans(text, 0, sentence.start)][-1:]
    where = "".join(before + [part]).replace(" ", "")
    return all(any(form in where for form in period_forms(period)) for period in info.periods)


# What a figure question measures must be in the sentence that gives the figure: at least this share
# of its words (a question about 出口总额 is not answered by 零售总额, which shares only 总额).
MEASURE_SHARE = 0.6


# A dimension given by the adjective after its amount: 体重 as "8公斤重", 身高 as "1.8米高".
_DIMENSIONS = {"体重": "重", "重量": "重", "身高": "高", "高度": "高", "体长": "长", "身长": "长", "长度": "长",
               "全长": "长", "宽度": "宽", "深度": "深", "厚度": "厚"}


def measured_share(text: str, words: list[str]) -> float:
    """Share of the words found in text, each as itself, another name, most of its parts, or (a
    dimension) as an amount followed by its adjective."""
    plain = text.lower()

    def found(word: str) -> bool:
        parts = subwords(word)
        if word in _DIMENSIONS and re.search(rf"\d\s*[a-z]{{0,3}}[\u4e00-\u9fff]{{0,2}}{_DIMENSIONS[word]}", plain):
            return True
        return any(form.lower() in plain for form in forms(word)) or (bool(parts) and sum(p in plain for p in parts) * 2 > len(parts))

    return sum(found(w) for w in words) / len(words) if words else 1.0


def topic_terms(info: QuestionInfo, where: str = "") -> list[str]:
    """What the question is about: its terms without frame words (目标, 今年), question words (几年),
    pointers (这组), figures and dates, roles, and names found in `where` (who is asked)."""
    return [
        t for t in info.terms
        if t not in FRAME_WORDS and t not in ROLES and not t.isdigit() and not DATE_TERM.fullmatch(t) and not QUESTION_WORD.search(t)
        and not _DEMONSTRATIVE.match(t) and not any(f in where for f in forms(t))
    ]


def mentions(text: str, terms: list[str]) -> bool:
    """Whether text holds one of the terms, their other names or the words inside them, ignoring
    case, quotes, dots and spaces (gdp and 醉美夜 match 'GDP' and '醉美·夜')."""
    plain = MARKS.sub("", text.lower())
    return any(form in plain for term in terms for form in forms(term) + subwords(term))
