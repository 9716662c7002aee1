"""What kind of text a span is, and what kind of quote a question wants: bylines and credits, headlines
and "——访…" lines, OCR debris, the newspaper or the title asked for. General news grammar only."""

from __future__ import annotations

import re
from typing import Any

from app.answer.answer_type import fits_type
from app.answer.naming import asked_head, names_after_head
from app.answer.question import QuestionInfo
from app.answer.relations import asked_relation, states_relation
from app.ingest.metadata import is_credit_line
from app.schema import Hit

# Short sentences whose character 4-grams repeat this much are column-interleaving OCR noise; on
# the bundled articles the two garbled sentences score 0.17 and 0.21, the most repetitive real one
# (a 132-character slogan list) 0.15.
GARBLED_MAX_CHARS = 80
GARBLED_REPEAT = 0.15
ASKS_CREDITS = re.compile(r"记者|通讯员|统筹|美编|校对|编辑|作者|采写|撰写|署名|reporter|wrote|author|editor|byline", re.I)
# Which newspaper carried the coverage: answered by a byline naming it.
_ASKS_OUTLET = re.compile(
    # 报 alone only where the word ends: "什么报告" asks for a report, not a newspaper.
    r"(?:哪家|哪份|哪个|哪一家|什么)(?:报纸|报社|媒体|报(?![\u4e00-\u9fff]))|(?:登|刊登|发表|刊发|刊载)在哪"
    r"|\bwhich (?:newspaper|paper|outlet)s?\b|\bwhat (?:newspaper|paper)\b|\bpublished (?:in|by)\b",
    re.I,
)


def asks_outlet(question: str) -> bool:
    """Whether the question asks which newspaper carried the coverage."""
    return bool(_ASKS_OUTLET.search(question))


# Headlines and "——访…" lines name a section; they answer only questions about titles.
ASKS_TITLE = re.compile(r"标题|题目|栏目|主题|专版|版面|哪一版|那版|篇名|稿子叫|headline|title|column", re.I)
# Asking for a name of a text (题目, 栏目), not for what it is about (主题 may be either).
_ASKS_NAME_OF_TEXT = re.compile(r"标题|题目|篇名|栏目|headline|title", re.I)


def titled(info: QuestionInfo, sentence: Any) -> bool:
    """Whether a quote gives the name of a text asked for: a headline line or a 《title》."""
    return bool(_ASKS_NAME_OF_TEXT.search(info.text)) and _is_title(sentence.hit, sentence.start, sentence.end)


def _is_title(hit: Hit, start: int, end: int) -> bool:
    return "《" in hit.chunk.text[start:end] or is_heading(hit, start, end)


def fits(info: QuestionInfo, hit: Hit, start: int, end: int) -> bool:
    """Whether a quote holds what the question asks for: a figure, a date, items, … or, for a question
    asking what a text is called, a title."""
    text = hit.chunk.text[start:end]
    if _ASKS_NAME_OF_TEXT.search(info.text):  # what a text is called: its title is its name
        title = _is_title(hit, start, end)
        if not title or info.kind == "general":
            return title
    if asks_outlet(info.text):
        return bool(hit.chunk.newspaper) and hit.chunk.newspaper in text
    if info.kind != "date" and another_year(info.text, text):
        return False  # "2022年度人物" is not answered by the 2021 list
    if relation := asked_relation(info.text):
        return states_relation(relation, text)  # "某某是谁的女儿": "某某之女", "某某的女儿"
    if info.kind == "person":
        # Who: a named speaker's words (the answer names them), a byline, an interview line, or a
        # sentence naming someone right after what the question asks about ("导演某某"). A speaker
        # answers only if the question asks no post, or theirs: "…冠军是谁" is not answered by
        # whoever is quoted.
        name, position = hit.chunk.voice_at(start, end)
        head = asked_head(info.text)
        voiced = bool(name) and (not head or head in position or head in _PEOPLE)
        return voiced or is_credit_line(text) or bool(INTERVIEW_LINE.match(text.strip())) or names_after_head(info, text)
    return fits_type(info, text)


# A year as texts write one: 2022年, 2022年度, 2022“年度…”, 2022赛季; not 2000多人.
_YEAR = re.compile(r"(?<![\d.])((?:19|20)\d{2})(?=\s*(?:年|赛季|届|[\u201c\u201d\u2018\u2019\"'《（(\s,，。；;、]|$))")


def another_year(question: str, text: str) -> bool:
    """Whether a text names years, none of them the one the question pins down."""
    asked = set(_YEAR.findall(question))
    if not asked:
        return False
    said = set(_YEAR.findall(text))
    return bool(said) and not said & asked


# Words for people in general: "致辞的两位官员分别是谁" is answered by whoever speaks.
_PEOPLE = frozenset("官员 人士 负责人 领导 嘉宾 代表 专家 学者 人物 人员 同志 受访者 市民 群众 网友 记者".split())


# "Who is …" (not "who said …") may be answered by the "——访…" line that names the interviewee.
ASKS_WHO_IS = re.compile(r"是谁|谁是|叫什么|名字|\bwho (?:is|was|heads)\b|\bhead of\b", re.I)
INTERVIEW_LINE = re.compile(r"^[—\-\s]*访")
_SENTENCE_MARK = re.compile(r"[。！？!?；;，,]")


# A sentence that stops at a copula or preposition lost what it was going to say ("…的地理位置为。").
# (作为, 可为, 就是, 总是… end sentences whole.)
_CUT_SHORT = re.compile(r"[\u4e00-\u9fff](?<![作可而行无有所])为[。；;]?[”’」]*$|[\u4e00-\u9fff](?<![还总正就都可倒凡])是[。；;]?[”’」]*$|[\u4e00-\u9fff]于[。；;]?[”’」]*$")


def garbled(text: str) -> bool:
    """OCR of interleaved columns: a short sentence made of its own repeated fragments
    ("…雪萍说,独具特色的场景雪萍说,独具特色的场会…"), or one cut short before what it says
    ("…的地理位置为。"). Such text is quoted only if nothing else fits."""
    if _CUT_SHORT.search(text.strip()):
        return True
    if len(text) > GARBLED_MAX_CHARS:
        return False
    grams = [text[i : i + 4] for i in range(len(text) - 3)]
    return bool(grams) and 1 - len(set(grams)) / len(grams) >= GARBLED_REPEAT


def is_heading(hit: Hit, start: int, end: int) -> bool:
    """A headline, subtitle or "——访…" line: a whole line that names its section rather than says something."""
    text = hit.chunk.text
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line = text[line_start : len(text) if line_end < 0 else line_end].strip()
    sentence = text[start:end].strip()
    if sentence != line:
        return False
    bare = line.strip("—-· ")
    return bare == hit.chunk.section_title.strip("—-· ") or bool(INTERVIEW_LINE.match(line)) or (
        len(line) <= 60 and not _SENTENCE_MARK.search(line)
    )


