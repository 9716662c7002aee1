from __future__ import annotations

import subprocess
import sys

import pytest

from app.evaluation.baseline import CHUNK_OVERLAP, CHUNK_SIZE, BaselineHit, LangChainBaseline, _verified_start
from app.ingest.read import read_folder
from app.model.embed import HashEmbedder
from app.schema import Article, Chunk, Hit
from tests.conftest import ROOT, SEEDS

PHRASE = "出口退税资金池"


@pytest.fixture(scope="module")
def articles() -> list[Article]:
    return read_folder(SEEDS)[0]


@pytest.fixture(scope="module")
def baseline(articles: list[Article]) -> LangChainBaseline:
    return LangChainBaseline.build(articles, HashEmbedder(256))


def all_pieces(baseline: LangChainBaseline) -> list[BaselineHit]:
    return baseline.retrieve("任意问题", k=baseline.n_chunks)


def test_pieces_are_verbatim_and_at_most_chunk_size(baseline: LangChainBaseline, articles: list[Article]) -> None:
    texts = {a.id: a.text for a in articles}
    pieces = all_pieces(baseline)
    assert len(pieces) == baseline.n_chunks > len(articles)
    for piece in pieces:
        assert 0 < len(piece.text) <= CHUNK_SIZE
        assert piece.start is not None
        assert texts[piece.article_id][piece.start : piece.start + len(piece.text)] == piece.text


def test_pieces_cover_each_article_with_bounded_overlap(baseline: LangChainBaseline, articles: list[Article]) -> None:
    # Splits fall on paragraph breaks where possible, so on the seeds most neighbours are separated
    # by a newline and only short whole lines are repeated; nothing but whitespace may be lost.
    pieces = all_pieces(baseline)
    for article in articles:
        own = sorted((p for p in pieces if p.article_id == article.id), key=lambda p: p.start or 0)
        assert own[0].start == 0 and own[-1].start + len(own[-1].text) == len(article.text.rstrip())  # type: ignore[operator]
        for before, after in zip(own, own[1:]):
            end = before.start + len(before.text)  # type: ignore[operator]
            assert end - after.start <= CHUNK_OVERLAP  # type: ignore[operator]
            assert article.text[end : after.start].strip() == ""


def test_one_long_paragraph_is_cut_with_the_full_overlap() -> None:
    text = "".join(chr(0x4E00 + (i * 7919) % 20000) for i in range(1200))  # no repeats, no breaks
    article = Article(id="long", source="long.txt", content_hash="0" * 64, title="长文", text=text)
    baseline = LangChainBaseline.build([article], HashEmbedder(64))
    pieces = sorted(all_pieces(baseline), key=lambda p: p.start or 0)
    assert [p.start for p in pieces] == [0, 450, 900]
    for before, after in zip(pieces, pieces[1:]):
        assert before.text[-CHUNK_OVERLAP:] == after.text[:CHUNK_OVERLAP]


def test_distinctive_phrase_retrieves_its_piece_first(baseline: LangChainBaseline) -> None:
    holding = [p for p in all_pieces(baseline) if PHRASE in p.text]
    assert len(holding) == 1
    hits = baseline.retrieve(f"{PHRASE}服务效能", k=5)
    assert (hits[0].text, hits[0].start) == (holding[0].text, holding[0].start)
    assert hits[0].score > hits[1].score  # first by a margin, not by a tie-break
    assert len({(h.article_id, h.start) for h in hits}) == 5  # five different pieces, none repeated


def test_answer_is_the_top_passage(baseline: LangChainBaseline) -> None:
    # The answer is the one piece that says it, verbatim.
    question = "重点进出口企业白名单机制"
    holding = [p.text for p in all_pieces(baseline) if '重点进出口企业"白名单"机制' in p.text]
    assert len(holding) == 1 and baseline.answer(question) == holding[0]


def test_empty_corpus_answers_nothing() -> None:
    empty = LangChainBaseline.build([], HashEmbedder(64))
    assert empty.n_chunks == 0
    assert empty.retrieve("问题") == []
    assert empty.answer("问题") == ""


def test_start_is_kept_only_when_it_points_at_the_piece() -> None:
    assert _verified_start("甲乙丙甲乙丙", "甲乙丙", 3) == 3
    assert _verified_start("甲乙丙甲乙丙", "甲乙丙", 1) is None
    assert _verified_start("甲乙丙", "甲乙丙", -1) is None


def test_import_does_not_load_langchain_or_faiss() -> None:
    code = "import sys, app.evaluation.baseline; print(sorted(m for m in sys.modules if m.startswith(('langchain', 'faiss'))))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


class StubPipeline:
    def __init__(self, hits: list[Hit]) -> None:
        self.hits = hits
        self.calls: list[tuple[str, int | None, str]] = []

    def retrieve(self, question: str, *, k: int | None = None, mode: str = "hybrid") -> list[Hit]:
        self.calls.append((question, k, mode))
        return self.hits[: k or len(self.hits)]


def make_hit(n: int, speaker: str, score: float) -> Hit:
    chunk = Chunk(
        id=f"a1:{n}", article_id="a1", section_id=f"a1:s{n}", ordinal=n, start=0, end=4, text=f"第{n}段原文",
        article_title="推进数字经济", date="2024-03-08", section_title=f"访谈{n}", section_kind="speaker",
        speaker=speaker, position="市科技局局长",
    )
    return Hit(chunk=chunk, score=score, rank=n)


def test_retriever_adapter_returns_documents_in_order_with_metadata() -> None:
    from app.integrations import BiaoganRetriever

    stub = StubPipeline([make_hit(1, "李明", 0.9), make_hit(2, "王芳", 0.5), make_hit(3, "张三", 0.1)])
    docs = BiaoganRetriever(pipeline=stub, k=2, mode="dense").invoke("算力中心")
    assert stub.calls == [("算力中心", 2, "dense")]
    assert [d.page_content for d in docs] == ["第1段原文", "第2段原文"]
    assert docs[1].metadata == {
        "chunk_id": "a1:2", "article_id": "a1", "article_title": "推进数字经济", "date": "2024-03-08",
        "section": "访谈2", "speaker": "王芳", "position": "市科技局局长", "score": 0.5, "rank": 2,
    }


def test_retriever_adapter_defaults_and_rejects_non_retrievers() -> None:
    from pydantic import ValidationError

    from app.integrations import BiaoganRetriever

    stub = StubPipeline([make_hit(1, "李明", 0.9)])
    BiaoganRetriever(pipeline=stub).invoke("问题")
    assert stub.calls == [("问题", 5, "hybrid")]
    with pytest.raises(ValidationError):
        BiaoganRetriever(pipeline=object())
