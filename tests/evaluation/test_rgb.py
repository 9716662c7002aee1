"""RGB loader, scoring and runners, on a tiny made-up file in RGB's format (never the real data)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from app.answer.compose import compose
from app.answer.corpus import LocalCorpus
from app.config import Settings
from app.errors import InputError
from app.evaluation.rgb import (
    RGB_PAPER_READER,
    RGBItem,
    is_refusal_text,
    load_rgb,
    passages_as_hits,
    reader_passages,
    rgb_correct,
    run_end_to_end,
    run_reader,
    write_corpus,
)
from app.index.folder import load_index
from app.index.writer import build_index
from app.ingest.passages import ChunkSettings
from app.model.embed import HashEmbedder
from app.pipeline import Pipeline
from app.schema import Answer

SHARED = "市经信局表示，将继续支持本地科技企业开展技术攻关。"
MARATHON_NEG = [
    "2022年梧桐市马拉松因天气原因延期举行，男子组冠军最终由王立获得。",
    "梧桐市马拉松组委会公布，今年报名人数超过三万人，创历史新高。",
    "2023年梧桐市国际马拉松女子组冠军李楠赛后接受了本报记者采访。",
    "马拉松当天，全市共有两千多名志愿者在沿线提供补给服务。",
    "业内人士认为，梧桐市马拉松的赛道设计兼顾了城市风景与竞技水平。",
    "今年马拉松期间，部分公交线路临时调整，市民出行需提前规划。",
]
ROWS = [
    {
        "id": 101, "query": "2023年梧桐市国际马拉松男子组冠军是谁？", "answer": [["陈晓峰", "Chen Xiaofeng"]],
        "positive": [
            "4月16日，2023年梧桐市国际马拉松鸣枪开跑，本地选手陈晓峰以2小时11分08秒的成绩获得男子组冠军。",
            "梧桐日报讯 在昨天结束的梧桐市国际马拉松比赛中，陈晓峰第一个冲过终点，这是他首次在家乡夺冠。",
            "男子组前三名依次为陈晓峰、马国栋和阿卜杜拉，女子组冠军由李楠获得。",
            "赛后，男子组冠军陈晓峰表示，今年赛道更平坦，天气也很理想。",
            "Chen Xiaofeng won the men's race of the 2023 Wutong International Marathon.",
        ],
        "negative": MARATHON_NEG + MARATHON_NEG[:1],  # a repeated passage, as zh_refine has
    },
    {
        "id": 102, "query": "青禾科技发布的新款芯片叫什么，采用几纳米工艺？", "answer": ["星河一号", ["5纳米", "五纳米"]],
        "positive": [
            "青禾科技昨日在发布会上推出新款芯片星河一号，该芯片采用5纳米工艺制造。",
            "据青禾科技介绍，星河一号基于五纳米制程，功耗比上一代降低三成。",
            "星河一号是青禾科技首款自研芯片，采用5纳米工艺，将于下半年量产。",
        ],
        "negative": [
            "另一家企业远山电子上月发布了七纳米工艺的处理器。",
            "分析师指出，国内芯片设计企业正在加快先进工艺布局。",
            SHARED,
        ],
    },
    {
        "id": 103, "query": "临江大桥预计什么时候建成通车？", "answer": ["2024年6月"],
        "positive": [
            "临江大桥主体工程已完工过半，预计2024年6月建成通车。",
            "市交通局消息，临江大桥将于2024年6月正式通车，两岸通行时间缩短至十分钟。",
        ],
        "negative": ["临江大桥项目去年获批，总投资约四十亿元。", SHARED],
    },
    {
        "id": 104, "query": "雪松湖湿地公园黑颈鹤观测站什么时候对游客开放？", "answer": [["9月1日", "九月一日"]],
        "positive": ["雪松湖湿地公园新建的黑颈鹤观测站将于9月1日起对游客开放，游客可通过望远镜观察鹤群。"],
        "negative": ["雪松湖湿地公园今年共记录到鸟类一百六十余种。", "湿地公园管理处提醒游客文明观鸟，不要投喂野生动物。"],
    },
]
# What the fake reader looks for: it refuses when no passage mentions the question's topic.
TOPIC = dict(zip((row["query"] for row in ROWS), ("马拉松", "青禾", "临江大桥", "黑颈鹤")))


def write_rows(path: Path, rows: list[dict]) -> Path:
    lines = [json.dumps(row, ensure_ascii=False) for row in rows]
    path.write_text("\n".join(lines[:1] + [""] + lines[1:]) + "\n", encoding="utf-8")  # a blank line is skipped
    return path


@pytest.fixture
def items(tmp_path: Path) -> list[RGBItem]:
    return load_rgb(write_rows(tmp_path / "zh_refine.json", ROWS))


def fake_reader(question: str, passages: list[str]) -> Answer:
    if not any(TOPIC[question] in p for p in passages):
        return Answer(question, "文章中没有找到相关段落。", True, (), ())
    return Answer(question, "\n".join(passages), False, (), ())


def test_load_reads_rows_with_alternatives_and_drops_repeated_passages(items: list[RGBItem]) -> None:
    assert [i.id for i in items] == ["101", "102", "103", "104"]
    assert items[0].answer == (("陈晓峰", "Chen Xiaofeng"),)
    assert items[1].answer == ("星河一号", ("5纳米", "五纳米"))
    assert len(items[0].positive) == 5 and items[0].negative == tuple(MARATHON_NEG)


def test_missing_file_names_the_path_and_where_the_data_comes_from(tmp_path: Path) -> None:
    with pytest.raises(InputError) as error:
        load_rgb(tmp_path / "nowhere" / "zh_refine.json")
    assert str(tmp_path / "nowhere" / "zh_refine.json") in error.value.message
    assert "--rgb-path" in error.value.hint and "chen700564/RGB" in error.value.hint


@pytest.mark.parametrize(
    "bad",
    ['{"id": 9, "query": "问题"', '{"id": 9, "query": "问题", "positive": [], "negative": []}',
     '{"id": 9, "query": "问题", "answer": [""], "positive": [], "negative": []}',
     '{"id": 9, "query": "问题", "answer": ["答"], "positive": "一段话", "negative": []}'],
)
def test_malformed_row_names_its_line(tmp_path: Path, bad: str) -> None:
    path = write_rows(tmp_path / "rgb.json", ROWS[:1])
    path.write_text(path.read_text(encoding="utf-8") + bad + "\n", encoding="utf-8")
    with pytest.raises(InputError) as error:
        load_rgb(path)
    assert f"{path}:3" in error.value.message  # line 2 is blank


def test_rgb_correct_needs_every_element_and_one_alternative_of_each() -> None:
    answer = ("星河一号", ("5纳米", "五纳米"))
    assert rgb_correct("星河一号采用五纳米工艺", answer)
    assert rgb_correct("星河 一号 采用 5 纳米", answer)  # RGB ignores spaces in Chinese output
    assert not rgb_correct("星河一号采用七纳米工艺", answer)
    assert not rgb_correct("新芯片采用5纳米工艺", answer)
    assert rgb_correct("CHEN XIAOFENG won", (("陈晓峰", "Chen Xiaofeng"),))
    assert not rgb_correct("王立夺冠", (("陈晓峰", "Chen Xiaofeng"),))
    with pytest.raises(ValueError):
        rgb_correct("anything", ())


def test_refusal_text_is_rgbs_phrase_or_ours() -> None:
    assert is_refusal_text("文档信息不足，无法回答该问题。")
    assert is_refusal_text("文章中没有找到关于“临江大桥何时通车”的信息。")  # our answerer's refusal
    assert not is_refusal_text("临江大桥预计2024年6月建成通车。")


def test_write_corpus_writes_each_distinct_passage_once_and_is_idempotent(items: list[RGBItem], tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    files = write_corpus(items, folder)
    distinct = {p for i in items for p in (*i.positive, *i.negative)}
    assert set(files) == distinct and len(files) == (5 + 6) + (3 + 3) + (2 + 2 - 1) + (1 + 2)  # SHARED counted once
    assert sorted(p.name for p in folder.iterdir()) == sorted(files.values())
    assert all(name.startswith("p_") and len(name) == len("p_") + 10 + len(".txt") for name in files.values())
    assert (folder / files[SHARED]).read_text(encoding="utf-8") == SHARED
    stamps = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    (folder / files[SHARED]).write_text("被截断", encoding="utf-8")
    assert write_corpus(items, folder) == files
    assert (folder / files[SHARED]).read_text(encoding="utf-8") == SHARED  # a damaged file is rewritten
    assert all(p.stat().st_mtime_ns == stamps[p.name] for p in folder.iterdir() if p.name != files[SHARED])


def test_reader_passages_mix_positives_and_negatives_by_noise_rate(items: list[RGBItem]) -> None:
    marathon, bridge = items[0], items[2]

    def counts(item: RGBItem, noise: float, seed: int = 0) -> tuple[int, int]:
        passages = reader_passages(item, noise, rng=random.Random(seed))
        assert len(set(passages)) == len(passages)
        return sum(p in item.positive for p in passages), sum(p in item.negative for p in passages)

    assert counts(marathon, 0.0) == (5, 0)
    assert counts(marathon, 0.4) == (3, 2)
    assert counts(marathon, 0.6) == (2, 3)  # not RGB's ceil(5 * 0.6) == 4
    assert counts(marathon, 1.0) == (0, 5)
    assert counts(bridge, 0.4) == (2, 2)  # too few positives: the reader gets what there is
    assert reader_passages(marathon, 0.4, rng=random.Random(7)) == reader_passages(marathon, 0.4, rng=random.Random(7))
    assert len({tuple(reader_passages(marathon, 0.4, rng=random.Random(s))) for s in range(5)}) > 1
    with pytest.raises(ValueError):
        reader_passages(marathon, 1.5, rng=random.Random(0))


def test_run_reader_scores_accuracy_refusal_and_rejection(items: list[RGBItem]) -> None:
    clean = run_reader(fake_reader, items, 0.0)
    assert (clean["accuracy"], clean["refusal_rate"], clean["rejection_rate"]) == (1.0, 0.0, None)
    noisy = run_reader(fake_reader, items, 0.4, seed=3)
    assert noisy["accuracy"] == 1.0 and [(r["n_positive"], r["n_negative"]) for r in noisy["rows"]] == [(3, 2), (3, 2), (2, 2), (1, 2)]
    # Negatives only: the marathon and bridge negatives mention the topic, so the fake answers (wrongly).
    negative = run_reader(fake_reader, items, 1.0)
    assert (negative["accuracy"], negative["refusal_rate"], negative["rejection_rate"]) == (0.0, 0.5, 0.5)
    assert [r["refused"] for r in negative["rows"]] == [False, True, False, True]
    assert negative["refusal_phrase_rate"] == 0.5
    assert run_reader(fake_reader, items, 0.4, seed=3)["rows"] == noisy["rows"]


def test_a_refusal_is_never_correct_even_when_it_quotes_the_answer(items: list[RGBItem]) -> None:
    def quoting_refuser(question: str, passages: list[str]) -> Answer:
        return Answer(question, "\n".join(passages), True, (), ())

    assert run_reader(quoting_refuser, items, 0.0)["accuracy"] == 0.0


def extractive(question: str, passages: list[str]) -> Answer:
    """Our answerer over RGB's passages, every term weighted alike (there is no index to give idf)."""
    return compose(question, passages_as_hits(passages), LocalCorpus(passages))


