"""Pure text helpers: character classes, sentence spans, jieba tokens."""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import warnings
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Full-width punctuation, CJK symbols and curly quotes: never separated from Chinese by a space.
CJK_PUNCT = "\u3000-\u303f\uff00-\uffef\u2018\u2019\u201c\u201d\u2014\u2026\u00b7"
_TERMINATORS = "。！？；!?;"
# What may close a sentence after its terminator: quotes and brackets.
CLOSERS = "”’\"'」』）)】"
# General grammar of Chinese names, one definition for every stage: what ends a place name (省, 新区)
# and an organisation's name (局, 委员会, 公司). Words, never a list of particular places or bodies.
PLACE_SUFFIXES = ("自治区", "新区", "省", "市", "区", "县", "州", "镇", "乡", "村")
ORGANISATION_SUFFIXES = (
    "管委会", "委员会", "办公室", "总局", "党工委", "政府", "机关", "中心", "公司", "集团", "大学", "学校", "银行",
    "协会", "学会", "商会", "局", "委", "办", "室", "厅", "部", "院", "所", "处", "署", "会", "馆", "站", "队",
)
TITLE_MAX_CHARS = 30  # a terminator this close before a 》 is part of the title it closes
_SENTENCE_END = re.compile(f"[{_TERMINATORS}]+[{CLOSERS}]*|\n+")
_CLAUSE_END = re.compile(f"[，,、：:{_TERMINATORS}]+[{CLOSERS}]*")
_WORD_RE = re.compile(f"[{CJK}]|[A-Za-z0-9]")

log = logging.getLogger(__name__)


def is_cjk(char: str) -> bool:
    code = ord(char)
    return 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF


def cjk_ratio(text: str) -> float:
    """Share of Chinese characters among the non-space characters of text."""
    visible = [c for c in text if not c.isspace()]
    if not visible:
        return 0.0
    return sum(1 for c in visible if is_cjk(c)) / len(visible)


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Spans of sentences in text[start:end]: each ends after its terminator and closing quotes.

    Whitespace between sentences belongs to no span; the spans and that whitespace tile the range.
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    pos = start
    for match in _SENTENCE_END.finditer(text, start, end):
        if match.group().strip() and _in_title(text, pos, match.start(), end):
            continue  # "《卡拉OK.LIVE！‧台北‧我》" is one title, not two sentences
        stop = match.end() if match.group().strip() else match.start()
        _append_stripped(text, pos, stop, spans)
        pos = match.end()
    _append_stripped(text, pos, end, spans)
    return spans


def _in_title(text: str, pos: int, at: int, end: int) -> bool:
    """Whether `at` lies inside a 《title》 opened since pos and closed soon after on the same line."""
    opened = text.rfind("《", pos, at)
    if opened < 0 or text.find("》", opened, at) >= 0:
        return False
    close = text.find("》", at, min(end, at + TITLE_MAX_CHARS))
    return close >= 0 and "\n" not in text[at:close]


