"""Who and what a question names, as the articles name them: people (with their posts, articles and
pinyin for English questions), departments by every alias, and cities. Built once per index from its
passages; follow-up resolution and the answerer share it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from app.schema import Chunk
from app.text import cities, name_pinyin, synonyms

_ROLE_SUFFIX = re.compile(r"(?:党工委|党组|相关负责人|负责人)$")


@dataclass(frozen=True)
class Entities:
    """Names that can be carried from one turn to the next: people, departments, cities. Read-only once
    built: one is shared by every request of a pipeline."""

    people: Mapping[str, str] = field(default_factory=dict)  # name -> department
    positions: Mapping[str, str] = field(default_factory=dict)  # name -> position
    articles: Mapping[str, str] = field(default_factory=dict)  # name -> the article that first quotes them
    pinyin: Mapping[str, str] = field(default_factory=dict)  # "wang ming" -> 王明, for English questions
    departments: Mapping[str, str] = field(default_factory=dict)  # alias -> canonical department
    cities: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("people", "positions", "articles", "pinyin", "departments"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))

    @classmethod
    def from_chunks(cls, chunks: list[Chunk]) -> Entities:
        people: dict[str, str] = {}
        positions: dict[str, str] = {}
        articles: dict[str, str] = {}
        pinyin: dict[str, str] = {}
        departments: dict[str, str] = {}
        for chunk in chunks:
            for name, position in ((chunk.speaker, chunk.position), *((v[2], v[3]) for v in chunk.voices)):
                if not name:
                    continue
                positions.setdefault(name, position)
                articles.setdefault(name, chunk.article_id)
                people.setdefault(name, chunk.department if name == chunk.speaker else "")
                romanised = " ".join(name_pinyin(name).split()[:2])
                if romanised:
                    pinyin.setdefault(romanised, name)
            if chunk.department:
                for alias in _aliases(chunk.department):
                    departments.setdefault(alias, chunk.department)
        for group in synonyms():
            known = set(departments.values())
            canonical = next((d for g in group for d in known if g in d), None)
            for alias in group:
                departments.setdefault(alias, canonical or group[0])
        return cls(people, positions, articles, pinyin, departments, tuple(sorted(cities())))

    def find(self, text: str) -> dict[str, list[str]]:
        """Entity mentions in text by kind, longest alias first, in order of appearance."""
        found: dict[str, list[str]] = {"person": [], "department": [], "city": []}
        for kind, names in (("person", self.people), ("department", self.departments), ("city", self.cities)):
            hits = [(text.find(n), n) for n in sorted(names, key=len, reverse=True) if n and n in text]
            for _, name in sorted(hits):
                if not any(name in other for other in found[kind]):
                    found[kind].append(name)
        lowered = text.lower()
        found["person"] += [name for alias, name in self.pinyin.items() if alias in lowered and name not in found["person"]]
        return found


def _aliases(department: str) -> set[str]:
    bare = _ROLE_SUFFIX.sub("", department)
    # "市商务局" is also "商务局", but "市委政研室" does not shorten to "委政研室".
    short = bare[1:] if bare.startswith("市") and not bare.startswith("市委") else bare
    return {department, bare, short} - {""}
