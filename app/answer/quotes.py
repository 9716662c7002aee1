"""Which quotes answer a question: the best sentence of the retrieved passages and the few others
that add to it, or one per person, item or numbered point the question asks about."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import replace

from app.answer.answer_type import fits_type
from app.answer.candidates import Idf, Sentence, Similarity, by_meaning, forms, named_groups, overlaps, score, shared
from app.answer.figures import figures
from app.answer.kinds import fits, titled
from app.answer.parts import MAX_PARTS, asked_sentences, subjects
from app.answer.points import asks_summary, enumerated, summary
from app.answer.question import QUESTION_WORD, QuestionInfo
from app.answer.scorer import SentenceModel
from app.answer.topic import FRAME_WORDS, MARKS, mentions, on_topic, topic_terms
from app.schema import Hit
from app.text import segments, sentence_spans, words

# English questions are scored by dense similarity between the question and each sentence.
MIN_SIMILARITY_EN = 0.70
MAX_SENTENCES = {"list": 3, "general": 2, "number": 2, "date": 2}
SIBLING_RATIO = 0.85  # a further sentence must score this share of the best one (calibrated: README)
# ... and cover this share of what the best one covers (an English cosine counted from its floor,
# see _above_floor). Calibrated on both question sets (README, "Evaluation"): 0.7 and 0.8 give the
# same answers, citation precision 0.924 (seed) and 0.946 (held out) against 0.908 and 0.936 with
# no such test; 0.6 gives 0.913 and 0.936, 0.9 gives 0.917 and 0.940 and loses a seed answer.
SIBLING_SUPPORT = 0.8
DUPLICATE_SHARE = 0.6


def choose(
    info: QuestionInfo, hits: list[Hit], idf: Idf, similarity: Similarity | None,
    avoid: Sequence[str] = (), strict: bool = False, model: SentenceModel | None = None,
) -> list[Sentence]:
    """Quotes for the answer. A question naming speakers or departments is answered from their passages;
    naming several ("文旅局和商务局各有什么打算") gets the best quote of each."""
    ranked = score(info, hits, idf, similarity, model)
    # What the last answer already quoted is repeated only if it answers clearly better than anything
    # new (never, when strict, if anything else is there).
    fresh = [s for s in ranked if not any(repeats(s.text, said) for said in avoid)]
    if fresh and (strict or fresh[0].score >= SIBLING_RATIO * ranked[0].score):
        ranked = fresh
    if asks_summary(info.text):
        points = summary(info, ranked)
        if len(points) >= 2:
            return points
    named = named_groups(info.text, hits)
    # A person's group is their own sentences where their passages also quote someone else.
    groups = [group for name, ids in named if (group := _own([s for s in ranked if s.hit.chunk.id in ids], name))]
    # A list of points is looked for in all the passages: its first item may be the only one said to be
    # the named speaker's ("李群表示…：一是…" then "二是…", "三是…" in passages that name no one).
    points = enumerated(info, ranked, SIBLING_RATIO * ranked[0].score, named[0][1] if len(named) == 1 else None) if info.kind == "list" and ranked else []
    if points:
        return points
    if len(groups) >= 2:
        picks: list[Sentence] = []
        for group in groups[:3]:
            pick = lead(info, group)  # the group's best quote, not the first of its siblings in source order
            # The same sentence can reach two groups (a passage of 商务局相关负责人 is both 商务局's and a 负责人's).
            if all(shared(pick.text, p.text) < DUPLICATE_SHARE for p in picks):
                picks.append(pick)
        return sorted(picks, key=lambda s: (s.hit.rank, s.start))
    if not groups and _ASKS_EACH_SPEAKER.search(info.text):
        picks = each_speaker(info, ranked)
        if len(picks) >= 2:
            return picks
    pool = by_meaning(info, groups[0], similarity) if groups else ranked
    return each_part(info, pool, select(info, pool))


# "新兴产业、传统优势产业、未来产业各有几个": an enumeration in a question that asks about each item
# (found by app.answer.parts.subjects).
_LEAD_IN = re.compile(r"^.*[的说在对把将从给向]")  # "工信局负责人说的新兴产业" -> 新兴产业
ITEM_SHARE = 0.5  # share of an item's words a quote names for it to be about the item


def repeats(text: str, said: str) -> bool:
    """Whether a quote says again what was already said: most of its character pairs are there, and
    so is every figure it states ("…工业投资同比增长8.9%" is news after "…固定资产投资同比下降1.3%，
    但…工业投资…继续保持增长", though most of its words were said)."""
    if said and said in text:
        return True  # the quote it extends by a neighbour
    if shared(text, said) < DUPLICATE_SHARE:
        return False
    stated = {f.text for f in figures(said)}
    return all(f.text in stated for f in figures(text))


def parts(info: QuestionInfo) -> list[list[str]]:
    """The content words of each item a question enumerates and asks about one by one ("A、B和C各…"),
    without the words all items share; [] when it asks about one thing."""
    for sentence in asked_sentences(info.text):
        split = subjects(sentence)
        if split is None:
            continue
        items = list(split[1])
        # Words every item ends with ("…投资的目标") are said of each, not part of what tells them apart.
        tokens = [segments(item)[::-1] for item in items]
        common = len(os.path.commonprefix(tokens))
        items = ["".join(t[common:][::-1]) or item for t, item in zip(tokens, items)]
        items[0] = _LEAD_IN.sub("", items[0]) or items[0]
        found = [[w for w in words(item) if len(w) >= 2 and w not in FRAME_WORDS and not QUESTION_WORD.search(w)] for item in items]
        shared = set.intersection(*(set(f) for f in found))
        found = [[w for w in f if w not in shared] for f in found]
        if all(found) and len(found) <= MAX_PARTS:
            return found
    return []


def each_part(info: QuestionInfo, ranked: list[Sentence], chosen: list[Sentence]) -> list[Sentence]:
    """The chosen quotes plus, for each enumerated item none of them mentions, the best quote that does
    (for a figure question, one giving a figure about it)."""
    items = parts(info)
    if not items:
        return chosen

    def answers(sentence: Sentence, item: list[str]) -> bool:
        return _figure_of(info, sentence, item) if info.kind == "number" else _holds(sentence, item)

    picks = list(chosen)
    for item in items:
        if any(answers(s, item) for s in picks):
            continue
        pick = next((s for s in ranked if answers(s, item) and not any(overlaps(s, p) for p in picks)), None)
        if pick is not None:
            picks.append(pick)
    return sorted(picks, key=lambda s: (s.hit.rank, s.start)) if len(picks) > len(chosen) else chosen


def _figure_of(info: QuestionInfo, sentence: Sentence, item: list[str]) -> bool:
    """Whether one sentence of the quote gives a figure and names the item ("6个未来产业")."""
    text = sentence.text
    spans = sentence_spans(text) or [(0, len(text))]
    return any(fits_type(info, text[a:b]) and _holds(replace(sentence, end=sentence.start + b, start=sentence.start + a), item) for a, b in spans)


def _holds(sentence: Sentence, item: list[str]) -> bool:
    """Whether a quote (with its speaker's post) is about an item: names its first word (what the item
    is, "东湖区" of "东湖区投资增速") and at least ITEM_SHARE of its words."""
    text = MARKS.sub("", f"{sentence.text}{sentence.where}".lower())
    named = [any(form.lower() in text for form in forms(word)) for word in item]
    return named[0] and sum(named) >= ITEM_SHARE * len(item)


# "几位受访者都谈到了街区建设，分别怎么说" asks for what each speaker who mentions a topic said.
_ASKS_EACH_SPEAKER = re.compile(r"几位|哪几位|哪些人|哪些受访|哪些局长|哪些官员|哪些负责人|受访者.*(?:分别|各自)|(?:分别|各自).*受访者")
MAX_SPEAKERS = 4


def each_speaker(info: QuestionInfo, ranked: list[Sentence]) -> list[Sentence]:
    """The best quote of each speaker whose sentence mentions the question's topic, best speakers first."""
    if not ranked:
        return []
    topic = [t for t in topic_terms(info) if len(t) >= 2]
    picks: dict[str, Sentence] = {}
    for sentence in ranked:
        speaker = sentence.speaker
        if not speaker or speaker in picks:
            continue
        if mentions(sentence.text, topic):
            picks[speaker] = sentence
        if len(picks) >= MAX_SPEAKERS:
            break
    return sorted(picks.values(), key=lambda s: (s.hit.rank, s.start))


def select(info: QuestionInfo, ranked: list[Sentence]) -> list[Sentence]:
    """The best quote and up to a few siblings that add something, in source order."""
    if not ranked:
        return []
    best = lead(info, ranked)
    chosen = [best]
    limit = MAX_SENTENCES.get(info.kind, 1)
    for sentence in ranked:
        if len(chosen) >= limit or sentence.score < SIBLING_RATIO * best.score:
            break
        if _above_floor(info, sentence) < SIBLING_SUPPORT * _above_floor(info, best):
            continue  # close on score through its type and rank, but covers less of the question
        if info.kind in ("number", "date") and not (fits_type(info, sentence.text) and on_topic(info, sentence)):
            continue  # a figure or date question's further quotes give figures or dates about it too
        if titled(info, best) and not titled(info, sentence):
            continue  # and a title question's give titles
        if all(not overlaps(sentence, c) and shared(sentence.text, c.text) < DUPLICATE_SHARE for c in chosen):
            chosen.append(sentence)
    return sorted(chosen, key=lambda s: (s.hit.rank, s.start)) if len(chosen) > 1 else chosen


def lead(info: QuestionInfo, ranked: list[Sentence]) -> Sentence:
    """The quote that answers best: the best-scoring one, or a close one holding what the question asks for."""
    typed = [s for s in ranked if leads_by_type(info, s)]
    if info.kind == "number":
        # Only a figure about what was asked answers a figure question (see supported): lead with the
        # best such sentence whatever outscores it, rather than refuse because it ranked lower.
        return typed[0] if typed else ranked[0]
    return typed[0] if typed and typed[0].score >= SIBLING_RATIO * ranked[0].score else ranked[0]


def leads_by_type(info: QuestionInfo, sentence: Sentence) -> bool:
    """Whether a quote holds what the question asks for, as lead() prefers it: for a figure question,
    a figure about what was asked."""
    return fits(info, sentence.hit, sentence.start, sentence.end) and (info.kind != "number" or on_topic(info, sentence))


def _above_floor(info: QuestionInfo, sentence: Sentence) -> float:
    """Support on one scale for both languages: an English cosine counts from the floor below which
    it supports nothing (MIN_SIMILARITY_EN), as a Chinese share of the question counts from 0."""
    return max(0.0, sentence.support - MIN_SIMILARITY_EN) if info.english else sentence.support


def _own(group: list[Sentence], name: str) -> list[Sentence]:
    """The quotes of a person's group that are not someone else's words (theirs, or the report's own);
    a department's group as it is."""
    if not any(s.speaker == name for s in group):
        return group  # a department, or a person the text never has speak here

    def theirs(s: Sentence) -> bool:
        others = (n for a, b, n, _ in s.hit.chunk.voices if n != name and a < s.end and s.start < b)
        return s.speaker in (name, "") and next(others, None) is None

    return [s for s in group if theirs(s)] or group