def clause_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split one long sentence at commas and enumeration marks, for passages that must be short."""
    spans: list[tuple[int, int]] = []
    pos = start
    for match in _CLAUSE_END.finditer(text, start, end):
        _append_stripped(text, pos, match.end(), spans)
        pos = match.end()
    _append_stripped(text, pos, end, spans)
    return spans


def _append_stripped(text: str, start: int, stop: int, spans: list[tuple[int, int]]) -> None:
    while start < stop and text[start].isspace():
        start += 1
    while stop > start and text[stop - 1].isspace():
        stop -= 1
    if stop > start:
        spans.append((start, stop))


def has_words(text: str) -> bool:
    """True when text holds at least one Chinese character, letter or digit."""
    return bool(_WORD_RE.search(text))


def _data_lines(name: str) -> list[str]:
    raw = resources.files("app.data").joinpath(name).read_text(encoding="utf-8")
    return [line.strip() for line in raw.splitlines() if line.strip() and not line.startswith("#")]


@functools.lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    return frozenset(_data_lines("stopwords.txt"))


@functools.lru_cache(maxsize=1)
def cities() -> frozenset[str]:
    return frozenset(_data_lines("cities.txt"))


@functools.lru_cache(maxsize=1)
def synonyms() -> tuple[tuple[str, ...], ...]:
    """Groups of interchangeable names (发改委 / 发展改革委 …), one tab-separated group a line."""
    return tuple(tuple(part.strip() for part in line.split("\t") if part.strip()) for line in _data_lines("synonyms.tsv"))


@functools.lru_cache(maxsize=1)
def lexicon_fingerprint() -> str:
    """What lexical tokens depend on besides the text: the word lists and jieba's version. An index
    whose tokens were made under another lexicon is re-tokenised (not re-embedded) by the next build."""
    import importlib.metadata

    digest = hashlib.sha256(importlib.metadata.version("jieba").encode())
    for name in ("userdict.txt", "synonyms.tsv", "stopwords.txt"):
        digest.update("\n".join(_data_lines(name)).encode())
    return digest.hexdigest()[:16]


@functools.lru_cache(maxsize=1)
def _jieba():  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        # jieba asks setuptools' pkg_resources for its dictionary path, which warns where setuptools < 81
        # is installed (the milvus extra pins it); the warning says nothing a user can act on.
        warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
        import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    # jieba caches its dictionary with marshal; keep that file in a folder only this user can write,
    # not in the shared temp folder where another user could plant one.
    private = Path.home() / ".cache" / "biaogan" / "jieba"
    private.mkdir(parents=True, exist_ok=True, mode=0o700)
    tokenizer.tmp_dir = str(private)
    for word in _data_lines("userdict.txt"):
        tokenizer.add_word(word, freq=None)
    for group in synonyms():
        for word in group:
            tokenizer.add_word(word, freq=None)
    return tokenizer


# The dictionary's own tags of words add_words has since tagged as names (江南 is a place, ns,
# though a consul general may be called 江南), for common_word.
_DICTIONARY_TAGS: dict[str, str] = {}


def add_words(names: list[str]) -> None:
    """Teach the tokenizer names found in the corpus (speakers), so "严波谈" splits as 严波 + 谈."""
    tokenizer = _jieba()
    tags = _posseg().word_tag_tab
    for name in names:
        if name and len(name) >= 2:
            if name in tags:
                _DICTIONARY_TAGS.setdefault(name, tags[name])
            tokenizer.add_word(name, freq=None, tag="nr")


def _kept(tokens: Iterable[str]) -> list[str]:
    """Lower-cased tokens that hold a word and are not stopwords."""
    stop = stopwords()
    kept = (token.strip().lower() for token in tokens)
    return [token for token in kept if token and has_words(token) and token not in stop]


def tokenize(text: str) -> list[str]:
    """jieba search-mode tokens (whole words and their parts), for BM25."""
    return _kept(_jieba().cut_for_search(text))


@functools.lru_cache(maxsize=4096)
def subwords(term: str) -> tuple[str, ...]:
    """The words inside a compound of four or more characters (固定资产投资 -> 固定, 资产, 投资, 固定资产)."""
    if len(term) < 4 or not is_cjk(term[0]):
        return ()
    return tuple(w for w in dict.fromkeys(_kept(_jieba().cut_for_search(term))) if 2 <= len(w) < len(term))


def segments(text: str) -> list[str]:
    """jieba accurate-mode tokens of text, punctuation and stopwords included: they join back to text."""
    return list(_jieba().cut(text))


def words(text: str) -> list[str]:
    """Content words of text (jieba accurate mode), without punctuation and stopwords."""
    return _kept(_jieba().cut(text))


@functools.lru_cache(maxsize=1)
def _posseg():  # type: ignore[no-untyped-def]
    tokenizer = _jieba()  # imports jieba quietly first
    from jieba import posseg

    return posseg.POSTokenizer(tokenizer)


_DIGITS = "〇一二三四五六七八九"


def spelled_number(digits: str) -> tuple[str, ...]:
    """How Chinese text spells a number written in digits: 23 as 二十三, the year 1992 as 一九九二 (or
    with 零). Only numbers whose spelling is two characters or more and rarely anything else: 11–99 and
    four-digit years; 一 to 十 are inside too many words."""
    if not digits.isdigit():
        return ()
    number = int(digits)
    if 11 <= number <= 99 and len(digits) == 2:
        tens, ones = divmod(number, 10)
        return ((_DIGITS[tens] if tens > 1 else "") + "十" + (_DIGITS[ones] if ones else ""),)
    if len(digits) == 4 and 1000 <= number <= 2099:
        spelled = "".join(_DIGITS[int(d)] for d in digits)
        return tuple(dict.fromkeys((spelled, spelled.replace("〇", "零"))))
    return ()


def dictionary_tag(word: str) -> str:
    """The part-of-speech tag jieba's dictionary gives a word ("" when it does not list it)."""
    return _DICTIONARY_TAGS.get(word) or _posseg().word_tag_tab.get(word, "")


