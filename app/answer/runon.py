"""Where a chosen quote should end: a quote stopping at a semicolon runs on to its full stop; one that
announces a list ("其特点主要有以下三点：第一，…", "其职能有四个方面：一是…；") runs on to the last point
it announced; the first quote of a description or a why-question takes the sentence after or before it.
General grammar of Chinese enumeration and narration."""

from __future__ import annotations

import re
from dataclasses import replace

from app.answer.answer_type import asks_why, gives_cause
from app.answer.candidates import PAIR_MAX_CHARS, Sentence
from app.answer.figures import chinese_number
from app.answer.openings import sentence_before
from app.text import CLOSERS

LIST_MAX_CHARS = 400  # a list runs on this far at most from the quote's start
_NEXT_POINT = re.compile(r"\s*(?:[一二三四五六七八九十\d]+[是、.．)）]|第[一二三四五六七八九十\d]+|其[一二三四五六七八九十次]|首先|其次|再次|最后|另一方面|此外)")
_FULL_STOP = re.compile(r"[。！？!?\n]")
# "有以下三点：", "有四个方面：一是", "分为两类：": a count of points, then a colon or the first point.
_ANNOUNCED = re.compile(r"([两二三四五六七八九]|[2-9])个?(?:点|方面|项|条|类|种|部分|步|阶段|层次|层面|环节|特点|原因|任务|措施)(?=[:：]|[，,]?\s*(?:第一|一是|其一|首先|1[、.．]|（一）|\(一\)))")
# "…陷入了类似以下的状况。", "具体如下：": what follows is what the quote announces.
_AHEAD = re.compile(r"(?:以下|如下)[\u4e00-\u9fff]{0,6}[。：:]?[”’」]*\s*$|[：:][”’」]*\s*$")
# "某鱼有哪些特征", "什么是某病", "该书讲述了什么内容": a description, which texts give over sentences.
_ASKS_DESCRIPTION = re.compile(r"特点|特征|外形|外貌|样子|症状|功效|是什么样|^\s*什么是|情节|讲述了什么|主要内容|内容是什么|讲了什么")
_CHINESE_DIGITS = "一二三四五六七八九"


def _point(n: int) -> re.Pattern[str]:
    """The marker of the n-th point: 第三, 三是, 其三, 3、, （三）."""
    zh = _CHINESE_DIGITS[n - 1]
    return re.compile(rf"第{zh}|(?<![\u4e00-\u9fff]){zh}是|其{zh}|(?<![\d.]){n}[、.．](?!\d)|[（(]{zh}[）)]")


def to_full_stop(sentence: Sentence) -> Sentence:
    """A quote that stops at a semicolon, extended to the full stop of its sentence when that is in
    the same paragraph and not long: the rest of a sentence often finishes what it lists or says."""
    text = sentence.hit.chunk.text
    if not sentence.text.rstrip(CLOSERS).endswith(("；", ";")):
        return sentence
    if _NEXT_POINT.match(text, sentence.end):
        return sentence  # the next clause is the next point of a list ("一是…；二是…")
    stop = _FULL_STOP.search(text, sentence.end)
    end = stop.end() if stop and stop.group() != "\n" else -1
    if end < 0 or end - sentence.start > PAIR_MAX_CHARS:
        return sentence
    return replace(sentence, end=end)


def to_list_end(sentence: Sentence) -> Sentence:
    """A quote announcing a counted list, extended to the full stop after its last point when that is
    in the same paragraph and not far: the announcement alone says only that there are points. One
    that ends pointing ahead ("如下：") takes the sentence after it."""
    match = _ANNOUNCED.search(sentence.text)
    if not match:
        return _to_next_stop(sentence) if _AHEAD.search(sentence.text) else sentence
    count = int(match.group(1)) if match.group(1).isdigit() else int(chinese_number(match.group(1)) or 0)
    text = sentence.hit.chunk.text
    limit = min(len(text), sentence.start + LIST_MAX_CHARS)
    paragraph_end = text.find("\n", sentence.start + match.end())
    limit = min(limit, paragraph_end) if paragraph_end >= 0 else limit
    last = _point(count).search(text, sentence.start + match.end(), limit)
    if not last:
        return sentence
    stop = _FULL_STOP.search(text, last.end(), limit)
    if not stop or stop.end() <= sentence.end:
        return sentence
    return replace(sentence, end=stop.end())


def _to_next_stop(sentence: Sentence) -> Sentence:
    """The quote with the sentence after it, when that is in the same paragraph and not long."""
    text = sentence.hit.chunk.text
    stop = _FULL_STOP.search(text, sentence.end + 1)
    if not stop or stop.group() == "\n" or "\n" in text[sentence.end : stop.start()] or stop.end() - sentence.start > PAIR_MAX_CHARS:
        return sentence
    return replace(sentence, end=stop.end())


def run_on(sentence: Sentence, question: str = "", first: bool = False) -> Sentence:
    """The quote as it should end: through the list it announces, else to its full stop; the first
    quote of a description ("某鱼有哪些特征") also takes the sentence after it, and the first quote
    for a why-question that gives no cause the sentence before it."""
    listed = to_list_end(sentence)
    if listed.end != sentence.end:
        return listed
    ended = to_full_stop(sentence)
    if first and asks_why(question) and not gives_cause(ended.text):
        return _from_sentence_before(ended)
    return _to_next_stop(ended) if first and _ASKS_DESCRIPTION.search(question) else ended


def _from_sentence_before(sentence: Sentence) -> Sentence:
    """The quote with the sentence before it, when that is in the same paragraph and the two are not
    long: a why-question answered by what happened, with no cause given, finds it told just before."""
    before = sentence_before(sentence.hit.chunk.text, sentence.start)
    if not before or sentence.end - before[0] > PAIR_MAX_CHARS:
        return sentence
    return replace(sentence, start=before[0])
