from __future__ import annotations

import pytest

from app.answer.answer_type import fits_type
from app.answer.naming import asked_head, names_after_head
from app.answer.question import analyse


@pytest.mark.parametrize(
    ("question", "kind", "unit"),
    [
        ("发改委提出的固定资产投资目标是多少亿元？", "number", "亿元"),
        ("郑州党政代表团考察了几天？", "number", "天"),
        ("工业增加值比重提高到百分之多少？", "number", "%"),
        ("是谁说成都很潮？", "person", ""),
        ("这篇稿子是哪天见报的？", "date", ""),
        ("要聚焦哪些细分产业？", "list", ""),
        ("对标哪几个城市？", "list", "个"),
        ("把哪里作为龙头？", "place", ""),
        ("Who said Chengdu is trendy?", "person", ""),
        ("How much investment is planned?", "number", "元"),  # as 多少投资
        ("公积金贷款最高额度提高到了多少？", "number", "元"),
        ("How many companies pitched at the roadshow?", "number", "家"),
        ("How many sites are on the World Heritage List?", "number", ""),  # "List" is no request for a list
    ],
)
def test_question_kinds_and_units(question: str, kind: str, unit: str) -> None:
    info = analyse(question)
    assert (info.kind, info.unit) == (kind, unit)


def test_specifics_are_names_places_organisations_and_figures() -> None:
    assert set(analyse("郑州2022年GDP总量是多少？").specifics) >= {"2022"}
    assert "武汉" in analyse("系列报道里武汉有哪些经验值得郑州学？").specifics
    assert "财政局" in "".join(analyse("市财政局安排了多少专项资金？").specifics)
    assert analyse("要聚焦哪些细分产业？").specifics == ()
    assert analyse("What did Wang Zhiming say?").english and analyse("What did Wang Zhiming say?").specifics == ()


def test_fits_type() -> None:
    assert fits_type(analyse("投资多少亿元？"), "力争突破7000亿元。")
    assert not fits_type(analyse("投资多少亿元？"), "力争突破7000家。")
    assert fits_type(analyse("哪天见报的？"), "2023年5月17日 星期三")
    assert not fits_type(analyse("哪天见报的？"), "今年4月郑州发布了新政。")
    assert fits_type(analyse("哪一年举办的？"), "2021年首次举办。")


def test_an_approximate_figure_keeps_its_unit() -> None:
    # 余 and 多 may follow the magnitude as well as the number: 1万余家, 3亿多元, 300多家.
    assert fits_type(analyse("全国有多少家机构获得了等级？"), "全国共有1万余家机构经评定获得等级。")
    assert fits_type(analyse("全国有多少家机构获得了等级？"), "已有300多家机构获评。")
    assert fits_type(analyse("补贴了多少元？"), "累计发放补贴3亿多元。")
    assert not fits_type(analyse("全国有多少家机构获得了等级？"), "全国共有1万余名从业人员。")


def test_english_what_target_questions_ask_for_a_figure() -> None:
    assert analyse("What real-estate development investment target did Xia Yang set?").kind == "number"
    assert analyse("What budget did the bureau announce for 2024?").kind == "number"


def test_the_general_classifier_accepts_any_count() -> None:
    info = analyse("报道聚焦了几个国家中心城市？")
    assert info.kind == "number" and fits_type(info, "聚焦八大国家中心城市的经验。")


def test_what_each_said_is_a_list_but_how_many_each_is_a_number() -> None:
    assert analyse("几位受访者都谈到了街区建设，分别怎么说的？").kind == "list"
    assert analyse("新兴产业、传统优势产业各有几个？").kind == "number"


def test_how_much_money_needs_an_amount_of_money() -> None:
    info = analyse("奖励标准是多少钱？")
    assert info.kind == "number" and info.unit == "元"
    assert fits_type(info, "最高奖励50万元。") and not fits_type(info, "吸引了1300余名高层次人才。")


