"""The Milvus backend (embedded milvus-lite) against the FAISS index folder: same passages, same
corpus statistics, incremental updates and index versions swapped under open readers."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from app.config import Settings
from app.index.stores import FaissStore, open_store
from app.model.embed import HashEmbedder
from app.pipeline import Pipeline, build, load_pipeline
from app.schema import Filters
from tests.conftest import ROOT, SEEDS, TINY_ARTICLE

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

from app.index.milvus_common import MilvusUnavailable, connect, filter_expr, like_literal  # noqa: E402
from app.index.milvus_store import MilvusStore  # noqa: E402


@pytest.fixture(scope="module")
def milvus_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    # One milvus-lite data file (one server process) for the module; each test has its own alias.
    return str(tmp_path_factory.mktemp("milvus") / "milvus.db")


def settings_for(seeds: Path, index: Path, store: str, uri: str = "", embed: str = "hash:256") -> Settings:
    return Settings(seeds_dir=seeds, index_dir=index, store=store, milvus_uri=uri, embed_model=embed, cache_dir=index.parent / "cache")


def both(tmp_path: Path, seeds: Path, uri: str) -> tuple[FaissStore, MilvusStore]:
    embedder = HashEmbedder(256)
    stores = []
    for store in ("faiss", "milvus"):
        settings = settings_for(seeds, tmp_path / f"index_{store}", store, uri)
        build(settings, embedder=embedder)
        stores.append(open_store(settings, embedder.fingerprint))
    return stores[0], stores[1]  # type: ignore[return-value]


def test_filter_expressions_escape_what_users_type() -> None:
    assert like_literal('50%的"企业"_') == '"%50\\\\%的\\"企业\\"\\\\_%"'
    expr = filter_expr(Filters(article_ids=("a1",), speakers=("王智明",), date_from="2023-01-01"))
    assert expr == 'article_id in ["a1"] and ((names like "%|王智明|%" or positions like "%王智明%")) and date != "" and date >= "2023-01-01"'
    assert filter_expr(Filters()) == ""


def test_missing_pymilvus_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pymilvus", None)
    with pytest.raises(MilvusUnavailable) as raised:
        connect(settings_for(SEEDS, tmp_path / "index", "milvus"))
    assert "biaogan[milvus]" in raised.value.hint


def test_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    settings = settings_for(SEEDS, tmp_path / "index", "milvus", uri="http://127.0.0.1:9")
    with pytest.raises(MilvusUnavailable) as raised:
        connect(settings)
    assert "127.0.0.1:9" in raised.value.message and "BIAOGAN_MILVUS_URI" in raised.value.hint and "one process" not in raised.value.hint


def test_a_second_process_on_a_milvus_lite_file_is_told_why(tmp_path: Path) -> None:
    import subprocess

    settings = settings_for(SEEDS, tmp_path / "index", "milvus", str(tmp_path / "busy.db"))
    holder = connect(settings)  # this process now owns the file
    code = (
        "from app.config import Settings; from app.index.milvus_common import connect\n"
        f"try:\n    connect(Settings(store='milvus', milvus_uri={str(tmp_path / 'busy.db')!r}))\n"
        "except Exception as exc:\n    print(type(exc).__name__, exc.hint)\n"
    )
    found = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "MilvusUnavailable" in found.stdout and "one process at a time" in found.stdout
    holder.close()


def test_same_statistics_and_lexical_ranking_as_the_index_folder(tmp_path: Path, milvus_db: str) -> None:
    faiss, milvus = both(tmp_path, SEEDS, milvus_db)
    assert milvus.n_docs == faiss.n_docs and len(milvus.chunks) == len(faiss.chunks)
    terms = ["郑州", "对标", "#对标", "宁波", "不存在的词语"]
    assert [milvus.doc_freq(t) for t in terms] == [faiss.doc_freq(t) for t in terms]
    assert milvus.known_terms(terms) == faiss.known_terms(terms)
    for text in ("7000亿元", "王智明", "根本没有这句话"):
        assert milvus.mentions(text) == faiss.mentions(text)
    for article in faiss.articles:
        assert milvus.byline_passage(article["id"]) == faiss.byline_passage(article["id"])
        assert milvus.article_text(article["id"]) == faiss.article_text(article["id"])
    assert milvus.people() and {c.speaker for c in milvus.people()} == {c.speaker for c in faiss.people()}
    for question, filters in [("固定资产投资目标", Filters()), ("对标哪些城市", Filters(speakers=("王智明",))),
                              ("郑州", Filters(date_from="2023-05-18"))]:
        kwargs = dict(k=5, mode="lexical", filters=filters, candidates=50, fusion="rrf", rrf_k=60)
        assert [h.chunk.id for h in milvus.search(question, None, **kwargs)] == [h.chunk.id for h in faiss.search(question, None, **kwargs)]


def test_filters_hold_in_every_mode(tmp_path: Path, milvus_db: str) -> None:
    _, milvus = both(tmp_path, SEEDS, milvus_db)
    vector = HashEmbedder(256).encode_queries(["对标哪些城市"])[0]
    wanted = Filters(speakers=("王智明",))
    for mode in ("dense", "lexical", "hybrid"):
        hits = milvus.search("对标哪些城市", vector, k=5, mode=mode, filters=wanted, candidates=50, fusion="rrf", rrf_k=60)
        assert hits and all(wanted.accepts(h.chunk) for h in hits)


def test_add_change_and_remove_an_article(tmp_path: Path, seeds_copy: Path, milvus_db: str) -> None:
    settings = settings_for(seeds_copy, tmp_path / "index", "milvus", milvus_db)
    embedder = HashEmbedder(256)
    build(settings, embedder=embedder)
    before = open_store(settings, embedder.fingerprint)
    assert before.doc_freq("#算力") == 0

    (seeds_copy / "tiny.txt").write_text(TINY_ARTICLE, encoding="utf-8")
    report = build(settings, embedder=embedder)
    assert report.added == ["tiny.txt"] and report.embedded < before.n_docs
    added = open_store(settings, embedder.fingerprint)
    assert added.n_docs > before.n_docs and added.doc_freq("#算力") == 1 and added.mentions("新增高新技术企业500家")
    hits = added.search("算力中心", None, k=3, mode="lexical", filters=Filters(), candidates=50, fusion="rrf", rrf_k=60)
    assert hits and "算力中心" in hits[0].chunk.text

    (seeds_copy / "tiny.txt").write_text(TINY_ARTICLE.replace("500家", "800家"), encoding="utf-8")
    assert build(settings, embedder=embedder).changed == ["tiny.txt"]
    changed = open_store(settings, embedder.fingerprint)
    assert changed.mentions("800家") and not changed.mentions("新增高新技术企业500家")
    assert changed.n_docs == added.n_docs and changed.doc_freq("#算力") == 1

    (seeds_copy / "tiny.txt").unlink()
    assert build(settings, embedder=embedder).removed == ["tiny.txt"]
    after = open_store(settings, embedder.fingerprint)
    assert after.n_docs == before.n_docs and after.doc_freq("#算力") == 0 and not after.mentions("800家")
    assert [a["source"] for a in after.articles] == [a["source"] for a in before.articles]


def test_rebuild_swaps_the_alias_and_open_readers_keep_answering(tmp_path: Path, milvus_db: str) -> None:
    settings = settings_for(SEEDS, tmp_path / "index", "milvus", milvus_db)
    embedder = HashEmbedder(256)
    build(settings, embedder=embedder)
    reader = open_store(settings, embedder.fingerprint)
    build(settings, embedder=embedder, rebuild=True)
    newer = open_store(settings, embedder.fingerprint)
    assert newer.collection != reader.collection
    # The reader opened before the rebuild still searches its own version, whole.
    hits = reader.search("固定资产投资", None, k=5, mode="lexical", filters=Filters(), candidates=50, fusion="rrf", rrf_k=60)
    assert len(hits) == 5 and reader.client.has_collection(reader.collection)
    build(settings, embedder=embedder, rebuild=True)
    assert not reader.client.has_collection(reader.collection)  # two versions back: dropped
    assert open_store(settings, embedder.fingerprint).collection not in (reader.collection, newer.collection)


def test_pipeline_answers_from_milvus(tmp_path: Path, milvus_db: str) -> None:
    settings = settings_for(SEEDS, tmp_path / "index", "milvus", milvus_db)
    pipeline = load_pipeline(settings)
    assert isinstance(pipeline.index, MilvusStore)
    answer = pipeline.ask("发改委提出的固定资产投资目标是多少？")
    assert not answer.refused and "7000亿元" in answer.text
    from app.integrations import BiaoganRetriever

    docs = BiaoganRetriever(pipeline=pipeline, k=3, mode="lexical").invoke("固定资产投资突破7000亿元")
    assert len(docs) == 3 and "7000亿元" in docs[0].page_content


def test_cli_index_and_ask_on_milvus(tmp_path: Path, milvus_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from app.cli import app

    for name, value in {"STORE": "milvus", "MILVUS_URI": milvus_db, "EMBED_MODEL": "hash:256", "CACHE_DIR": str(tmp_path / "cache")}.items():
        monkeypatch.setenv(f"BIAOGAN_{name}", value)
    runner = CliRunner()
    indexed = runner.invoke(app, ["index", "--seeds", str(SEEDS), "--index", str(tmp_path / "cli_index")])
    assert indexed.exit_code == 0, indexed.output
    again = runner.invoke(app, ["index", "--seeds", str(SEEDS), "--index", str(tmp_path / "cli_index")])
    assert "0 embedded" in again.output
    asked = runner.invoke(app, ["ask", "发改委提出的固定资产投资目标是多少？", "--json", "--index", str(tmp_path / "cli_index")])
    assert asked.exit_code == 0 and "7000亿元" in asked.output


# --- the real model: the bundled question sets through both backends -------------------------

def _overlap(a: list[str], b: list[str]) -> float:
    return 1.0 if not a and not b else len(set(a) & set(b)) / max(len(a), len(b))


@pytest.mark.model
def test_question_sets_agree_across_backends(tmp_path: Path, milvus_db: str) -> None:
    from app.evaluation.metrics import EvidenceLocator, answer_row, load_questions, summarise_answers

    faiss_pipe = load_pipeline(settings_for(SEEDS, tmp_path / "index_faiss", "faiss", embed=Settings().embed_model))
    milvus_settings = settings_for(SEEDS, tmp_path / "index_milvus", "milvus", milvus_db, embed=Settings().embed_model)
    build(milvus_settings, embedder=faiss_pipe.embedder)
    milvus_pipe = Pipeline(milvus_settings, faiss_pipe.embedder, open_store(milvus_settings, faiss_pipe.embedder.fingerprint))
    questions = [q for name in ("seeds_qa", "holdout_qa") for q in load_questions(ROOT / "eval" / f"{name}.jsonl")]
    overlaps = [_overlap([h.chunk.id for h in milvus_pipe.retrieve(q.question)], [h.chunk.id for h in faiss_pipe.retrieve(q.question)])
                for q in questions]
    mean = sum(overlaps) / len(overlaps)
    assert mean >= 0.9, f"mean top-5 overlap {mean:.3f} over {len(overlaps)} questions"
    accuracy = {}
    for pipe in (faiss_pipe, milvus_pipe):
        locator = EvidenceLocator(pipe.index.chunks)
        accuracy[type(pipe.index).__name__] = summarise_answers([answer_row(pipe, q, locator) for q in questions])["accuracy"]
    assert abs(accuracy["MilvusStore"] - accuracy["FaissStore"]) <= 0.01, f"key-fact accuracy {accuracy}"


def test_bench_compares_both_stores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from typer.testing import CliRunner

    from app.cli import app

    body = "市科技局局长李明表示，我市将建设算力中心。今年新增高新技术企业500家。推动人工智能与制造业融合发展。"
    news = tmp_path / "news.txt"
    news.write_text("".join(f"2024-03-{d:02d} 测试新闻{d}，正文：{body}第{d}条消息。\n" for d in range(1, 9)), encoding="utf-8")
    monkeypatch.setenv("BIAOGAN_EMBED_MODEL", "hash:256")
    monkeypatch.setenv("BIAOGAN_STORE", "milvus")  # plain `biaogan bench` on Milvus compares the stores
    result = CliRunner().invoke(app, ["bench", "--news", str(news), "--index-articles", "10", "--sizes", "40",
                                      "--out", str(tmp_path / "report"), "--index", str(tmp_path / "index")])
    assert result.exit_code == 0, result.output
    rows = json.loads((tmp_path / "report" / "store-bench.json").read_text(encoding="utf-8"))["rows"]
    assert [(r["backend"], r["size"]) for r in rows] == [("faiss", 40), ("milvus", 40)]
    assert all(r[mode]["p50"] > 0 for r in rows for mode in ("dense", "bm25", "hybrid", "filtered"))
    assert "| milvus | 40 |" in result.output


def test_articles_added_and_removed_on_the_page_are_used_at_once(tmp_path: Path, seeds_copy: Path, milvus_db: str) -> None:
    # The corpus service updates the live Milvus collection in place: the pipeline must be reopened,
    # or it keeps the article list, passage count and term statistics it was opened with (the page
    # said "现有 2 篇文章" after adding a third, and refused questions about it).
    from app.corpus import CorpusService, Upload

    settings = settings_for(seeds_copy, tmp_path / "index", "milvus", milvus_db)
    service = CorpusService(load_pipeline(settings))
    before = [a["source"] for a in service.articles()]
    question = "李明说要新增多少家高新技术企业？"
    assert service.pipeline.ask(question).refused
    upload = tmp_path / "upload" / "tiny.txt"
    upload.parent.mkdir()
    upload.write_text(TINY_ARTICLE, encoding="utf-8")
    line = service.add([Upload(upload, "tiny.txt")])
    assert f"现有 {len(before) + 1} 篇文章" in line
    assert "tiny.txt" in [a["source"] for a in service.articles()] and service.pipeline.index.doc_freq("#算力") == 1
    answer = service.pipeline.ask(question)
    assert not answer.refused and "500家" in answer.text
    service.remove("tiny.txt")
    assert [a["source"] for a in service.articles()] == before and service.pipeline.index.doc_freq("#算力") == 0