def common_word(word: str) -> bool:
    """Whether jieba's dictionary lists the word as something other than a person's name: 全国, 强调,
    江南 are words; 汪洋 is listed as a name, and a name it does not list is not a common word."""
    tag = dictionary_tag(word)
    return bool(tag) and not tag.startswith("nr")


# jieba's part-of-speech HMM costs about 3 ms for each character outside its dictionary, so a question of
# 2,000 random characters took 16 s. Only this many characters of a text are tagged with the HMM (names
# the dictionary lacks are found there); the rest is tagged from the dictionary alone, which is linear
# and fast. Questions are rarely longer, and every speaker in the corpus is in the dictionary.
TAG_HMM_CHARS = 48
_CLAUSE_BREAK = re.compile(f"(?<=[，,、：:；;。！？!?\\s{_TERMINATORS}])")


def tagged(text: str) -> list[tuple[str, str]]:
    """(word, jieba part-of-speech tag) pairs; the HMM sees at most TAG_HMM_CHARS characters, whole clauses first."""
    tagger = _posseg()
    pairs: list[tuple[str, str]] = []
    budget = TAG_HMM_CHARS
    for clause in _CLAUSE_BREAK.split(text):
        hmm = len(clause) <= budget
        budget -= len(clause) if hmm else 0
        pairs += [(pair.word, pair.flag) for pair in tagger.cut(clause, HMM=hmm)]
    return pairs


def bigrams(text: str) -> list[str]:
    """Overlapping Chinese character bigrams, marked so they never collide with jieba words."""
    return [f"#{text[i:i + 2]}" for i in range(len(text) - 1) if is_cjk(text[i]) and is_cjk(text[i + 1])]


def lexical_tokens(text: str) -> list[str]:
    """What BM25 matches on: jieba words plus character bigrams (robust to segmentation misses)."""
    return tokenize(text) + bigrams(text)


def name_pinyin(name: str) -> str:
    """How English text writes a Chinese name: 王智明 -> "wang zhiming wangzhiming"."""
    from pypinyin import lazy_pinyin

    syllables = [s for s in lazy_pinyin(name) if s.isascii() and s.isalpha()]
    if len(syllables) < 2:
        return ""
    surname, given = syllables[0], "".join(syllables[1:])
    return f"{surname} {given} {surname}{given}"


@functools.lru_cache(maxsize=1)
def _city_pinyin() -> tuple[tuple[str, str], ...]:
    from pypinyin import lazy_pinyin

    return tuple((city, "".join(lazy_pinyin(city))) for city in sorted(cities()))


def english_places(text: str) -> tuple[str, ...]:
    """Known cities an English text names, in Chinese ("Suzhou and Ningbo" -> 苏州, 宁波)."""
    lowered = re.sub(r"[^a-z]+", " ", text.lower())
    return tuple(city for city, spelled in _city_pinyin() if re.search(rf"\b{spelled}\b", lowered))


def expand_synonyms(text: str) -> str:
    """Append the other names of any known alias found in text (for lexical queries)."""
    extra = [alt for group in synonyms() if any(w in text for w in group) for alt in group if alt not in text]
    return text + (" " + " ".join(extra) if extra else "")