def test_which_cities_is_answered_by_sentences_naming_cities() -> None:
    info = analyse("Which two cities does Wang Zhiming benchmark Zhengzhou's industry against?")
    assert fits_type(info, "对标苏州、宁波等地,我市工业存在差距。")
    assert not fits_type(info, "聚焦科技前沿技术,深化产学研合作,提供智力支撑。")


def test_which_three_cities_is_a_list_of_cities() -> None:
    info = analyse("夏扬去了哪三个城市考察？")
    assert info.kind == "list" and fits_type(info, "此次赴苏州、宁波、成都三地考察。")


def test_counts_of_people_in_ten_thousands_and_other_classifiers() -> None:
    info = analyse("2023年国考计划招录多少人？")
    assert fits_type(info, "计划招录的3.71万人。") and fits_type(info, "有1.4万名师生志愿者。")


def test_a_two_character_verb_ending_in_ban_is_not_an_office() -> None:
    assert "主办" not in analyse("哪个国家主办了2022年的文化周？").specifics
    assert "教育局" in analyse("市教育局提出了哪些措施？").specifics


def test_digits_in_names_are_not_figures_and_shares_ask_for_percent() -> None:
    info = analyse("工业增加值的比重要提高到多少？")
    assert info.unit == "%"
    figure = analyse("这项投资是多少？")
    assert not fits_type(figure, "推动5G+人工智能融合应用。") and fits_type(figure, "投资达到1500亿元。")


def test_a_date_is_one_term_not_figures() -> None:
    assert analyse("5月17日那个版面的栏目叫什么？").terms[-1] == "5月17日"
    assert "5" not in analyse("5月17日那个版面的栏目叫什么？").terms
    assert "2023年5月17日" in analyse("2023年5月17日的报纸讲了什么？").terms


def test_the_count_a_which_question_expects() -> None:
    from app.answer.question import asked_count

    assert [asked_count(q) for q in ("具体是哪13条？", "要做到哪三点？", "哪两个中心？", "哪十二个城市？", "哪二十个项目？")] == [13, 3, 2, 12, 20]
    assert asked_count("要做到哪几点？") == 0 and asked_count("哪一个城市？") == 1


def test_items_listed_counts_the_longest_enumeration_of_a_clause() -> None:
    from app.answer.question import items_listed

    assert items_listed("做到学习找标杆、借鉴提标准、转化见标志,切实转化。") == 3
    assert items_listed("加快建设应用创新推广中心和数字化转型促进中心。") == 2
    assert items_listed("围绕“中华经典”“世界品牌”“时代时尚”,集聚资源。") == 3
    assert items_listed("聚焦13条先进制造业产业链,积极开展补链、延链、强链。") == 3
    assert items_listed("我市将优化营商环境。") == 0


def test_a_figure_question_pins_its_period_and_texts_write_it_several_ways() -> None:
    from app.answer.question import analyse, period_forms

    assert analyse("空港中心8月份的货量环比增长了多少？").periods == ("8月份",)
    assert analyse("今年1至7月事故起数下降了多少？").periods == ("1至7月",)
    assert "1月至7月" in period_forms("1至7月") and "前7个月" in period_forms("1-7月份")
    assert "第二季度" in period_forms("二季度")
    assert analyse("今年的目标是多少？").periods == ()


def test_a_figure_for_another_month_does_not_answer() -> None:
    from app.answer.compose import compose
    from app.answer.corpus import LocalCorpus
    from tests.conftest import make_hit

    text = "该中心运行以来货量连月攀升，其中6月、7月货量环比增长78%和41%。"
    hit = make_hit(text)
    assert compose("该中心8月份的货量环比增长了多少？", [hit], LocalCorpus([text])).refused
    assert not compose("该中心7月份的货量环比增长了多少？", [hit], LocalCorpus([text])).refused


def test_an_office_named_after_its_level_is_one_name_even_where_jieba_splits_it() -> None:
    from app.answer.question import specifics

    assert "市测试局" in specifics("市测试局负责人说了什么？")
    assert specifics("市工信局党组书记说了什么？") == ("工信局",)  # jieba's own word is kept, not doubled


