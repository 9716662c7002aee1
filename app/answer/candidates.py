"""Candidate quotes for an answer: sentences (and adjacent pairs) of the retrieved passages, scored."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from app.answer.entities import Entities  # the same recogniser resolves follow-up questions
from app.answer.kinds import (
    ASKS_CREDITS,
    ASKS_TITLE,
    ASKS_WHO_IS,
    INTERVIEW_LINE,
    asks_outlet,
    fits,
    garbled,
    is_heading,
)
from app.answer.openings import dateline_end, pointer_end, points_back, sentence_before, topic_of
from app.answer.question import QUESTION_WORD, QuestionInfo, period_forms, place_forms
from app.answer.relations import asks_alias, gives_alias
from app.answer.scorer import FEATURES, SentenceModel, default_model, length_feature
from app.dates import DATE_TERM, date_forms, date_variants
from app.ingest.metadata import CREDIT_LINE, is_credit_line
from app.schema import Hit
from app.text import CLOSERS, bigrams, common_word, english_places, name_pinyin, sentence_spans, spelled_number, synonyms

Idf = Callable[[str], float]
Similarity = Callable[[str, list[str]], np.ndarray]

PAIR_MAX_CHARS = 220  # two adjacent sentences may be quoted together up to this length
ENGLISH_PASSAGES = 5
MAX_TIED = 12  # more quotes tied for best than this are not told apart by meaning (each costs an encoding)
MIN_CHARS = 9  # a passage's opening shorter than this is a fragment ("定域全时的活力。"), not what it says
# A short sentence may answer alone ("史称魏献子。", "被誉为晋剧皇后。") when it is at least this long,
# says something the question asks about (or gives the other name it asks for) and is not cut off ("首播编辑...") or a byline.
MIN_QUOTE_CHARS = 5
_CUT_OFF = re.compile(r"(?:\.{2,}|…+)\s*$")


# A department named in a question is the body whose words answer it only when its name ends like a
# body's: narrower than app.text.ORGANISATION_SUFFIXES on purpose, since 站, 馆 and 队 also end what
# a question is about (B站, 火车站): with them, "B站…总营收" was answered only from a "B站" speaker's
# passages and refused (RGB end to end 0.757 -> 0.753).
_ORGANISATION = re.compile(r"(?:局|委|办|室|厅|部|会|院|所|处|中心|公司|集团)$")
@dataclass(frozen=True)
class Sentence:
    hit: Hit
    start: int  # offsets inside hit.chunk.text
    end: int
    support: float  # share of the question covered, 0..1
    score: float

    @property
    def text(self) -> str:
        return self.hit.chunk.text[self.start : self.end]

    @property
    def speaker(self) -> str:
        return self.hit.chunk.voice_at(self.start, self.end)[0]

    @property
    def position(self) -> str:
        return self.hit.chunk.voice_at(self.start, self.end)[1]

    @property
    def where(self) -> str:
        """Who speaks in this sentence, as context text."""
        return context(self.hit, self.start, self.end)


def overlaps(a: Sentence, b: Sentence) -> bool:
    """Whether two quotes share text of one passage."""
    return a.hit.chunk.id == b.hit.chunk.id and a.start < b.end and b.start < a.end


def shared(a: str, b: str) -> float:
    """Share of the shorter text's character pairs found in the other: near-duplicates and repeats."""
    x, y = set(bigrams(a)), set(bigrams(b))
    return len(x & y) / min(len(x), len(y)) if x and y else 0.0


def forms(term: str) -> tuple[str, ...]:
    """A term and its other names (发改委 is found as 发展改革委; 2023年5月17日 as 5月17日 or 5月17号;
    23 as 二十三)."""
    if DATE_TERM.fullmatch(term):
        return date_variants(term)
    if term.isdigit():
        return (term, *spelled_number(term))  # 23 is also written 二十三
    for group in synonyms():
        if term in group:
            return group
    return (term,)


