"""Points of a statement: numbered, parallel, voiced or connective-led, for summaries and "哪几方面"."""

from __future__ import annotations

from dataclasses import replace

from app.answer.compose import compose
from app.answer.corpus import LocalCorpus
from app.answer.points import marks
from tests.conftest import make_hit

ZHAO = {"speaker": "赵刚", "position": "市文物局局长", "department": "市文物局"}


def ask(question: str, hits):  # type: ignore[no-untyped-def]
    return compose(question, hits, LocalCorpus([f"{h.chunk.header}\n{h.chunk.text}" for h in hits]))


def one_section(*hits):  # type: ignore[no-untyped-def]
    return [replace(h, chunk=replace(h.chunk, section_id="a1#s")) for h in hits]


def test_list_markers_are_found_at_any_clause_start_not_only_a_sentences() -> None:
    text = "局长表示，全面推进申报工作，具体包括3个方面：一是在申报方面。"
    assert marks(text) == [("是", 1, text.index("一是"))]
    assert [m[:2] for m in marks("首先，要抓项目；其次，要抓人才。")] == [("序", 1), ("序", 2)]
    assert [m[:2] for m in marks("在生态环境领域，完成了排查。")] == [("frame:领域", -1)]
    assert marks("这是一个大项目，他说。") == []  # 是 after a word is no list marker
    assert marks("另一方面，要抓人才。") == [("面", 2, 0)]  # a sequence word, not a field named 另一


def test_a_numbered_list_is_answered_whole_even_when_only_its_first_item_names_the_speaker() -> None:
    lead = make_hit("会上，市文物局局长赵刚表示，今年的工作包括三个方面：一是在遗产申报方面。", **ZHAO)
    rest = make_hit("已有8项列入名录。二是在遗产保护方面。组织了修缮工作。三是在对外交流方面。加强了合作。", rank=2, article="a1")
    hits = one_section(lead, rest)
    hits[1] = replace(hits[1], chunk=replace(hits[1].chunk, speaker="", section_kind="news"))
    answer = ask("赵刚介绍的工作包括哪三个方面？", hits)
    assert not answer.refused
    quotes = "".join(c.quote for c in answer.citations)  # adjacent items of one passage are quoted together
    assert 0 <= quotes.index("一是") < quotes.index("二是") < quotes.index("三是")


def test_parallel_fields_answer_which_fields_in_source_order() -> None:
    text = ("卫星应用十分广泛。在自然资源领域，卫星保障了耕地监测等10多项工作。在生态环境领域，完成了排查整治工作。"
            "下一步将深挖数据价值。在应急领域，对受灾情况进行了监测评估。")
    answer = ask("卫星主要用在了哪些领域？", [make_hit(text)])
    quotes = "".join(c.quote for c in answer.citations)  # adjacent items of one passage are quoted together
    assert 0 <= quotes.index("在自然资源领域") < quotes.index("在生态环境领域") < quotes.index("在应急领域")
    assert "下一步" not in quotes


def test_a_summary_quotes_each_point_the_text_says_the_person_made() -> None:
    text = ("赵刚接受记者专访说，文物保护大有可为。本届博览会有上百家企业参展，展区面积为3万平方米。"
            "赵刚说，文物是最好的老师。赵刚说，数字化让遗产走进生活。他特别指出，保护要靠全社会参与。"
            "展馆以白色为主色调，面积约2000平方米。")
    answer = ask("概括赵刚在专访中的主要观点。", [make_hit(text, **ZHAO)])
    quotes = " ".join(c.quote for c in answer.citations)
    for point in ("大有可为", "最好的老师", "走进生活", "全社会参与"):
        assert point in quotes
    assert "主色调" not in quotes  # the rest of the report fills only when the points run out


def test_a_summary_prefers_points_a_connective_opens_to_the_figures_behind_them() -> None:
    voiced = make_hit("市商务局局长王芳介绍，全市优化供给，做强产业集群。今年上半年，支柱产业分别增长8.7%、5.3%。", speaker="王芳", position="市商务局局长")
    rest = make_hit("与此同时，全市发布首店经济政策。截至目前，累计引进品牌1100余个。此外，全市打造老字号精品。"
                    "截至目前，累计培育老字号291个。两年来，出口额增长195.3%。", rank=2)
    last = make_hit("王芳表示，全市将推进四地建设。", rank=3, speaker="王芳", position="市商务局局长")
    hits = one_section(voiced, rest, last)
    hits[1] = replace(hits[1], chunk=replace(hits[1].chunk, section_kind="news"))
    answer = ask("概括王芳介绍的主要做法和下一步打算。", hits)
    quotes = " ".join(c.quote for c in answer.citations)
    for point in ("产业集群", "首店", "老字号精品", "四地"):
        assert point in quotes
    assert "195.3%" not in quotes


def test_a_summary_leaves_out_a_sentence_whose_start_the_ocr_lost_while_clean_points_remain() -> None:
    text = ("赵刚说，考察收获很大。上,务必进一步解放思想，项目为王。科技创新方面,要集聚创新资源。"
            "对外开放方面,要放大通道优势。以消费中心建设为牵引,推动文旅融合发展。")
    quotes = " ".join(c.quote for c in ask("概括赵刚谈了哪几方面的打算。", [make_hit(text, **ZHAO)]).citations)
    assert "上,务必" not in quotes
    assert all(point in quotes for point in ("科技创新方面", "对外开放方面", "文旅融合"))


def test_a_list_whose_items_do_not_name_the_topic_is_found_by_the_sentence_introducing_it() -> None:
    text = ("区长表示，为推进老旧小区改造，东湖区正探索更可持续的更新模式。其中一种模式是整体更新。涉及11万方。"
            "另一种模式是成套改造。涉及15万方。会上还发布了其他消息。")
    answer = ask("东湖区推进老旧小区改造有哪几种模式？", [make_hit(text)])
    quotes = "".join(c.quote for c in answer.citations)
    assert 0 <= quotes.index("其中一种模式是整体更新") < quotes.index("另一种模式是成套改造")