def test_a_reign_or_era_year_answers_which_year_but_a_span_of_years_does_not() -> None:
    info = analyse("她举了哪一年的积水记载作为例子？")
    assert fits_type(info, "比如光绪十一年的阴历四月，积水数尺不等。")
    assert fits_type(info, "民国元年，这里建起了第一座水厂。") and fits_type(info, "二〇二三年，工程完工。")
    assert not fits_type(info, "过去十年，排水系统发展了十年也没有积水。")


def test_a_post_joined_to_another_by_he_keeps_its_organisation() -> None:
    from app.answer.question import posts

    assert posts("空军新闻发言人和长春市常务副市长分别介绍了哪些表演？") == (("空军", "新闻发言人"), ("长春市", "常务副市长"))
    assert posts("这位局长说了什么？") == (("", "局长"),)


def test_broad_when_questions_take_any_time_and_ratios_answer_a_share() -> None:
    when = analyse("软枝黄蝉的盛花期是什么时候？")
    assert fits_type(when, "盛花期为夏季。") and fits_type(when, "生殖季在2至4月。") and not fits_type(when, "它是一种植物。")
    assert not fits_type(analyse("大会哪天开幕？"), "大会在夏季开幕。")  # 哪天 still wants a day
    assert fits_type(analyse("学校男女生比例是多少？"), "男女比例约为1：7。")
    assert fits_type(analyse("他的身高是多少？"), "身高182CM。") and not fits_type(analyse("有多少个基站？"), "建设5G网络。")


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("某外长访华时间", "date"),
        ("这部剧在台湾播出的时间？", "date"),
        ("2023年全国茶叶产量", "number"),
        ("2022年高考报名人数", "number"),
        ("2023一季度中国GDP增长率", "number"),
        ("他当了多久市长", "number"),  # a duration is a figure, not a date
        ("条约有效期是多长时间？", "number"),
        ("某学术年会的举办地点", "place"),
        ("什么是基尼系数？", "general"),  # asks what the noun means
        ("航空展安排在什么时间、什么地点？", "general"),  # asks two things
        ("把群众的需求摆在什么位置？", "general"),
    ],
)
def test_a_question_without_a_question_word_asks_for_what_its_last_noun_names(question: str, kind: str) -> None:
    assert analyse(question).kind == kind


def test_a_place_fits_by_its_suffix_or_where_something_is_held() -> None:
    where = analyse("展会在哪里举办？")
    assert fits_type(where, "本届展会7月26日至30日在东湖机场举行。")
    assert fits_type(where, "大会于阿布扎比召开。")
    assert not fits_type(where, "本届展会吸引了大批观众。")


def test_a_count_of_something_measures_the_thing() -> None:
    # A text gives "人口约33,700人" without the 数 of 人口数.
    assert analyse("2008年，某大区的人口数是多少？").measure == ("人口",)
    assert analyse("该地区的人口数量是多少？").measure == ("人口",)
    # 人数 asks for a count of people, which the unit checks.
    assert (analyse("全年人数是多少？").unit, analyse("全年人数是多少？").measure) == ("人", ())
    assert analyse("2023年全国茶叶产量").measure == ("茶叶", "产量")  # no question word: what ends it


def test_a_date_is_no_amount() -> None:
    assert not fits_type(analyse("全国茶叶产量是多少？"), "2023年全国茶叶种植面积和总产量分别如下。")
    assert fits_type(analyse("全国茶叶产量是多少？"), "2023年全国茶叶总产量355万吨。")


def test_a_headquarters_is_no_office() -> None:
    assert "公司总部" not in analyse("某某公司总部在哪里？").specifics
    assert "财政部" in analyse("财政部安排了多少资金？").specifics


def test_a_date_question_is_answered_only_by_a_time_it_does_not_state() -> None:
    when = analyse("2024年某峰会的时间？")
    assert not fits_type(when, "甲国本来将担任2024年峰会主席国。")
    assert fits_type(when, "峰会于2024年11月15日至16日在海滨城市举行。")
    assert fits_type(analyse("峰会是哪一年举办的？"), "峰会2022年首次举办。")