def context(hit: Hit, start: int | None = None, end: int | None = None) -> str:
    """Who speaks: in the sentence text[start:end] when given (its own speaker, else the section's),
    otherwise anyone speaking in the passage. Counted as part of the sentence it is for."""
    chunk = hit.chunk
    if start is not None:
        name, position = chunk.voice_at(start, len(chunk.text) if end is None else end)
        return f"{position}{name} {chunk.department if name == chunk.speaker else ''}".strip()
    others = " ".join(dict.fromkeys(f"{p}{n}" for _, _, n, p in chunk.voices))
    return f"{chunk.position}{chunk.speaker} {chunk.department} {others}".strip()


def antecedent(hit: Hit, start: int, text: str) -> str:
    """The sentence before one that points back to it, counted as its context; "" otherwise."""
    if not points_back(text):
        return ""
    span = sentence_before(hit.chunk.text, start)
    return hit.chunk.text[span[0] : span[1]] if span else hit.chunk.article_title


def with_antecedent(sentence: Sentence) -> Sentence:
    """A quote that points back ("本次活动…"), extended to the sentence it points to when that is in the
    same paragraph, so the quote says what it is about."""
    if not points_back(sentence.text) or len(sentence_spans(sentence.text)) > 1:
        return sentence  # a pair already says more than the one sentence
    span = sentence_before(sentence.hit.chunk.text, sentence.start)
    if span is None or sentence.end - span[0] > PAIR_MAX_CHARS:
        return sentence
    return replace(sentence, start=span[0])


def dated(hit: Hit) -> str:
    """The passage's date as questions write it, so "5月17日那版" is covered by every passage of that day."""
    return date_forms(hit.chunk.date)


def coverage(info: QuestionInfo, text: str, where: str, idf: Idf) -> float:
    """idf-weighted share of the question's terms found in text (or in its passage's context)."""
    weights = {term: idf(term) for term in info.terms}
    total = sum(weights.values())
    if not total:
        return 0.0
    # Latin terms are lower-cased by the tokenizer (AGG01 as agg01): they are looked for that way.
    text, where = (text.lower(), where.lower()) if any(t.isascii() for t in weights) else (text, where)
    found = sum(w for term, w in weights.items() if any(form in text or form in where for form in forms(term)))
    return found / total


def _held(asked: tuple[str, ...], text: str, written: Callable[[str], tuple[str, ...]] = forms) -> float:
    """Share of what a question pins down (its names, places or periods) that the text holds, each
    in any of the ways texts write it (`written`: forms, place_forms or period_forms)."""
    return sum(any(form in text for form in written(term)) for term in asked) / len(asked) if asked else 0.0


def named_groups(question: str, hits: list[Hit]) -> list[tuple[str, set[str]]]:
    """(name, passage ids) of each person and department the question names (by name, alias or, in
    English, pinyin), in the order it names them. A department is left out when a person of it is named
    ("工信局局长王智明"), and a name is kept only if it singles out some of the passages, not all. Two
    people may share passages (a report quoting both in one paragraph)."""
    entities = Entities.from_chunks([h.chunk for h in hits])
    found = entities.find(question)
    # A name that is also a word ("总领事江南", and 江南水乡) is what the question is about, not whose
    # words answer it, when passages use it as that word.
    people = [p for p in found["person"] if not (common_word(p) and any(p in h.chunk.text and p not in h.chunk.names for h in hits))]
    # "中原科技城" names 中原科技城党工委 but is first a place: when other speakers' passages mention
    # it too, it is what the question is about, not whose words answer it.
    departments = list(dict.fromkeys(
        entities.departments[alias] for alias in found["department"]
        if _ORGANISATION.search(alias)
        or not any(alias in h.chunk.text and h.chunk.department != entities.departments[alias] for h in hits)
    ))
    departments = [d for d in departments if not any(entities.people.get(p) == d for p in people)]
    lowered = question.lower()

    def where(name: str) -> int:
        spelled = " ".join(name_pinyin(name).split()[:2])  # "wang zhiming"
        spots = [i for i in (question.find(name), lowered.find(spelled) if spelled else -1) if i >= 0]
        spots += [question.find(a) for a, d in entities.departments.items() if d == name and a in question]
        return min(spots, default=len(question))

    groups: list[tuple[str, set[str]]] = []
    for name in sorted(people + departments, key=where):
        if name in people:
            ids = {h.chunk.id for h in hits if name in h.chunk.names}
        else:
            ids = {h.chunk.id for h in hits if h.chunk.department == name}
        # The same passages under another name are one group, unless both names are people speaking there.
        repeated = any(theirs == ids and not (name in people and other in people) for other, theirs in groups)
        if ids and len(ids) < len(hits) and not repeated:
            groups.append((name, ids))
    return groups


