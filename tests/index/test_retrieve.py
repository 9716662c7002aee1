from __future__ import annotations

from pathlib import Path

import pytest

from app.index.bm25 import LexicalIndex
from app.index.folder import load_index
from app.index.retrieve import lexical, query_tokens, rrf, search, weighted
from app.index.writer import build_index
from app.ingest.passages import ChunkSettings
from app.model.embed import HashEmbedder
from app.schema import Filters
from app.text import tokenize


@pytest.fixture
def index(seeds_copy: Path, tmp_path: Path, embedder: HashEmbedder):  # type: ignore[no-untyped-def]
    build_index(seeds_copy, tmp_path / "index", embedder, ChunkSettings())
    return load_index(tmp_path / "index", embedder.fingerprint)


def test_rrf_rewards_agreement() -> None:
    fused = rrf([[(1, 0.9), (2, 0.8), (3, 0.7)], [(3, 9.0), (1, 5.0)]], k=60)
    assert [row for row, _ in fused] == [1, 3, 2]
    assert fused[0][1] == pytest.approx(1 / 61 + 1 / 62)


def test_weighted_fusion_normalises_each_ranking() -> None:
    fused = weighted([[(1, 0.9), (2, 0.1)], [(2, 100.0), (1, 0.0)]], [0.7, 0.3])
    assert [row for row, _ in fused] == [1, 2]


def test_bm25_prefers_rare_terms_and_ignores_unknown_ones() -> None:
    lex = LexicalIndex.build([["郑州", "苏州"], ["郑州", "宁波"], ["郑州", "成都", "成都"]])
    scores = lex.scores(["成都", "未知词"])
    assert scores.argmax() == 2 and scores[0] == scores[1] == 0
    assert lex.scores(["郑州"]).min() > 0


def test_user_dictionary_keeps_policy_terms_whole() -> None:
    tokens = tokenize("培育专精特新企业，扩大固定资产投资，发展智能网联汽车")
    for term in ("专精特新", "固定资产投资", "智能网联汽车"):
        assert term in tokens


def test_synonyms_expand_department_abbreviations() -> None:
    assert "发展改革委" in query_tokens("发改委提出的目标是多少")


def test_lexical_finds_the_passage_with_the_figure(index) -> None:  # type: ignore[no-untyped-def]
    top = lexical(index, query_tokens("全市固定资产投资力争突破多少亿元"), k=1)
    assert "固定资产投资突破7000亿元" in index.chunks[top[0][0]].text


def test_filters_restrict_every_mode(index, embedder: HashEmbedder) -> None:  # type: ignore[no-untyped-def]
    vector = embedder.encode_queries(["对标苏州"])[0]
    for mode in ("dense", "lexical", "hybrid"):
        hits = search(index, "对标苏州", vector, k=5, mode=mode, filters=Filters(speakers=("王智明",)))
        assert hits and all(h.chunk.speaker == "王智明" for h in hits)
    undated = search(index, "成都", vector, k=10, filters=Filters(date_from="2023-01-01", date_to="2023-12-31"))
    assert undated and all(h.chunk.date == "2023-05-17" for h in undated)
    series_id = next(c.article_id for c in index.chunks if c.date is None)
    only = search(index, "成都", vector, k=10, filters=Filters(article_ids=(series_id,)))
    assert only and all(h.chunk.article_id == series_id for h in only)
    assert search(index, "成都", vector, k=5, filters=Filters(speakers=("nobody",))) == []


def test_hits_record_both_rankings(index, embedder: HashEmbedder) -> None:  # type: ignore[no-untyped-def]
    question = "夏扬提出固定资产投资目标"
    hits = search(index, question, embedder.encode_queries([question])[0], k=5)
    # 夏扬's two passages come first, and each retriever on its own ranked them first and second.
    assert [h.chunk.speaker for h in hits[:2]] == ["夏扬", "夏扬"]
    assert [(h.dense_rank, h.lexical_rank) for h in hits[:2]] == [(1, 1), (2, 2)]


def test_a_speaker_filter_matches_whole_names_only() -> None:
    from dataclasses import replace

    from app.index.retrieve import RowFilter
    from tests.conftest import make_hit

    def make_chunk(n: int, text: str, **fields):  # type: ignore[no-untyped-def]
        return replace(make_hit(text, rank=n).chunk, **fields)

    wang_ming = make_chunk(1, "王明说，明年建成三座算力中心。", speaker="王明", position="市科技局局长")
    wang_mingyuan = make_chunk(2, "王明远说，明年新增十家上市企业。", speaker="王明远", position="市金融局局长")
    # 李华's passage quotes 王明远 in the middle: a voice, not the section's speaker.
    quoting = make_chunk(3, "李华说，要学习先进经验。王明远补充说，要降低融资成本。", speaker="李华", position="市发改委主任",
                         voices=((12, 26, "王明远", "市金融局局长"),))
    chunks = [wang_ming, wang_mingyuan, quoting]
    rows = RowFilter(chunks)
    for speaker, expected in (("王明", [0]), ("王明远", [1, 2]), ("王", []), ("李华", [2]), ("金融局局长", [1, 2])):
        filters = Filters(speakers=(speaker,))
        assert [i for i, c in enumerate(chunks) if filters.accepts(c)] == expected, speaker
        assert rows.rows(filters).tolist() == expected, speaker  # the index's row lists agree


