"""Evidence -> Answer: choose the sentences that answer the question, quote them verbatim, cite them.

No LLM: sentences of the retrieved passages are scored by how much of the question they cover
(idf-weighted, counting the passage's speaker and headline as context), whether they hold what the
question asks for (a figure for 多少, a date for 何时, …) and the passage's rank. The answer leads
with the best sentence, attributed to its speaker; when nothing supports an answer it says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from app.answer.answer_type import fits_type
from app.answer.candidates import (
    MIN_CHARS,
    Sentence,
    Similarity,
    context,
    forms,
    named_groups,
    overlaps,
    with_antecedent,
)
from app.answer.corpus import Corpus
from app.answer.kinds import asks_outlet, fits
from app.answer.openings import topic_of
from app.answer.parts import per_subject, sub_questions
from app.answer.points import items_marked
from app.answer.question import COUNTED, QuestionInfo, analyse, asked_count, items_listed, place_forms, posts
from app.answer.quotes import MIN_SIMILARITY_EN, choose
from app.answer.runon import run_on
from app.answer.scorer import SentenceModel
from app.answer.topic import on_topic
from app.ingest.metadata import is_credit_line
from app.ingest.speakers import SPEECH_ALT
from app.schema import Answer, Citation, Hit
from app.text import is_cjk, sentence_spans

# Calibrated (README, "Evaluation"): any floor on the share of the question's weighted terms a quote covers refused
# more answerable questions than unanswerable ones, so it is off; refusal rests on absent names and figures and the answer type.
MIN_SUPPORT = 0.0

def placed(info: QuestionInfo, sentence: Sentence, corpus: Corpus | None) -> bool:
    """Whether the quote is about a place the question pins down: the place is named in the sentence,
    its passage, or its article (a figure for one district does not answer for another)."""
    if not info.places:
        return True
    chunk = sentence.hit.chunk
    where = f"{chunk.text} {chunk.article_title} {corpus.article_text(chunk.article_id) if corpus else ''}"
    return any(form in where for place in info.places for form in place_forms(place))


# "X怎么评价…", "X说了什么": questions about someone's words, which only their own quotes answer.
_ASKS_WORDS = re.compile(rf"评价|看法|观点|怎么看|如何看|认为|觉得|主张|态度|{SPEECH_ALT}")


# What someone is called or thought to be is not what they say: 被称为, 被认为, 又称, 号称 name things.
_NAMING = re.compile(rf"被(?:誉|{SPEECH_ALT})|[又别俗简统合通昵人尊堪号名]称|称[为作号]")
# A sentence reporting a view, its subject left out or a pronoun: "认为…", "他主张…".
_VIEW = re.compile(rf"^\s*(?:他|她|其)?(?:还|也|曾|则|更|一直|始终)?(?:主张|{SPEECH_ALT})")


def _about(person: str, sentence: Sentence, info: QuestionInfo) -> bool:
    """A fact about someone the passage names before it, told by the text itself ("罗保铭，天津人。…
    1992年4月，任…"): it answers what they did or were, never what they said or think."""
    if sentence.speaker:
        return False
    asked = _NAMING.sub("", info.text)
    asks_words = bool(_ASKS_WORDS.search(asked))
    # A later sentence of a paragraph that opens with them is about them; it gives their view when it
    # reports one with no other subject ("某某（…），哲学家。…认为哲学的中心问题是生命。") or
    # with the verb the question asks about ("…以「性格不合」为由宣布分手").
    if person in topic_of(sentence.hit.chunk.text, sentence.start) and (
        not asks_words or _VIEW.match(sentence.text) or any(verb in sentence.text for verb in re.findall(SPEECH_ALT, asked))
    ):
        return True
    if asks_words:
        return False
    before = sentence.hit.chunk.text[: sentence.start]
    return any(person in line and not is_credit_line(line) for line in re.split(r"[。！？!?\n]", before))


def supported(info: QuestionInfo, chosen: list[Sentence], hits: Sequence[Hit] = (), corpus: Corpus | None = None) -> bool:
    """Whether the chosen sentences support an answer at all."""
    if not chosen:
        return False
    if not placed(info, chosen[0], corpus):
        return False
    # An answer about a named person quotes or mentions them: a reporter named only in a byline has
    # no view to quote, and quoting the interviewee instead would misattribute it. Only names the
    # articles use for people count (jieba also tags district names as names).
    for person in info.people:
        if corpus is not None and corpus.is_person(person) is False:
            continue
        mentioned = any(person in h.chunk.text or person in context(h) for h in hits)
        if mentioned and not any(person in s.text or person in s.where or _about(person, s, info) for s in chosen):
            return False
    threshold = MIN_SIMILARITY_EN if info.english else MIN_SUPPORT
    if chosen[0].support < threshold:
        return False
    # "哪家报纸" is answered by a line naming the paper, not by whatever else matched.
    if asks_outlet(info.text) and not any(fits(info, s.hit, s.start, s.end) for s in chosen):
        return False
    # "具体是哪13条" is not answered by a sentence that names the thirteen without listing them.
    expected = asked_count(info.text)
    runs = [run_on(s) for s in chosen]  # as quoted: through the list it announces, to its full stop
    if expected >= 2 and max(sum(items_listed(s.text) for s in runs), items_marked(runs)) < expected:
        return False
    # A question asking for a figure or a date is not answered by a sentence without one, nor by a
    # figure about something else: "外贸进出口总额的目标" is not answered by a target for new projects.
    if info.kind not in ("number", "date"):
        return True
    # (A page's date line names nothing but the date, so date questions skip the topic test.)
    if info.kind == "date":
        return any(fits_type(info, s.text) for s in chosen)
    return any(fits_type(info, s.text) and on_topic(info, s) for s in chosen)


def missing(info: QuestionInfo, corpus: Corpus) -> list[str]:
    """Names, places, organisations and figures of the question that the corpus never mentions, and
    posts nobody quoted holds ("市委书记" when only the 市委副秘书长 was interviewed)."""
    absent = [
        term for term in info.specifics if not any(corpus.has(form) for form in forms(term))
        # A name jieba ran into the next word ("韩朗史称" as 韩朗史) is there as its start (韩朗).
        and not (term in info.people and _runs_on(term, info.text, corpus))
    ]
    absent += [org + title for org, title in posts(info.text) if not corpus.holds_post(org, title)]
    return list(dict.fromkeys(absent))


def _runs_on(name: str, question: str, corpus: Corpus) -> bool:
    """Whether a name the articles never use is one they do run into the next word: they have 韩朗
    and 史称 for the 韩朗史 of "韩朗史称什么" (not 郑晓明 where they have 郑晓东 and no 明说)."""
    at = question.find(name)
    following = question[at + len(name) : at + len(name) + 1] if at >= 0 else ""
    if len(name) < 3 or not following or not all(is_cjk(c) for c in name + following):
        return False
    return corpus.has(name[:-1]) and corpus.has(name[-1] + following)


def compose(
    question: str, hits: list[Hit], corpus: Corpus, similarity: Similarity | None = None,
    avoid: Sequence[str] = (), strict: bool = False, analogous: bool = False, model: SentenceModel | None = None,
) -> Answer:
    """The extractive answer: quotes with citations, or a plain refusal listing the closest passages.
    Quotes in `avoid` (what the conversation's last answer said) are repeated only if they answer
    clearly better than anything new, or (strict) if nothing else fits. A question that asks two
    things ("…在什么时间？在哪座城市举办？") gets quotes for each; a part the articles do not answer
    is named in a notice, and when the first part is not answered the question is refused."""
    info = analysed(question, corpus, analogous)
    chosen: list[Sentence] = []
    unanswered: list[str] = []
    absent_first: list[str] = []
    # "A和B各…" is asked of A and of B, each part answered or named as unanswered; only a question
    # naming people or departments keeps to one part, as their own passages answer for each of them.
    distributed = len(per_subject(question)) > 1 and len(named_groups(question, hits)) < 2
    parts = sub_questions(question, distribute=distributed)
    for index, part in enumerate(parts):
        part_info = info if part == question else analysed(part, corpus, analogous)
        absent = missing(part_info, corpus)
        # A later part is answered by something the earlier parts did not already quote, unless it asks
        # the same of another subject: one sentence often names both ("统筹:甲 美编:乙").
        later = index > 0 and not distributed
        said = (*avoid, *(s.text for s in chosen)) if later else avoid
        picks = [] if absent else choose(part_info, hits, corpus.idf, similarity, said, strict or later, model)
        if not supported(part_info, picks, hits, corpus):
            if index == 0 and not distributed:
                absent_first = absent
                break
            unanswered.append(part.split("）", 1)[-1])
            continue
        chosen += [s for s in picks if all(not _same_span(s, c) for c in chosen)]
    if not chosen:
        return refusal(question, info, hits, topic="、".join(absent_first) or None)
    chosen = [with_antecedent(s) for s in chosen]
    # A quote runs on through the list it announces, or from a semicolon to its full stop, unless that reaches another quote.
    longer = [run_on(s, question, first=n == 0) for n, s in enumerate(chosen)]
    chosen = _distinct([run if not any(overlaps(run, o) for o in chosen if o is not s) else s for s, run in zip(chosen, longer)])
    citations, lines = [], []
    for n, sentence in enumerate(chosen, start=1):
        citations.append(Citation(n, sentence.hit.chunk, sentence.text, sentence.start, sentence.end))
        lines.append(_attributed(sentence, n, info.english, first=n == 1, identity=bool(_ASKS_IDENTITY.search(question))))
    notices = tuple(f"文章中没有找到关于“{part.rstrip('？?')}”的信息。" for part in unanswered)
    return Answer(
        question=question, text="\n".join(lines), refused=False, citations=tuple(citations), hits=tuple(hits), notices=notices,
    )


def recut(term: str, has: Callable[[str], bool]) -> tuple[str, ...]:
    """A question word the articles never use, cut into the longest start and end they do use: jieba
    runs a name into the next character ("杨某现效力于" as 杨某现) and joins compounds the text
    writes apart (占地面积 against "占地约两平方公里"). () when it is used, or no part is."""
    # Figures and ordinals are facts as written: 第一次 is not 第一.
    if len(term) < 3 or not all(is_cjk(c) for c in term) or COUNTED.search(term) or has(term):
        return ()
    start = next((term[:n] for n in range(len(term) - 1, 1, -1) if has(term[:n])), "")
    end = next((term[-n:] for n in range(len(term) - 1, 1, -1) if has(term[-n:])), "")
    return tuple(dict.fromkeys(p for p in (start, end) if p))


def analysed(question: str, corpus: Corpus, analogous: bool) -> QuestionInfo:
    """The question as read over a corpus: words recut to the corpus's, common and unseen ones marked."""
    info = analyse(question)
    terms = tuple(dict.fromkeys(part for term in info.terms for part in (recut(term, corpus.has) or (term,))))
    info = replace(
        info, terms=terms, common=frozenset(t for t in terms if corpus.common(t)),
        # Chinese words only: a Latin term is matched whatever its case (mu5735 as MU5735), which has() is not.
        unseen=frozenset(t for t in terms if all(is_cjk(c) for c in t) and not any(corpus.has(form) for form in forms(t))),
    )
    if analogous:
        # "那商务局呢？" after 发改委's investment target asks for 商务局's counterpart figure, which
        # may measure something else: what the earlier question measured is not pinned down.
        info = replace(info, measure=())
    return info


def _distinct(chosen: list[Sentence]) -> list[Sentence]:
    """The quotes in order, without any that another one holds (a quote extended to the sentence
    before it may now hold a quote chosen on its own)."""
    kept: list[Sentence] = []
    for sentence in chosen:
        if any(_holds_span(k, sentence) for k in kept):
            continue
        inside = [i for i, k in enumerate(kept) if _holds_span(sentence, k)]
        if inside:
            kept[inside[0]] = sentence
            kept = [k for i, k in enumerate(kept) if i not in inside[1:]]
        else:
            kept.append(sentence)
    return kept


def _holds_span(outer: Sentence, inner: Sentence) -> bool:
    return outer.hit.chunk.id == inner.hit.chunk.id and outer.start <= inner.start and inner.end <= outer.end


def _same_span(a: Sentence, b: Sentence) -> bool:
    return a.hit.chunk.id == b.hit.chunk.id and a.start < b.end and b.start < a.end


# Questions about who someone is or what post they hold: the position is always shown.
_ASKS_IDENTITY = re.compile(r"职务|职位|身份|头衔|什么职|担任|是谁|哪位|叫什么|\bwho\b|\bposition\b|\brole\b", re.I)


def _attributed(sentence: Sentence, n: int, english: bool, first: bool, identity: bool = False) -> str:
    """'市工信局党组书记、局长王智明表示：“…”[1]'; the speaker is not repeated when the quote names them
    (unless the question asks who they are and the quote does not give their position)."""
    speaker, position = sentence.speaker, sentence.position
    who = f"{position}{speaker}"
    quote = sentence.text.strip()
    named = bool(speaker and speaker in quote or position and position in quote)
    if identity and position and position not in quote:
        named = False
    if is_credit_line(quote):
        who = ""  # a byline is the newspaper's, not something the interviewee said
    if len(quote) > 2 and quote[0] == quote[-1] == '"' and quote.count('"') == 2:
        quote = quote[1:-1]  # OCR's straight quotes around a whole quotation: shown as one “…”
    # A sentence that only opens or only closes a longer quotation ("“嘉定有…。", "选择嘉定…。”"): the
    # outer marks below stand for its one mark.
    if quote.startswith("“") and quote.count("“") == 1 and "”" not in quote:
        quote = quote[1:]
    if quote.endswith("”") and quote.count("”") == 1 and "“" not in quote:
        quote = quote[:-1]
    # Quotation marks inside a quotation become single ones (“…‘…’…”), as Chinese typesetting
    # nests them, so the quote still reads, and splits into claims, as one quotation.
    quoted = quote if _wrapped(quote) else "“" + _nested(quote) + "”"
    if english:
        lead = f"{who} said" if who and not named else ("The article reports" if first else "It adds")
        return f"{lead}: {quoted} [{n}]"
    return f"{who}表示：{quoted}[{n}]" if who and not named else f"{quoted}[{n}]"


def _nested(quote: str) -> str:
    """Double quotation marks as single ones, balanced: a quote cut from inside a longer quotation
    gets the mark it lacks at its start or end ("…。’林海说。‘选择…。" -> "‘…。’林海说。‘选择…。’")."""
    inner = quote.replace("“", "‘").replace("”", "’")
    depth = lowest = 0
    for char in inner:
        depth += (char == "‘") - (char == "’")
        lowest = min(lowest, depth)
    return "‘" * -lowest + inner + "’" * (depth - lowest)


def _wrapped(quote: str) -> bool:
    """Whether the quote is itself one quotation from its first to its last character."""
    if not quote.startswith("“") or not quote.endswith("”"):
        return False
    depth = 0
    for index, char in enumerate(quote):
        depth += char == "“"
        depth -= char == "”"
        if depth == 0 and index < len(quote) - 1:
            return False
    return True


def refusal(question: str, info: QuestionInfo, hits: list[Hit], related: int = 3, topic: str | None = None) -> Answer:
    """'文章中没有找到关于…的信息', with the closest passages listed as 可能相关 (possibly related)."""
    topic = topic or question.strip().rstrip("？?。.!！")
    if info.english:
        lines = [f"The articles do not contain information about “{topic}”."]
    else:
        lines = [f"文章中没有找到关于“{topic}”的信息。"]
    citations = []
    if hits:
        lines.append("Possibly related:" if info.english else "可能相关：")
    for n, hit in enumerate(hits[:related], start=1):
        spans = sentence_spans(hit.chunk.text) or [(0, len(hit.chunk.text))]
        # The passage's first sentence that says something: not a bare date line, byline or fragment.
        a, b = next((
            (a, b) for a, b in spans
            if len(re.sub(r"[\W\d_]", "", hit.chunk.text[a:b])) >= MIN_CHARS and not is_credit_line(hit.chunk.text[a:b])
        ), spans[0])
        citations.append(Citation(n, hit.chunk, hit.chunk.text[a:b], a, b))
        name, position = hit.chunk.voice_at(a, b)
        who = f"{position}{name}"
        lines.append(f"[{n}] {who + '：' if who else ''}{hit.chunk.text[a:b]}")
    return Answer(question=question, text="\n".join(lines), refused=True, citations=tuple(citations), hits=tuple(hits))