def candidates(info: QuestionInfo, hits: list[Hit]) -> list[tuple[Hit, int, int]]:
    """Sentences, and pairs of adjacent sentences, that could be quoted."""
    # A page's date line also carries its production credits: date questions may quote it.
    # Credits say who wrote the page, so they answer who/when questions, not what a reporter thinks.
    # Bylines also name the newspaper ("正观新闻·郑州晚报记者 孙亚文"): they answer which paper carried it.
    credits_ok = (bool(ASKS_CREDITS.search(info.text)) and info.kind in ("person", "list")) or info.kind == "date" or asks_outlet(info.text)
    headings_ok = bool(ASKS_TITLE.search(info.text)) or info.kind == "date"  # a page's date line has no full stop
    spans = []
    # English questions are scored by encoding every candidate: keep that to single sentences of
    # the best passages, or one question costs seconds and hundreds of MB under load.
    for hit in hits[:ENGLISH_PASSAGES] if info.english and not asks_outlet(info.text) else hits:
        text = hit.chunk.text
        # "某某网讯（记者 某某）8月7日，…": the news that follows a dateline is quotable without it.
        trimmed = sentence_spans(text) if credits_ok else [(a + _dateline(text[a:b]), b) for a, b in sentence_spans(text)]
        sentences = [
            (a, b) for a, b in trimmed
            if (b - a >= MIN_CHARS or _short_answer(info, text[a:b]))
            and (credits_ok if CREDIT_LINE.search(text[a:b]) else headings_ok or not is_heading(hit, a, b)
                 or (bool(ASKS_WHO_IS.search(info.text)) and bool(INTERVIEW_LINE.match(text[a:b].strip()))))
        ]
        # "该负责人表示,围绕…": the answer names who speaks, so the quote starts after the pointer.
        sentences = [(a + pointer_end(text[a:b]), b) if any(hit.chunk.voice_at(a, b)) else (a, b) for a, b in sentences]
        spans.extend((hit, a, b) for a, b in sentences)
        for (a, b), (c, d) in zip(sentences, [] if info.english else sentences[1:]):
            # Adjacent sentences of one paragraph only: a quote never spans a paragraph break.
            if d - a <= PAIR_MAX_CHARS and "\n" not in text[b:c]:
                spans.append((hit, a, d))
    return spans


def _short_answer(info: QuestionInfo, sentence: str) -> bool:
    """A short sentence that says something the question asks about, or gives the other name it asks for."""
    return (len(sentence) >= MIN_QUOTE_CHARS and not _CUT_OFF.search(sentence) and not is_credit_line(sentence)
            and (any(form in sentence for term in info.terms for form in forms(term)) or (asks_alias(info.text) and gives_alias(sentence))))


def _dateline(sentence: str) -> int:
    """How many characters of a sentence are its dateline (0 when it has none or is nothing else)."""
    end = dateline_end(sentence)
    return end if len(sentence) - end >= MIN_CHARS else 0


@functools.lru_cache(maxsize=1024)
def _spelled(name: str) -> tuple[str, ...]:
    return tuple(name_pinyin(name).split()) if name else ()