def test_unknown_mode_is_a_programming_error(index) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        search(index, "x", None, mode="magic")


def test_lexical_tokens_add_marked_bigrams_and_pinyin_names() -> None:
    from app.text import lexical_tokens, name_pinyin

    tokens = lexical_tokens("一号产业")
    assert "#一号" in tokens and "#号产" in tokens and "#产业" in tokens
    assert name_pinyin("王智明") == "wang zhiming wangzhiming" and name_pinyin("") == ""


def test_english_question_matches_a_speaker_by_pinyin(index) -> None:  # type: ignore[no-untyped-def]
    top = lexical(index, query_tokens("What did Xia Yang say?"), k=3)
    assert top and all(index.chunks[row].speaker == "夏扬" for row, _ in top)


def test_a_question_naming_departments_is_answered_from_each_of_them(hash_settings) -> None:  # type: ignore[no-untyped-def]
    from app.pipeline import load_pipeline

    pipeline = load_pipeline(hash_settings)
    question = "文旅局和商务局各有什么打算？"
    plain = pipeline.retrieve(question, k=2)
    hits = pipeline.evidence(question, k=2)
    assert [h.chunk.id for h in hits[: len(plain)]] == [h.chunk.id for h in plain]  # the retrieved passages lead
    departments = {h.chunk.department for h in hits}
    assert any("文化广电和旅游局" in d for d in departments) and any("商务局" in d for d in departments)
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1)) and len({h.chunk.id for h in hits}) == len(hits)


def test_a_date_is_known_from_the_articles_dates_and_one_nobody_published_on_is_refused(hash_settings) -> None:  # type: ignore[no-untyped-def]
    from app.pipeline import load_pipeline

    pipeline = load_pipeline(hash_settings)
    dates = {c.date for c in pipeline.index.chunks if c.date}
    assert "2023-05-17" in dates
    assert pipeline.corpus.has("5月17号") and pipeline.corpus.has("2023年5月17日")  # written unlike any article text
    answer = pipeline.ask("6月3日那版里商务局说了什么？")
    assert answer.refused and "6月3日" in answer.text.splitlines()[0]


def test_a_first_question_with_a_pronoun_carries_a_notice(hash_settings) -> None:  # type: ignore[no-untyped-def]
    from app.answer.followup import Turn
    from app.pipeline import load_pipeline

    pipeline = load_pipeline(hash_settings)
    assert any("“他”" in n for n in pipeline.ask("他说了什么？").notices)
    earlier = pipeline.ask("王智明说要对标哪些城市？")
    assert not any("“他”" in n for n in pipeline.ask("他还说了什么？", history=[Turn.of(earlier)]).notices)


def test_which_newspaper_finds_the_byline_of_the_retrieved_article(hash_settings) -> None:  # type: ignore[no-untyped-def]
    from app.pipeline import load_pipeline

    answer = load_pipeline(hash_settings).ask("王智明的采访发表在哪份报纸上？")
    assert not answer.refused and "郑州晚报" in answer.text


def test_an_office_the_articles_never_name_is_refused(hash_settings) -> None:  # type: ignore[no-untyped-def]
    from app.pipeline import load_pipeline

    answer = load_pipeline(hash_settings).ask("市测试局负责人说了什么？")
    assert answer.refused and "市测试局" in answer.text.splitlines()[0]


def test_a_term_written_in_capitals_has_the_idf_of_its_passages(hash_settings) -> None:  # type: ignore[no-untyped-def]
    from app.pipeline import load_pipeline

    pipeline = load_pipeline(hash_settings)
    assert pipeline.index.doc_freq("rcep") > 0  # the articles name RCEP; BM25 stores it lower-cased
    assert pipeline.corpus.idf("RCEP") == pipeline.corpus.idf("rcep") < pipeline.corpus.idf("从未出现的词")


def test_sharing_only_common_terms_is_no_lexical_evidence() -> None:
    from app.index.retrieve import evidential

    # "2023" in half the passages is all an English question shares with a Chinese corpus.
    assert not evidential([50, 0, 0, 0], 106)
    assert evidential([50, 3, 0], 106)  # one rarer shared term is evidence
    assert not evidential([0, 0], 106)  # nothing shared, nothing ranked
    assert evidential([2], 4)  # in a tiny corpus two passages are not "common" (fewer than three)
    index = LexicalIndex.build([["2023", "交通"], ["2023", "旅游"], ["2023", "文物"], ["能源"]])
    assert index.df("2023") == 3 and index.df("无此词") == 0


def test_common_terms_alone_are_not_fused_but_still_rank_lexically(index, embedder: HashEmbedder) -> None:  # type: ignore[no-untyped-def]
    common = max(index.lexical.vocab, key=index.lexical.df)  # the term in most passages
    question = f"What about {common}?"
    vector = embedder.encode_queries([question])[0]
    hybrid = search(index, question, vector, k=5, mode="hybrid")
    assert all(h.lexical_rank is None for h in hybrid)  # the dense ranking alone
    assert search(index, question, vector, k=5, mode="lexical")  # BM25 alone still ranks by it
