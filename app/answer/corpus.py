"""What the answerer knows about the text it answers from: term statistics, mentions, who holds which
post. StoreCorpus reads them from a passage store (the index folder or Milvus) through its own look-ups,
never by scanning passages; LocalCorpus is the same over a handful of passages given with a question."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any, Protocol

from app.answer.candidates import forms
from app.answer.entities import Entities
from app.answer.question import posts
from app.dates import DATE_TERM, date_forms
from app.index.bm25 import is_common
from app.text import PLACE_SUFFIXES, bigrams

# Figures and ordinals of content (第一条, 第三项) must occur as written; 第一篇 or 第二版 may be how
# the asker refers to an article or page, so those keep the looser test of StoreCorpus.has.
_EXACT_TERM = re.compile(r"\d|^第[一二三四五六七八九十百千]+(?![篇版期章节部])")
MENTIONS_KEPT = 1024  # answers to "is this figure mentioned anywhere", kept per corpus



class Corpus(Protocol):
    """What the answerer needs to know about the text it answers from."""

    def idf(self, term: str) -> float: ...

    def has(self, term: str) -> bool: ...

    def common(self, term: str) -> bool: ...

    def holds_post(self, organisation: str, title: str) -> bool: ...

    def article_text(self, article_id: str) -> str: ...

    def is_person(self, name: str) -> bool | None: ...


class LocalCorpus:
    """A corpus of just the given passages (when passages come from elsewhere than the index)."""

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts

    def idf(self, term: str) -> float:
        df = sum(term in t for t in self.texts)
        return math.log(1.0 + (len(self.texts) - df + 0.5) / (df + 0.5))

    def has(self, term: str) -> bool:
        return any(form in t for form in forms(term) for t in self.texts)

    def common(self, term: str) -> bool:
        return is_common(sum(term in t for t in self.texts), len(self.texts))

    def holds_post(self, organisation: str, title: str) -> bool:
        return True  # plain passages carry no positions

    def article_text(self, article_id: str) -> str:
        return ""  # each passage is its own article

    def is_person(self, name: str) -> bool | None:
        return None  # unknown: plain passages name no speakers


def post_holders(people: Sequence[tuple[str, str]], organisation: str, title: str) -> list[str] | None:
    """Who among `people` ((name, position) pairs) holds the post: their names, or positions when
    unnamed. None when no position names the organisation (an alias such as 文旅): not decided here.
    The organisation is tried as written (宜昌市), then from its administrative unit on (郑州市委 as 市委)."""
    variants = [organisation] if organisation else [""]
    if (unit := re.sub(r"^.*?(?=[市省区县])", "", organisation)) and unit != organisation:
        variants.append(unit)
    for org in variants:
        with_org = [(n, p) for n, p in people if any(form in p for form in forms(org))] if org else list(people)
        if with_org or not org:
            break
    else:
        return None
    # 副局长 does not hold the post of 局长.
    pattern = re.escape(title) if title.startswith("副") else rf"(?<!副){re.escape(title)}"
    return [n or p for n, p in with_org if re.search(pattern, p)]


def holds_post(people: list[str], organisation: str, title: str) -> bool:
    """Whether someone among `people` ("position+name" strings) holds the post (see post_holders)."""
    found = post_holders([("", p) for p in people], organisation, title)
    return found is None or bool(found)


class StoreCorpus:
    """The Corpus of a passage store. Built once per store; its caches only remember answers the store
    gave, so sharing one between requests is safe."""

    def __init__(self, index: Any, entities: Entities) -> None:
        self.index = index  # a PassageStore (app.index.stores)
        self.entities = entities
        self._mention_cache: dict[str, bool] = {}
        self._people: list[tuple[str, str]] | None = None

    def idf(self, term: str) -> float:
        """BM25 idf of a term in the index; a term the corpus never uses counts as rarest."""
        df, n = self._doc_freq(term), self.index.n_docs
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def _doc_freq(self, term: str) -> int:
        """Passages holding a term, looked up as BM25 stores terms (lower-cased: GDP as gdp)."""
        return self.index.doc_freq(term.lower())

    def _posts(self) -> list[tuple[str, str]]:
        """(name, position) of everyone the articles quote or introduce with a title, once."""
        if self._people is None:
            people = self.index.people()
            self._people = sorted(
                {(c.speaker, c.position) for c in people if c.position or c.speaker}
                | {(v[2], v[3]) for c in people for v in c.voices}
                | {(name, position) for a in self.index.articles for name, position in a.get("people", [])}
            )
        return self._people

    def holds_post(self, organisation: str, title: str) -> bool:
        """Whether a quoted person's position holds the post (see post_holders)."""
        found = post_holders(self._posts(), organisation, title)
        return found is None or bool(found)

    def holders(self, question: str) -> list[str]:
        """The people holding the posts a question names ("宜昌市双拥办主任…是谁"), by name: one for each
        post, or none at all when some post has no single holder, so that a question about two posts
        is never narrowed to the one whose holder is known."""
        names: list[str] = []
        for organisation, title in posts(question):
            if not organisation:
                continue
            found = [n for n in post_holders(self._posts(), organisation, title) or () if n in self.entities.people]
            if len(found) != 1:
                return []
            names += found
        return list(dict.fromkeys(names))

    def article_text(self, article_id: str) -> str:
        """The text of an indexed article (its passages joined), for constraints such as a place."""
        return self.index.article_text(article_id)

    def is_person(self, name: str) -> bool | None:
        """True for a person the articles quote or introduce; False for a name the articles use as a
        place (东湖 of 东湖区); None when the articles do not say."""
        if name in self.entities.people:
            return True
        if self.index.known_terms([f"{name}{suffix}" for suffix in PLACE_SUFFIXES]):
            return False
        return None

    def common(self, term: str) -> bool:
        """Whether a term is in a large share of the passages (see is_common)."""
        return is_common(self._doc_freq(term), self.index.n_docs)

    def has(self, term: str) -> bool:
        """Whether the corpus mentions a term: as a word, or (for Chinese) most of its character pairs."""
        if _EXACT_TERM.search(term):
            # Figures and ordinals are facts: 第一条 is not mentioned because 第一 and 一条 are.
            return self._mentions(term)
        pairs = bigrams(term)
        known = self.index.known_terms([term.lower(), *pairs])
        if term.lower() in known:
            return True
        return bool(pairs) and sum(p in known for p in pairs) * 2 >= len(pairs)

    def _mentions(self, term: str) -> bool:
        # Requests share this cache: a value is computed, then stored, then returned from the local,
        # so another request clearing the cache in between cannot make this one fail.
        known = self._mention_cache.get(term)
        if known is None:
            if DATE_TERM.fullmatch(term):  # a day is also known from the articles' dates, however written
                days = " ".join(date_forms(d) for d in self.index.dates())
                known = any(v in days or self.index.mentions(v) for v in forms(term))
            else:
                known = self.index.mentions(term)
            if len(self._mention_cache) > MENTIONS_KEPT:
                self._mention_cache = {}
            self._mention_cache[term] = known
        return known