def test_our_answerer_takes_rgb_passages_as_hits(items: list[RGBItem]) -> None:
    hits = passages_as_hits(["甲段落", "乙段落"])
    assert [(h.rank, h.chunk.id, h.chunk.text, h.chunk.end) for h in hits] == [(1, "rgb:0", "甲段落", 3), (2, "rgb:1", "乙段落", 3)]
    assert hits[0].score > hits[1].score and hits[0].chunk.article_title == "RGB"
    report = run_reader(extractive, items, 0.0)
    # Given only the passages that hold the answer, each extracted answer contains it.
    assert report["items"] == 4 and report["accuracy"] == 1.0 and report["refusal_rate"] == 0.0
    for item in items:
        answer = extractive(item.query, list(item.positive))
        assert all(c.chunk.id.startswith("rgb:") and c.quote in c.chunk.text for c in answer.citations)


def test_end_to_end_over_an_index_of_the_passages(items: list[RGBItem], tmp_path: Path, embedder: HashEmbedder) -> None:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    files = write_corpus(items, corpus)
    build_index(corpus, index_dir, embedder, ChunkSettings())
    settings = Settings(seeds_dir=corpus, index_dir=index_dir, embed_model="hash:256", cache_dir=tmp_path / "cache")
    pipeline = Pipeline(settings, embedder, load_index(index_dir, embedder.fingerprint))
    report = run_end_to_end(pipeline, items, files, k=5)
    assert report["n"] == 4 and len(report["rows"]) == 4
    # Every question finds a passage holding its answer among the first five and answers with it.
    assert report["recall@5"] == 1.0 and report["accuracy"] == 1.0 and report["refusal_rate"] == 0.0
    assert all(row["correct"] and not row["refused"] for row in report["rows"])
    wetland = report["rows"][3]
    assert wetland["ranked"][0] == files[items[3].positive[0]] and wetland["recall@1"] == 1.0 and wetland["mrr@10"] == 1.0
    assert wetland["correct"] and not wetland["refused"]
    with pytest.raises(ValueError, match="write_corpus"):
        run_end_to_end(pipeline, items, {}, k=5)


