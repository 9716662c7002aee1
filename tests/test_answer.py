from __future__ import annotations

import numpy as np

from app.answer import LocalCorpus, compose
from app.verify import problems
from tests.conftest import make_hit

LI = {"speaker": "李明", "position": "市科技局党组书记、局长", "department": "市科技局"}
WANG = {"speaker": "王芳", "position": "市商务局局长", "department": "市商务局"}


def ask(question: str, hits, similarity=None):  # type: ignore[no-untyped-def]
    return compose(question, hits, LocalCorpus([h.chunk.text for h in hits]), similarity)


def test_number_question_quotes_the_sentence_with_the_figure_and_names_the_speaker() -> None:
    hits = [make_hit("我市将对标深圳、杭州。力争全年新增高新技术企业500家。我们要加快建设算力中心。", **LI)]
    answer = ask("李明说今年要新增多少家高新技术企业？", hits)
    assert not answer.refused
    assert answer.text.startswith("市科技局党组书记、局长李明表示：“") and "500家" in answer.text
    citation = answer.citations[0]
    assert citation.quote == citation.chunk.text[citation.quote_start : citation.quote_end]
    assert "500家" in citation.quote and problems(answer) == []


def test_unit_of_the_question_must_be_in_the_answer() -> None:
    hits = [make_hit("考察团先后走访了12家企业,收获很大。", **LI)]
    answer = ask("李明这次考察了几天？", hits)
    assert answer.refused and answer.text.startswith("文章中没有找到")


def test_a_name_the_articles_never_mention_is_refused_with_related_passages() -> None:
    hits = [make_hit("我市将对标深圳、杭州,加快建设算力中心。", **LI), make_hit("商务局将优化营商环境。", rank=2, **WANG)]
    answer = ask("武汉有哪些经验值得学习？", hits)
    assert answer.refused
    assert answer.text.split("\n")[0] == "文章中没有找到关于“武汉”的信息。"
    assert "可能相关：" in answer.text and [c.n for c in answer.citations] == [1, 2]


def test_list_question_gathers_several_sentences_without_near_duplicates() -> None:
    text = "要聚焦网络安全、智能传感器等产业。要聚焦网络安全、智能传感器等产业!还要发展新材料、新能源等新兴产业。"
    answer = ask("要聚焦发展哪些产业？", [make_hit(text, **LI)])
    assert not answer.refused
    assert answer.text.count("网络安全") == 1 and "新材料" in answer.text


def test_question_naming_two_speakers_gets_a_quote_from_each() -> None:
    hits = [
        make_hit("科技局将建设算力中心,推动人工智能发展。", **LI),
        make_hit("商务局将打造夜经济场景,做强消费品牌。", rank=2, **WANG),
    ]
    answer = ask("科技局和商务局各有什么打算？", hits)
    assert {c.chunk.speaker for c in answer.citations} == {"李明", "王芳"}


def test_bylines_answer_only_questions_about_reporters() -> None:
    hits = [make_hit("我市将加快建设算力中心。\n测试日报记者 张三", **LI)]
    assert "张三" not in ask("李明对算力中心怎么说？", hits).text
    assert "张三" in ask("这篇专访是哪位记者写的？", hits).text


def test_english_question_gets_an_english_lead_in_with_the_chinese_quote() -> None:
    hits = [make_hit("我市将对标深圳、杭州。力争全年新增高新技术企业500家。", **LI)]

    def similarity(question: str, sentences: list[str]) -> np.ndarray:
        return np.array([0.9 if "500" in s else 0.75 for s in sentences])

    answer = ask("How many new high-tech companies does Li Ming want this year?", hits, similarity)
    assert answer.text.startswith("市科技局党组书记、局长李明 said: “") and answer.text.endswith("[1]")
    assert "500家" in answer.citations[0].quote


def test_no_passages_is_a_refusal() -> None:
    answer = ask("任何问题？", [])
    assert answer.refused and answer.citations == ()
