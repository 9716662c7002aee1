"""What a sentence is about when it does not say: the subject its paragraph opens with, question words
that are not asked about, and question words the articles spell another way."""

from __future__ import annotations

from app.answer.compose import analysed, compose, recut
from app.answer.corpus import LocalCorpus
from app.answer.openings import topic_of
from app.answer.question import analyse
from app.answer.quotes import repeats
from tests.conftest import make_hit


def ask(question: str, text: str):  # type: ignore[no-untyped-def]
    return compose(question, [make_hit(text)], LocalCorpus([text]))


PLANT = "青岩草（学名：未定）为菊科青岩属的植物。多年生草本，高约半米。花期4-6月。分布于云南和贵州的山地。"
SCHOLAR = "罗明（1901年－1975年），浙江人，哲学家、教育家。早年留学德国。认为哲学的中心问题是人生。1975年病逝。"


def test_a_paragraph_opening_with_its_subject_gives_it_to_the_later_sentences() -> None:
    assert topic_of(PLANT, PLANT.index("花期")) == "青岩草"
    assert topic_of(PLANT, 0) == ""  # the opening sentence names it itself
    assert topic_of("第一段。\n" + PLANT, len("第一段。\n") + PLANT.index("花期")) == "青岩草"  # per paragraph
    assert topic_of(SCHOLAR, SCHOLAR.index("早年")) == "罗明"  # a name, however it is tagged
    # A clause is not a subject: a speaker's lead-in, a frame, a date, a verb phrase.
    for opening in ("李华表示，要加快发展。", "李华说，要加快发展。", "在生态环境方面，要加快排查。", "2023年7月31日，会议召开。", "某某不参加比赛，原因未明。"):
        text = opening + "同时还要做好各项准备工作。"
        assert topic_of(text, len(opening)) == "", opening


def test_a_later_sentence_answers_for_the_subject_it_leaves_unsaid() -> None:
    answer = ask("青岩草的花期是什么时候？", PLANT)
    assert not answer.refused and "花期4-6月" in answer.text and "为菊科" not in answer.text


def test_a_view_the_paragraph_reports_of_its_subject_answers_what_they_think() -> None:
    answer = ask("罗明认为哲学的中心问题是什么？", SCHOLAR)
    assert not answer.refused and "人生" in answer.text
    # What the paragraph says of them that reports no view does not answer what they think.
    assert ask("罗明怎么评价北平的教学？", "罗明（1901年－1975年），浙江人。早年留学德国。1930年回国，任教于北平。").refused


def test_question_words_are_not_terms() -> None:
    assert analyse("赵青是哪儿的人？").terms == ("赵青",)
    assert "哪几种" not in analyse("东湖区推进改造有哪几种模式？").terms
    assert analyse("新品何时上映？").terms == ("新品", "上映")
    assert "哪吒" in analyse("电影哪吒的票房是多少？").terms  # a name that begins like a question word


def test_a_word_the_text_never_uses_is_cut_into_the_parts_it_does() -> None:
    text = "林涛（1983年－），足球运动员，司职中场，现效力于长安竞技队。"

    def has(term: str) -> bool:
        return term in text

    assert recut("林涛现", has) == ("林涛",)  # a name run into the next word
    assert recut("中场球员", has) == ("中场",)  # only the start the text uses
    assert recut("足球运动员", has) == ()  # used as written
    assert recut("第一次", has) == ()  # an ordinal is a fact as written
    assert recut("足球", has) == ()  # two characters are left whole


def test_latin_words_are_found_whatever_their_case() -> None:
    text = "本品是一种饮料，夏季销量最好。XQ7是一种蛋白质，可以杀死多种细菌。"
    answer = ask("XQ7的功效有哪些？", text)
    assert not answer.refused and "杀死多种细菌" in answer.text


def test_a_quote_is_a_repeat_only_when_it_adds_no_figure() -> None:
    said = "1-7月份全省固定资产投资同比下降1.3%，但分行业看工业投资继续保持增长。"
    assert not repeats("1-7月份全省工业投资同比增长8.9%。", said)  # a new figure is news
    assert repeats("1-7月份全省固定资产投资同比下降1.3%。", said)
    assert repeats("其中，制造业增长15.9%。" + said, said)  # the quote it extends by a neighbour


def test_a_number_is_also_found_as_text_spells_it() -> None:
    from app.answer.candidates import forms

    assert forms("23") == ("23", "二十三") and "二十" in forms("20")
    assert forms("1992") == ("1992", "一九九二") and "二零零八" in forms("2008")
    # One to ten are inside too many words (一些, 十分) to stand for a figure.
    assert forms("5") == ("5",) and forms("10") == ("10",) and forms("123") == ("123",)


def test_a_figure_is_on_topic_by_common_words_when_the_question_has_no_rarer_word_any_passage_uses() -> None:
    from app.answer.candidates import Sentence
    from app.answer.topic import on_topic

    # jieba cuts 总营收是 into 总营 / 收是; no passage has 收是, and 财年 and 总营 are in every passage.
    answer = "财报显示，2021财年甲公司总营收193.8亿元，同比增长62%。"
    texts = [answer, "2021财年甲公司总营收增长较快。", "甲公司2021财年总营收主要来自游戏。", "甲公司财年总营收结构变化。"]
    info = analysed("甲公司2021财年总营收是多少？", LocalCorpus(texts), False)
    assert "收是" in info.unseen and {"财年", "总营"} <= info.common
    assert on_topic(info, Sentence(make_hit(answer), 0, len(answer), 1.0, 1.0))


def test_what_a_figure_question_measures_is_required_even_when_no_passage_gives_it() -> None:
    text = "今年新增直接融资担保业务规模达662.83亿元，同比增长59.50%。"
    assert ask("担保机构去年的代偿率是多少？", text).refused


def test_a_latin_term_written_in_another_case_is_not_unused() -> None:
    texts = ["MU1234航班上载有132人。", "MU1234航班延误。"]
    info = analysed("坠毁的mu1234航班上有多少人", LocalCorpus(texts), False)
    assert "mu1234" in info.terms and "mu1234" not in info.unseen