def test_paper_reference_has_a_figure_per_noise_rate_for_each_model() -> None:
    assert RGB_PAPER_READER is not None
    rates = RGB_PAPER_READER["noise_rates"]
    assert tuple(rates) == (0.0, 0.2, 0.4, 0.6, 0.8)
    for model, figures in RGB_PAPER_READER["models"].items():
        assert len(figures["accuracy"]) == len(rates) and len(figures["rejection"]) == 2, model
        # In the paper every model loses accuracy as noise rises: figures out of order would not.
        accuracy = list(figures["accuracy"])
        assert accuracy == sorted(accuracy, reverse=True) and len(set(accuracy)) == len(accuracy), model
    # One figure pinned to the paper's table (Chen et al. 2023, Chinese, noise 0 and 0.8).
    assert RGB_PAPER_READER["models"]["ChatGPT"]["accuracy"][0] == 95.67
    assert RGB_PAPER_READER["models"]["ChatGPT"]["accuracy"][-1] == 70.67


def test_the_langchain_baseline_runs_on_rgb_passages(items: list[RGBItem], tmp_path: Path, embedder: HashEmbedder) -> None:
    from app.evaluation.suites import run_baseline_rgb

    files = write_corpus(items, tmp_path / "corpus")
    report = run_baseline_rgb(items, files, embedder, progress=False)
    assert report["n"] == 4 and report["pieces"] >= len(files) and report["refusal_rate"] == 0.0
    # The baseline also finds each answer's passage among its first five, and answers most questions.
    assert report["recall@5"] == 1.0 and report["accuracy"] >= 0.75