def features(
    info: QuestionInfo, hits: list[Hit], idf: Idf, similarity: Similarity | None = None,
) -> tuple[list[tuple[Hit, int, int]], list[float], np.ndarray]:
    """Every candidate quote, its support (share of the question covered) and its feature row
    (columns as app.answer.scorer.FEATURES)."""
    spans = candidates(info, hits)
    if not spans:
        return [], [], np.zeros((0, len(FEATURES)))
    texts = [hit.chunk.text[a:b] for hit, a, b in spans]
    wheres = [f"{context(hit, a, b)} {dated(hit)} {antecedent(hit, a, text)} {topic_of(hit.chunk.text, a)}" for (hit, a, b), text in zip(spans, texts)]
    if info.english and similarity is not None:
        supports = [float(s) for s in similarity(info.text, texts)]
    else:
        supports = [coverage(info, text, where, idf) for text, where in zip(texts, wheres)]
    singles = {(hit.chunk.id, a) for hit, a, b in spans}
    places = english_places(info.text) if info.english else ()
    asked = " " + re.sub(r"[^a-z]+", " ", info.text.lower()) + " "
    pairs = set(bigrams(QUESTION_WORD.sub(" ", info.text)))
    rows = []
    for (hit, a, b), text, support, where in zip(spans, texts, supports, wheres):
        # (A quote that ends 。” is one sentence: the full stop inside the closing quote is its end.)
        is_pair = any(c in "。！？!?；;\n" for c in text.rstrip(CLOSERS)[:-1]) and (hit.chunk.id, a) in singles
        name = hit.chunk.voice_at(a, b)[0]
        spelled = _spelled(name) if info.english else ()
        row = {
            "support": support,
            "text_coverage": support if info.english else coverage(info, text, "", idf),
            "bigrams": len(pairs & set(bigrams(text))) / len(pairs) if pairs else 0.0,
            "fits": float(fits(info, hit, a, b)),
            "inverse_rank": 1.0 / hit.rank,
            "pair": float(is_pair),
            "garbled": float(garbled(text)),
            "asks": float(text.rstrip(CLOSERS).endswith(("？", "?"))),
            "length": length_feature(b - a),
            "voiced": float(bool(name)),
            "position": a / max(1, len(hit.chunk.text)),
            "english": float(info.english),
            "english_support": support if info.english else 0.0,
            "english_name": float(bool(spelled) and (f" {spelled[0]} {spelled[1]} " in asked or f" {spelled[2]} " in asked)),
            "english_place": sum(p in text for p in places) / len(places) if places else 0.0,
            "specifics": _held(info.specifics, f"{text} {where}"),
            "places": _held(info.places, f"{text} {where}", place_forms),
            "periods": _held(info.periods, f"{text} {where}", period_forms),
            "speaker_named": float(bool(name) and any(name in person or person in name for person in info.people)),
        }
        rows.append([row[name] for name in FEATURES])
    return spans, supports, np.array(rows, dtype=np.float64)


def score(info: QuestionInfo, hits: list[Hit], idf: Idf, similarity: Similarity | None = None, model: SentenceModel | None = None) -> list[Sentence]:
    """Every candidate quote scored by the answer-sentence model (app.answer.scorer); best first."""
    spans, supports, rows = features(info, hits, idf, similarity)
    if not spans:
        return []
    values = (model or default_model()).score(rows)
    scored = [Sentence(hit, a, b, support, float(v)) for (hit, a, b), support, v in zip(spans, supports, values)]
    # Equal scores are told apart by the question's character pairs the quote shares (its own words,
    # not its context), then by source order.
    shares = rows[:, FEATURES.index("bigrams")]
    order = sorted(range(len(scored)), key=lambda i: (-round(scored[i].score, 9), -shares[i]))
    return by_meaning(info, [scored[i] for i in order], similarity)


def by_meaning(info: QuestionInfo, ranked: list[Sentence], similarity: Similarity | None) -> list[Sentence]:
    """Quotes tied for best on the question's words ("工信局" in five of 王某's sentences) told apart by
    meaning: "借高校和科研院所的力" is nearest "深化校地合作，加紧同国内知名院校对接"."""
    if not ranked or similarity is None or info.english:
        return ranked
    tied = [s for s in ranked[:MAX_TIED] if round(s.score, 9) == round(ranked[0].score, 9)]
    if not 2 <= len(tied) < MAX_TIED:
        return ranked
    cosines = similarity(info.text, [s.text for s in tied])
    return [tied[i] for i in np.argsort(-cosines, kind="stable")] + ranked[len(tied) :]