def test_a_why_question_is_answered_by_a_quote_that_holds_the_cause() -> None:
    why = analyse("为什么这种果子被称为懒人果？")
    assert fits_type(why, "由于采摘不需要任何工具，它被称为懒人果。")
    assert fits_type(why, "果子熟了自己落地。因此它被称为懒人果。")  # the pair holds the cause
    assert not fits_type(why, "因此它被称为懒人果。")  # the cause is in the sentence before
    assert fits_type(analyse("工厂停产的原因是什么？"), "原料短缺，故工厂停产。")
    assert fits_type(why, "它因形状像枕头被称为懒人果。") and not fits_type(why, "它因而被称为懒人果。")
    # 为 closing a verb asks for a name, not a reason.
    assert fits_type(analyse("这种果子被称为什么？"), "因此它被称为懒人果。")
    assert fits_type(analyse("小说被改编为什么？"), "之后改编为漫画。")


def test_who_is_or_what_is_it_called_fits_a_name_right_after_what_it_asks_about() -> None:
    def fits(info, sentence: str) -> bool:
        return names_after_head(info, sentence)

    mascot = analyse("某运动会吉祥物是谁？")
    assert fits(mascot, "运动会吉祥物“竹竹”以竹子为原型。") and fits(mascot, "吉祥物冰果果则以竹子为原型。")
    assert not fits(mascot, "运动会的吉祥物极具深意。")
    director = analyse("《巷子》的导演是谁？")
    assert fits(director, "导演陆某在影视领域从业多年。") and not fits(director, "正在寻找主演的导演陆...")
    champion = analyse("谁是冠军？")
    assert fits(champion, "冠军由李楠获得。") and not fits(champion, "球队的冠军荣誉里缺少这一座奖杯。")
    # The head must be of what the question asks about: not 女子组冠军 for 男子组冠军.
    men = analyse("男子组冠军是谁？")
    assert not fits(men, "女子组冠军李楠赛后接受采访。") and fits(men, "赛后，男子组冠军陈晓峰接受采访。")
    assert fits(analyse("新舰叫什么？"), "这艘新舰命名为泉州舰。")
    # A naming verb later in the clause; a dash marks a name jieba cuts short (罗致 + 焕).
    assert fits(mascot, "运动会吉祥物揭晓，它的名字叫作冰果果。")
    assert fits(mascot, "某运动会官方吉祥物揭晓，它的名字叫作冰果果。")  # the question's 运动会 comes just before
    torch = analyse("谁是第一棒火炬手？")
    assert fits(torch, "他点燃火炬并交给第一棒火炬手——罗致焕。")
    assert not fits(torch, "姚明作为第19棒火炬手，点燃了第20棒火炬手希腊大使手中的火炬。")  # another count
    # Not a question about what someone did ("X是谁介绍的"), nor where a name comes from.
    assert asked_head("这项活动是谁介绍的？") == "" and asked_head("他的名字是怎么来的？") == ""
    assert asked_head("飞船的航天员有谁？") == ""  # a list of people


def test_a_day_month_or_clock_time_is_no_amount() -> None:
    growth = analyse("上半年全省经济增长了多少？")
    assert not fits_type(growth, "上半年全省经济运行情况发布会30日在省会举行。")
    assert not fits_type(growth, "1-7月份，全省经济运行总体平稳，14时38分发布。")
    assert fits_type(growth, "上半年全省经济增长4.8%。")
    assert fits_type(analyse("工期有多少天？"), "工期为30日。")
    assert fits_type(analyse("花期约是多久？"), "花期1-3月。")


def test_a_text_naming_only_other_years_is_not_about_the_year_asked() -> None:
    from app.answer.kinds import another_year

    assert another_year("某周刊2022年度体育人物是谁？", "某周刊2021“年度人物”榜单：年度体育人物：某某")
    assert not another_year("某周刊2022年度体育人物是谁？", "2022年度体育人物：某某，比2021年多一位。")
    assert not another_year("某周刊2022年度体育人物是谁？", "年度体育人物：某某")  # no year: the passage may say it
    assert not another_year("年度体育人物是谁？", "2021年度体育人物：某某")
    assert not another_year("2022年有多少人参赛？", "共有2000多人参赛。")  # 2000多人 is no year


