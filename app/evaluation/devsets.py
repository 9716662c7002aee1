"""Development sets read in place from ../shared/benchmarks: news-dev (30 real news articles, two
layouts, 120 questions and 10 conversations) and the CMRC 2018 trial set (reader protocol).

Nothing is copied into the repository: the articles are indexed from their own folder into the
cache, and the questions are read into the same Question shape as eval/*.jsonl.
"""

from __future__ import annotations

import json
import logging
import re
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from tqdm import tqdm

from app.errors import InputError
from app.evaluation.metrics import Question
from app.schema import Answer

log = logging.getLogger(__name__)

NEWS_DEV_HINT = "pass --benchmarks DIR, the folder holding news-dev/ and cmrc2018/ (../shared/benchmarks)"
# The two layouts of news-dev: the corpus line as published, and the same text split into paragraphs.
NEWS_DEV_LAYOUTS = {"news-dev": "articles", "news-dev-paragraphs": "articles-paragraphs"}


def news_dev_folder(root: Path, dataset: str) -> Path:
    """The articles folder of one news-dev layout."""
    folder = root / "news-dev" / NEWS_DEV_LAYOUTS[dataset]
    if not folder.is_dir():
        raise InputError(f"news-dev articles not found: {folder}", NEWS_DEV_HINT)
    return folder


def _alternatives(element: str) -> list[str]:
    return [option for option in element.split("|") if option]


def news_dev_questions(root: Path) -> list[Question]:
    """qa.jsonl and conversations.jsonl as Questions; a conversation's last turn is the one scored."""
    folder = root / "news-dev"
    questions: list[Question] = []
    for name in ("qa.jsonl", "conversations.jsonl"):
        path = folder / name
        if not path.is_file():
            raise InputError(f"news-dev question file not found: {path}", NEWS_DEV_HINT)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                if "turns" in row:
                    questions.append(Question(
                        row["id"], "followup", tuple(row["turns"]), "",
                        tuple(_alternatives(e) for e in row["answer_must_last"]), tuple(row["evidence_last"]),
                        {"article": row.get("article", "")},
                    ))
                else:
                    questions.append(Question(
                        row["id"], row["kind"], (row["question"],), "",
                        tuple(_alternatives(e) for e in row["answer_must"]), tuple(row["evidence"]),
                        {"article": row.get("article", ""), "speaker": row.get("speaker", "")},
                    ))
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise InputError(f"{path}:{number} is not a valid news-dev row ({exc})", NEWS_DEV_HINT) from exc
    return questions


@dataclass(frozen=True)
class ArticleKey:
    """What news-dev's README says of one article: its named speakers, and whether it is an interview."""

    speakers: frozenset[str]
    interview: bool


_UNNAMED = re.compile(r"[（(][^)）]*[)）]")


def article_keys(root: Path) -> dict[str, ArticleKey]:
    """The "Articles" table of news-dev's README, by file name without .txt; {} when it has none."""
    path = root / "news-dev" / "README.md"
    keys: dict[str, ArticleKey] = {}
    if not path.is_file():
        return keys
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 6 or not re.match(r"\d{2}_", cells[0]):
            continue
        names = frozenset(n.strip() for n in _UNNAMED.sub("", cells[5]).split(",") if re.fullmatch(r"[\u4e00-\u9fff·]{2,8}", n.strip()))
        keys[cells[0]] = ArticleKey(names, cells[4].startswith("interview") or "答记者问" in cells[4] or "reporter interviews" in cells[4])
    return keys


def structure(chunks: list[Any], keys: dict[str, ArticleKey]) -> dict[str, Any]:
    """How the indexed articles' structure matches the README: named speakers found as speakers of
    sections or sentences (recall, and precision of the names found), and interviews read as interview
    sections."""
    found: dict[str, set[str]] = {}
    interviews: dict[str, set[str]] = {}
    for chunk in chunks:
        article = Path(chunk.source).stem
        found.setdefault(article, set()).update(chunk.names)
        if chunk.section_kind == "interview":
            interviews.setdefault(article, set()).add(chunk.speaker)
    named = sum(len(k.speakers) for k in keys.values())
    hit = sum(len(k.speakers & found.get(a, set())) for a, k in keys.items())
    attributed = sum(len(found.get(a, set())) for a in keys)
    interview_articles = [a for a, k in keys.items() if k.interview]
    read = [a for a in interview_articles if a in interviews and (not keys[a].speakers or interviews[a] & keys[a].speakers)]
    return {
        "named_speakers": named, "speakers_found": hit, "speaker_recall": hit / named if named else 0.0,
        "names_attributed": attributed, "speaker_precision": hit / attributed if attributed else 0.0,
        "interviews": len(interview_articles), "interviews_read": len(read),
    }


@dataclass(frozen=True)
class ReadingItem:
    """One reading-comprehension question over one given paragraph."""

    id: str
    question: str
    context: str
    answers: tuple[str, ...]


def cmrc_items(root: Path) -> list[ReadingItem]:
    """The CMRC 2018 trial set (SQuAD format): every question with its paragraph and gold spans."""
    path = root / "cmrc2018" / "cmrc2018_trial.json"
    if not path.is_file():
        raise InputError(f"CMRC 2018 trial set not found: {path}", NEWS_DEV_HINT)
    data = json.loads(path.read_text(encoding="utf-8"))
    items = []
    for article in data["data"]:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                answers = tuple(dict.fromkeys(a["text"] for a in qa["answers"] if a["text"].strip()))
                if answers:
                    items.append(ReadingItem(qa["id"], qa["question"], paragraph["context"], answers))
    return items


# Punctuation is ignored when a gold span is looked for, as the official CMRC 2018 evaluation does
# (its remove_punctuation): "8个村、2个社区。" is held by a quote "辖8个村、2个社区；", and quotation
# marks nested as ‘…’ inside a quote still match the gold's “…”.
_PUNCTUATION = re.compile(r"[\s\-:_*^/\\~`+=，。：？！“”；‘’《》…·、「」（）－～『』,.;?!'\"()\[\]]")


def _squash(text: str) -> str:
    return _PUNCTUATION.sub("", text)


def run_reading(answer_fn: Callable[[str, list[str]], Answer], items: list[ReadingItem], progress: bool = False) -> dict[str, Any]:
    """Give each question its paragraph; the answer is right when its quotes hold a gold span."""
    rows = []
    for item in tqdm(items, desc="reader", disable=not progress):
        answer = answer_fn(item.question, [item.context])
        quotes = "".join(c.quote for c in answer.citations) if not answer.refused else ""
        held = any(_squash(a) in _squash(quotes) for a in item.answers)
        exact = any("".join(a.split()) in "".join(quotes.split()) for a in item.answers)  # punctuation and all
        rows.append({
            "id": item.id, "question": item.question, "answer": answer.text, "refused": answer.refused,
            "quote_chars": len(quotes), "correct": held, "correct_with_punctuation": exact, "gold": list(item.answers),
        })
    lengths = [r["quote_chars"] for r in rows if not r["refused"]]
    return {
        "n": len(rows),
        "accuracy": sum(r["correct"] for r in rows) / len(rows) if rows else 0.0,
        "accuracy_with_punctuation": sum(r["correct_with_punctuation"] for r in rows) / len(rows) if rows else 0.0,
        "refused": sum(r["refused"] for r in rows) / len(rows) if rows else 0.0,
        "median_quote_chars": statistics.median(lengths) if lengths else 0,
        "rows": rows,
    }
