"""Questions about other names and kinship, and the grammar other answer types rest on: purposes and
backgrounds asked as why, clock times, places jieba runs into the next word, titles holding a terminator."""

from __future__ import annotations

from app.answer.answer_type import fits_type
from app.answer.compose import compose
from app.answer.corpus import LocalCorpus
from app.answer.question import analyse, place_forms, places_in
from app.answer.relations import asked_relation, asks_alias, gives_alias, states_relation
from app.text import sentence_spans, tagged
from tests.conftest import make_hit


def ask(question: str, text: str):  # type: ignore[no-untyped-def]
    return compose(question, [make_hit(text)], LocalCorpus([text]))


def quoted(question: str, text: str) -> str:
    answer = ask(question, text)
    assert not answer.refused, answer.text
    return "".join(c.quote for c in answer.citations)


def test_another_name_is_asked_by_its_markers_and_given_by_them() -> None:
    assert asks_alias("青岩草的别名是什么？") and asks_alias("这座塔又称之为什么？") and asks_alias("她有什么美誉？")
    assert not asks_alias("他为什么被称为铁人？") and not asks_alias("青岩草的花期是什么时候？")
    assert gives_alias("青岩草（学名：未定），又名石上青，是菊科植物。") and gives_alias("她被誉为越剧皇后。")
    assert not gives_alias("青岩草的叶子呈披针形。")
    text = "专家认为，某市这次出台的《若干措施》提升了楼市信心。8月17日，某市发布《促进房地产市场平稳发展的若干措施》(以下简称《若干措施》)。"
    assert "促进房地产市场平稳发展的若干措施" in quoted("某市出台的楼市新政，文件全称是什么？", text)
    why = analyse("青岩草为什么又叫石上青？")  # asks why, not for the name
    assert fits_type(why, "因其生于石上，故名石上青。") and not fits_type(why, "青岩草又名石上青。")
    text = "青岩草是菊科植物，高约半米。青岩草又名石上青、岩头草，分布于云南。青岩草的叶子呈披针形，长约三厘米。"
    assert "又名石上青" in quoted("青岩草的别名是什么？", text)
    # a short sentence giving the other name is quotable, and a "有什么" question asking for it is no list
    text = "王某，女，1940年生，山西人。七岁学戏，演过《教子》、《回龙阁》等戏。被誉为越剧皇后。"
    assert quoted("王某有什么美誉？", text).startswith("被誉为越剧皇后。")


def test_a_kinship_question_is_answered_by_the_sentence_saying_whose_relation_someone_is() -> None:
    assert asked_relation("张某是谁的女儿？") == "女儿" and asked_relation("李某是哪位皇帝的皇后？") == "皇后"
    assert asked_relation("张某是谁？") == "" and asked_relation("张某的女儿是谁？") == ""
    assert states_relation("女儿", "县令王某之长女，幼年随父") and states_relation("女儿", "她是王某的女儿。")
    assert states_relation("皇后", "北朝某帝的第二任皇后，") and states_relation("妻子", "后嫁学者赵某为妻。")
    assert states_relation("儿子", "知府刘某之子。")
    assert not states_relation("女儿", "她是当地最早的女性画家。")  # 的女 also opens 女性
    text = "张小梅（1920年－1990年），江南画家。她是当地最早的女性画家之一。县令张某之长女，幼年随父学画。"
    assert "县令张某之长女" in quoted("张小梅是谁的女儿？", text)


def test_a_title_holding_a_terminator_is_not_cut_into_sentences() -> None:
    text = "《再见！我的城》是他的第三张专辑。他说《好！》。《未闭合！这是下一句。"
    assert [text[a:b] for a, b in sentence_spans(text)] == ["《再见！我的城》是他的第三张专辑。", "他说《好！》。", "《未闭合！", "这是下一句。"]


def test_a_purpose_or_background_question_wants_the_cause() -> None:
    purpose = analyse("她出于什么目的设计了这个方法？")
    assert fits_type(purpose, "她为了评估药物的影响，设计了这个方法。") and not fits_type(purpose, "这个方法在1952年发表。")
    background = analyse("决定成立协会的背景是什么？")
    assert fits_type(background, "由于投机案频发，商人们决定成立协会。")
    assert not fits_type(background, "在此背景下，商人们决定成立协会。")  # its cause is in the sentence before


def test_a_clock_time_or_a_solar_term_answers_when() -> None:
    when = analyse("每年的什么时候塔下没有影子？")
    assert fits_type(when, "每年夏至正午12时26分，塔下没有影子。")
    assert not fits_type(when, "塔下有一块铜牌。")


def test_a_place_jieba_runs_into_the_next_word_is_no_place_and_a_region_is_named_without_its_suffix() -> None:
    assert "锦地罗不" not in places_in(tagged("哪个品种的锦地罗不需要冬眠？"))
    assert "台湾" in place_forms("台湾地区")


def test_the_noun_a_question_word_asks_about_is_not_something_the_articles_must_name() -> None:
    assert "帝王" not in analyse("元某是哪位帝王的皇后？").specifics  # jieba tags 帝王 as a name
    assert "李明" in analyse("李明是哪个局的局长？").specifics


def test_money_in_a_foreign_currency_answers_how_much_money() -> None:
    money = analyse("某公司共斥资多少钱收购了这家企业？")
    assert fits_type(money, "某公司斥资77亿美元收购该企业。") and fits_type(money, "交易价格为20万英镑。")
    assert not fits_type(money, "某公司于2014年收购该企业。")


def test_a_count_is_answered_by_naming_each_thing_counted() -> None:
    count = analyse("卡洛身兼几家骑士团的团长？")
    assert fits_type(count, "卡洛还是甲骑士团、乙骑士团和丙骑士团的团长。")
    assert not fits_type(count, "卡洛是甲骑士团的团长。")
    # the noun coming back names no item here: "…3个方面发力…在这方面"
    assert not fits_type(analyse("商务部将从几个方面发力？"), "将从绿色化、智能化、适老化等方面发力，引导企业在这方面进行探索。")


def test_when_someone_died_is_answered_by_the_death_told_and_a_dynasty_s_end_is_a_time() -> None:
    died = analyse("潘某逝世的时间是？")
    assert fits_type(died, "清同治十二年(1873年)，卒。") and not fits_type(died, "清嘉庆九年(1804年)，潘某出生。")
    assert fits_type(analyse("这种制度什么时候开始瓦解的？"), "这种制度在唐末的战乱中瓦解。")