def test_paraphrased_dimensions_chinese_numeral_dates_and_things_with_names_that_jieba_tags_as_people() -> None:
    from app.answer.topic import measured_share

    assert measured_share("这种袋鼠很细小，约只有8公斤重。", ["体重"]) == 1.0
    assert measured_share("这种袋鼠很细小，行动敏捷。", ["体重"]) == 0.0
    when = analyse("什么时候双方互换批准书？")
    assert fits_type(when, "双方代表于一九六一年九月十日互换批准书。") and fits_type(when, "他高二的时候拍了第一支广告。")
    # jieba's dictionary tags 英文名 and 叶子 as people: what a thing has is no person to look for.
    assert analyse("某银行的英文名是什么？").specifics == () and analyse("某草的叶子有什么特点？").specifics == ()
    assert analyse("哪种鸡毛松才可以被砍伐？").specifics == ()  # jieba's HMM coins a name 松才
    assert "李白" in analyse("李白的诗有哪些？").specifics


def test_what_kind_of_thing_is_answered_by_a_word_before_the_noun() -> None:
    film = analyse("某片是什么电影？")
    assert fits_type(film, "《某片》是一部喜剧电影。") and not fits_type(film, "这种类型的电影很多。")
    assert fits_type(analyse("某某是什么项目的？"), "某某是自由式滑雪空中技巧项目运动员。")
    assert fits_type(analyse("这句话是什么意思？"), "意思是要珍惜时间。")  # 意思 asks no kind


def test_who_holds_something_is_not_answered_by_whoever_is_quoted() -> None:
    from dataclasses import replace

    from app.answer.kinds import fits
    from tests.conftest import make_hit

    def voiced(text: str, name: str, position: str):  # type: ignore[no-untyped-def]
        hit = make_hit(text)
        return replace(hit, chunk=replace(hit.chunk, speaker=name, position=position))

    quoted = voiced("某队前锋张三表示，球队非常渴望夺冠。", "张三", "某队前锋")
    assert not fits(analyse("足协杯冠军是谁？"), quoted, 0, len(quoted.chunk.text))
    assert fits(analyse("谁说球队渴望夺冠？"), quoted, 0, len(quoted.chunk.text))
    spokesman = voiced("某局新闻发言人李四表示，将加快进度。", "李四", "某局新闻发言人")
    assert fits(analyse("某局新闻发言人是谁？"), spokesman, 0, len(spokesman.chunk.text))


def test_a_property_of_one_part_is_answered_by_the_sentence_about_that_part() -> None:
    leaf = analyse("某草的叶子有什么特点？")
    assert fits_type(leaf, "叶为披针形，长5厘米。") and fits_type(leaf, "其叶互生。")
    assert not fits_type(leaf, "某草，又名甲、乙、丙，是菊科植物。")
    assert fits_type(analyse("某树的树叶是什么形状的？"), "其叶螺旋状排列。")


def test_by_what_means_asks_for_a_cause_and_attracting_is_one() -> None:
    how = analyse("某园区凭什么招来这么多企业？")
    assert fits_type(how, "优越的营商环境,吸引了300余家企业入驻。")
    assert not fits_type(how, "园区始终把企业服务作为基础性工程。")


def test_how_someone_died_is_answered_by_the_death_told_and_where_by_what_it_lies_in() -> None:
    died = analyse("某将军是怎么死的？")
    assert fits_type(died, "后被部下所杀。") and not fits_type(died, "某将军，字某某，某地人。")
    where = analyse("某区的地理位置在哪里？")
    assert fits_type(where, "它位于塞纳河的右岸。") and not fits_type(where, "这里历史悠久。")


def test_where_someone_was_born_is_answered_by_the_birth_told() -> None:
    born = analyse("某作家出生于哪里？")
    assert fits_type(born, "某作家生于乌拉圭蒙得维的亚。") and fits_type(born, "某作家（1944年生于旧金山）是美国作家。")
    assert not fits_type(born, "1960年某作家在巴黎去世。")
