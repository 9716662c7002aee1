"""The points of a statement, for "概括X的主要观点", "X谈了哪几方面" and "用在了哪些领域".

A speaker's points show in the text's own grammar, whatever the article is about: numbered
(一是…二是…, 第一…第二…, 首先…其次…, 一方面…另一方面…, 其中一种…另一种…), parallel
("在X领域，…在Y领域，…", "X方面，…Y方面，…"), introduced by the speaker ("X说，…", "他指出，…")
or by an additive connective ("此外，…", "与此同时，…"). A summary quotes those first, the rest of
what the speaker said only to fill, one sentence per point, in source order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from app.answer.candidates import Sentence, forms, overlaps, shared
from app.answer.kinds import garbled
from app.answer.question import NUMBER, QuestionInfo, asked_count
from app.ingest.speakers import SPEECH_ALT
from app.text import bigrams

_NUMERALS = "一二三四五六七八九十"
_CLAUSE_START = r"(?:^|(?<=[：:；;，,。！？!?]))[\s“”‘’\"']*"
# (family, pattern whose group 1 gives the position): one family of markers numbers one list.
_ORDINALS = (
    ("是", re.compile(_CLAUSE_START + r"([一二三四五六七八九十])是")),
    ("第", re.compile(_CLAUSE_START + r"第([一二三四五六七八九十])(?:[，、,：:]|是|个方面|方面|条|项)")),
    ("序", re.compile(_CLAUSE_START + r"(首先|其次|再次|最后)[，,]")),
    ("面", re.compile(_CLAUSE_START + r"(一方面|另一方面)")),
    ("括", re.compile(_CLAUSE_START + r"[（(]([一二三四五六七八九十])[）)]")),
)
# "其中一种…是…另一种是…", "一家名为…；另一家名为…", "一个是…，一个是…": items counted in turn.
_IN_TURN = re.compile(_CLAUSE_START + r"(?:其中)?(一|另一|第二|第三)([种个家位类名座部件])[\u4e00-\u9fff（）()A-Za-z]{0,8}?(?:是|为|名为|叫)")
_ORDER = {"首先": 1, "其次": 2, "再次": 3, "最后": 99, "一方面": 1, "另一方面": 2}
# "在自然资源领域，" "硬件方面，": an opening clause naming the field a point is about.
_FRAME = re.compile(_CLAUSE_START + r"(?!(?:一|另一|各|多|这|那|这一|其他)方面)(?:在|从|就|对)?([\u4e00-\u9fff“”、和与及]{1,14}?)(领域|方面|层面)[，,]")
_POINTER = re.compile(rf"^[\s“”]*(?:他|她|其)(?:还|也|同时|进一步|特别|最后)?(?:{SPEECH_ALT})")
# A sentence whose first clause is one character began in text the OCR lost ("上,务必进一步解放思想").
_CUT_OPEN = re.compile(r"^[\s“”]*[\u4e00-\u9fff][，,]")
_CONNECTIVE = re.compile(r"^[\s“”]*(?:此外|另外|与此同时|同时|另一方面|再者|除此之外|不仅如此)[，,]?")

# "概括X的主要观点", "X谈了哪几方面的打算": the main points of someone's statement, or of an article.
_ASKS_SUMMARY = re.compile(r"概括|总结|归纳|主要观点|主要内容|主要做法|主要看法|核心观点|要点|谈了哪些|谈了什么|summari[sz]e|main points", re.I)
# "抓好哪几方面的工作", "包括哪三个方面", "用在了哪些领域": the items of a list the text enumerates.
_ASKS_POINTS = re.compile(
    r"几方面|几个方面|哪些方面|哪[一二两三四五六七八九十\d]+个?方面|哪几点|哪些点|哪几项|哪几件|哪些工作|哪几条|哪些举措|哪些措施|几大"
    r"|哪些领域|哪几个领域|哪[一二两三四五六七八九十\d]+个?领域|几种|几类|哪[一二两三四五六七八九十\d]+[种类]")
MAX_POINTS = 6
MIN_POINTS = 3  # figures behind the points are quoted only to reach this many
MAX_POINT_CHARS = 160  # a longer sentence is quoted as a point only when it is an item of a list
SUMMARY_OVERLAP = 0.45  # two points sharing more of their character pairs say the same thing


def asks_summary(question: str) -> bool:
    return bool(_ASKS_SUMMARY.search(question))


def asks_points(question: str) -> bool:
    return bool(_ASKS_POINTS.search(question))


def marks(text: str) -> list[tuple[str, int, int]]:
    """(family, position, offset) of each list marker starting a clause of text: "一是" -> ("是", 1, 0);
    a parallel field ("在X领域，") has no position of its own: -1."""
    found = []
    for family, pattern in _ORDINALS:
        for match in pattern.finditer(text):
            word = match.group(1)
            found.append((family, _NUMERALS.index(word) + 1 if word in _NUMERALS else _ORDER[word], match.start(1)))
    turns: dict[str, int] = {}
    for match in _IN_TURN.finditer(text):
        word, counter = match.groups()
        # a second "一个是" in the same text is the second item
        position = turns.get(counter, 0) + 1 if word == "一" else {"另一": 2, "第二": 2, "第三": 3}[word]
        turns[counter] = position
        found.append((f"一{counter}", position, match.start(1)))
    for match in _FRAME.finditer(text):
        found.append((f"frame:{match.group(2)}", -1, match.start(1)))
    return found


def items_marked(sentences: Sequence[Sentence]) -> int:
    """How many items of one list the sentences hold between them ("一是…", "二是…", "三是…" -> 3)."""
    found: dict[str, set[int]] = {}
    for sentence in sentences:
        for family, position, offset in marks(sentence.text):
            found.setdefault(family, set()).add(position if position > 0 else sentence.hit.chunk.start + sentence.start + offset)
    return max((len(items) for items in found.values()), default=0)


def lists(sentences: Sequence[Sentence]) -> list[list[Sentence]]:
    """The enumerations among sentences: per section and family, the sentence holding each item, in
    item order (source order for parallel fields); only lists of two items or more. Of the spans
    holding an item, the one it opens is kept, else the best-scoring (sentences come best first)."""
    groups: dict[tuple[str, str], dict[int, tuple[int, Sentence]]] = {}
    for sentence in sentences:
        for family, position, offset in marks(sentence.text):
            items = groups.setdefault((sentence.hit.chunk.section_id, family), {})
            key = position if position > 0 else sentence.hit.chunk.start + sentence.start + offset
            if key not in items or offset < items[key][0]:
                items[key] = (offset, sentence)
    out = []
    for items in groups.values():
        if len(items) >= 2:  # one sentence may hold several items ("一是…；二是…")
            out.append(list({id(s): s for _, (_, s) in sorted(items.items())}.values()))
    return out


def enumerated(info: QuestionInfo, ranked: list[Sentence], floor: float, named: set[str] | None = None) -> list[Sentence]:
    """The items of the list that best answers a question asking for points, in order: with an item
    in the passages of the speaker or department the question names (`named`), else with an item
    scoring at least floor (another speaker's numbered list does not answer "郑州工业差在哪几个方面",
    nor a list that merely shares a word with the question's department)."""
    if not ranked or not asks_points(info.text):
        return []

    def relevant(items: list[Sentence]) -> bool:
        if named is not None:
            return any(s.hit.chunk.id in named for s in items)
        return max(s.score for s in [*items, *lead_in(items[0], ranked)]) >= floor

    found = [items for items in lists(ranked) if relevant(items)]
    best = max(found, key=lambda items: (len(items), max(s.score for s in items)), default=[])
    return best[:MAX_POINTS]


def lead_in(first: Sentence, ranked: Sequence[Sentence]) -> list[Sentence]:
    """The sentence that introduces a list, just before its first item in the same passage ("…探索更
    可持续的更新模式。" before "其中一种模式是…"): what the list is about, when its items do not say."""
    return [s for s in ranked if s.hit.chunk.id == first.hit.chunk.id and 0 <= first.start - s.end <= 2 and s.start < first.start][:1]


def said_by(sentence: Sentence, name: str) -> bool:
    """Whether the sentence itself says that this person speaks: "X说，…", "据X介绍，…", "他指出，…"."""
    text = sentence.text
    if _POINTER.search(text) and sentence.speaker == name:
        return True
    return any(re.search(re.escape(form) + rf"[^，。；！？,;!?]{{0,40}}?(?:{SPEECH_ALT})", text) for form in forms(name))


def opens_point(sentence: Sentence) -> bool:
    return bool(_CONNECTIVE.search(sentence.text))


def _distinct(chosen: list[Sentence], sentence: Sentence) -> bool:
    return all(not overlaps(sentence, other) and shared(sentence.text, other.text) < SUMMARY_OVERLAP for other in chosen)


def _member(sentence: Sentence, pool: list[Sentence], name: str) -> bool:
    """Whether a sentence left out of the pool for its length belongs to it (same speaker, section or article)."""
    if name:
        return sentence.speaker in ("", name) and any(sentence.hit.chunk.section_id == s.hit.chunk.section_id for s in pool)
    return any(sentence.hit.chunk.article_id == s.hit.chunk.article_id for s in pool)


def summary(info: QuestionInfo, ranked: list[Sentence]) -> list[Sentence]:
    """Up to six points of the person the question names (else of the best passage's article): a list
    the speaker enumerated, then what the text says they said, then points a connective opens, then
    the rest by relevance and centrality (sentences of figures, or OCR could not repair, only to reach
    MIN_POINTS); each saying something the others do not, in source order."""
    if not ranked:
        return []
    ones = [s for s in ranked if not any(c in s.text.rstrip("”’\"'）)")[:-1] for c in "。！？!?")]
    singles = [s for s in ones if s.end - s.start <= MAX_POINT_CHARS] or ranked
    names = [n for n in dict.fromkeys(n for s in singles for n in s.hit.chunk.names) if n in info.text]
    name = names[0] if names else ""
    if name:
        # Their sections: what follows "X介绍，" in a press report is X's account even where no sentence
        # repeats who speaks; sentences another speaker is said to say are left out.
        sections = {s.hit.chunk.section_id for s in singles if name in s.hit.chunk.names}
        pool = [s for s in singles if s.hit.chunk.section_id in sections and s.speaker in ("", name)]
    else:
        article = ranked[0].hit.chunk.article_id
        pool = [s for s in singles if s.hit.chunk.article_id == article]
    pool = list({(s.hit.chunk.id, s.start): s for s in pool}.values())
    # A list's items are quoted whatever their length; asked for as many items as it has ("包括哪三个方面"),
    # only they are.
    speaking = {(s.hit.chunk.id, s.start) for s in pool}
    listable = [s for s in ones if (s.hit.chunk.id, s.start) in speaking or (s.end - s.start > MAX_POINT_CHARS and _member(s, pool, name))]
    listed = max(lists(listable), key=lambda items: (len(items), max(s.score for s in items)), default=[])
    if len(listed) >= 2 and asked_count(info.text) == len(listed):
        return listed[:MAX_POINTS]
    if len(pool) < 2:
        return []
    grams = [set(bigrams(s.text)) for s in pool]

    def similarity(i: int, j: int) -> float:
        a, b = grams[i], grams[j]
        return len(a & b) / min(len(a), len(b)) if a and b else 0.0

    centrality = [sum(similarity(i, j) for j in range(len(pool)) if j != i) / (len(pool) - 1) for i in range(len(pool))]
    top = max(s.score for s in pool) or 1.0
    value = {id(s): 0.5 * s.score / top + 0.5 * c for s, c in zip(pool, centrality)}

    def tier(sentence: Sentence) -> int:
        if _CUT_OPEN.match(sentence.text) or garbled(sentence.text):
            return 4  # OCR lost its start ("上,务必进一步…") or interleaved columns: only if nothing else
        if name and said_by(sentence, name):
            return 0
        if opens_point(sentence):
            return 1
        # A sentence of figures ("截至目前，累计引进品牌1100余个") backs a point rather than makes one.
        return 3 if NUMBER.search(sentence.text) else 2

    # The items of a list are distinct points however alike their wording ("一是在X方面", "二是在Y方面").
    chosen = listed[:MAX_POINTS]
    for sentence in sorted(pool, key=lambda s: (tier(s), -value[id(s)])):
        if len(chosen) >= MAX_POINTS or (tier(sentence) >= 3 and len(chosen) >= MIN_POINTS):
            break
        if _distinct(chosen, sentence):
            chosen.append(sentence)
    return sorted(chosen, key=lambda s: (s.hit.chunk.article_id, s.hit.chunk.start + s.start))
