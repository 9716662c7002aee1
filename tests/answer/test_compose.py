from __future__ import annotations

import numpy as np

from app.answer.compose import compose
from app.answer.corpus import LocalCorpus
from app.answer.verify import problems
from tests.conftest import make_hit

LI = {"speaker": "李明", "position": "市科技局党组书记、局长", "department": "市科技局"}
WANG = {"speaker": "王芳", "position": "市商务局局长", "department": "市商务局"}


def ask(question: str, hits, similarity=None):  # type: ignore[no-untyped-def]
    return compose(question, hits, LocalCorpus([f"{h.chunk.header}\n{h.chunk.text}" for h in hits]), similarity)


def test_number_question_quotes_the_sentence_with_the_figure_and_names_the_speaker() -> None:
    hits = [
        make_hit("我市将对标深圳、杭州。力争全年新增高新技术企业500家。我们要加快建设算力中心。", **LI),
        make_hit("商务局将优化营商环境,做强夜经济品牌。", rank=2, **WANG),
        make_hit("文旅局将打造一批休闲街区。", rank=3, article="a2"),
    ]
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


def test_each_named_speaker_gets_their_best_quote_not_their_first() -> None:
    hits = [
        make_hit("对标深圳、杭州,我市科技投入存在差距。对标深圳,科技局首先要学习创新生态经验,建设算力中心。", **LI),
        make_hit("商务局将打造夜经济场景,做强消费品牌。对标深圳,商务局看重开放平台经验。", rank=2, **WANG),
    ]
    answer = ask("对标深圳，科技局和商务局各自看重深圳哪方面经验？", hits)
    quotes = [c.quote for c in answer.citations]
    assert any("创新生态经验" in q for q in quotes) and any("开放平台经验" in q for q in quotes)
    assert not any("存在差距" in q for q in quotes)


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


def test_a_refusal_lists_what_related_passages_say_not_their_date_lines() -> None:
    from app.answer.compose import refusal
    from app.answer.question import analyse

    hit = make_hit("2023-08-18\n东湖区今年新建了三座公园，市民休闲去处更多。")
    answer = refusal("东湖区的GDP是多少？", analyse("东湖区的GDP是多少？"), [hit])
    assert answer.refused and answer.citations[0].quote == "东湖区今年新建了三座公园，市民休闲去处更多。"


def test_headlines_and_interview_lines_are_not_quoted_as_answers() -> None:
    text = "推进算力建设 交出科技答卷\n——访市科技局党组书记、局长李明\n李明表示,要依托高校共建产业研究院,推动校地合作。"
    answer = ask("科技局打算怎么借高校的力？", [make_hit(text, **LI)])
    assert not answer.refused and "产业研究院" in answer.text
    assert "交出科技答卷" not in answer.text and "——访" not in answer.text
    titled = ask("这篇专访的标题是什么？", [make_hit(text, **LI)])
    assert "交出科技答卷" in titled.text


def test_a_figure_about_something_else_does_not_answer_a_figure_question() -> None:
    hits = [make_hit("市商务局将全力稳住外贸外资基本盘。确保全年新签约项目突破7000亿元。", **WANG)]
    assert ask("商务局给今年外贸进出口总额定的目标是多少？", hits).refused
    answer = ask("商务局今年新签约项目的目标是多少？", hits)
    assert not answer.refused and "7000亿元" in answer.text


def test_an_ordinal_the_articles_never_use_is_refused() -> None:
    hits = [make_hit("今年4月郑州发布了10条青年人才新政,邀请青年英才来郑创新创业。", **LI)]
    assert ask("10条青年人才新政的第一条讲的是什么？", hits).refused


def test_asking_what_each_of_several_people_said_is_a_list_not_a_head_count() -> None:
    hits = [
        make_hit("科技局将建设时尚街区,推动夜间消费。", **LI),
        make_hit("商务局将提升特色商业街区。", rank=2, **WANG),
    ]
    answer = ask("几位受访者都谈到了街区建设，分别怎么说的？", hits)
    assert not answer.refused and "时尚街区" in answer.text


def test_a_reporter_named_in_the_byline_has_no_opinion_to_quote() -> None:
    hits = [make_hit("我市将加快建设算力中心。\n测试日报记者 张三", **LI)]
    answer = ask("记者张三自己怎么评价这些设想？", hits)
    assert answer.refused and all("张三" not in c.quote for c in answer.citations)


def test_english_question_prefers_the_person_and_city_it_names() -> None:
    hits = [
        make_hit("我市将对标深圳,加快建设算力中心。我们还要发展新材料产业。", **LI),
        make_hit("商务局将学习苏州经验,打造开放平台。我们要优化营商环境。", rank=2, **WANG),
    ]

    def flat(question: str, sentences: list[str]) -> np.ndarray:
        return np.full(len(sentences), 0.8)

    answer = ask("What will Wang Fang learn from Suzhou?", hits, flat)
    assert not answer.refused
    assert any("苏州" in c.quote and c.chunk.speaker == "王芳" for c in answer.citations)


def test_asking_for_the_aspects_quotes_the_numbered_points_in_order() -> None:
    from dataclasses import replace

    hits = [
        make_hit("作为发改部门,必须强化三标意识。\n二是抓好重大项目的谋划推进。力争储备项目30个以上。", **LI),
        make_hit("一是抓好城市发展战略政策研究。立足国家所需。\n三是抓好经济发展活力激发释放。", rank=2, **LI),
    ]
    hits = [replace(h, chunk=replace(h.chunk, section_id="a1#interview")) for h in hits]  # one interview
    answer = ask("李明说回来后要抓好哪几方面的工作？", hits)
    assert not answer.refused
    quotes = [c.quote for c in answer.citations]
    assert [q[:2] for q in quotes] == ["一是", "二是", "三是"]


def test_another_speakers_numbered_points_do_not_answer_an_aspects_question() -> None:
    from dataclasses import replace

    points = make_hit("一是抓好政策研究。\n二是抓好项目推进。", rank=2, **WANG)
    points = replace(points, chunk=replace(points.chunk, section_id="a1#wang"))
    gap = make_hit("对标深圳,郑州工业在经济体量、发展质量、产业结构等方面存在差距。", **LI)
    answer = ask("跟深圳比，郑州工业差在哪几个方面？", [gap, points])
    assert "经济体量" in answer.text and "一是" not in answer.text


def test_which_speakers_mention_a_topic_gets_a_quote_from_each() -> None:
    zhao = {"speaker": "赵强", "position": "市文旅局局长", "department": "市文旅局"}
    hits = [
        make_hit("要建设文旅休闲街区,打造网红打卡地。", **zhao),
        make_hit("我们要优化营商环境。实施特色商业街区提升工程。", rank=2, **WANG),
        make_hit("要推动人工智能发展。", rank=3, **LI),
    ]
    answer = ask("几位受访者都谈到了街区建设，分别怎么说的？", hits)
    assert not answer.refused
    assert {c.chunk.speaker for c in answer.citations} == {"赵强", "王芳"}
    assert all("街区" in c.quote for c in answer.citations)


def test_a_word_in_most_passages_does_not_make_a_figure_on_topic() -> None:
    hits = [
        make_hit("郑州确定未来着力打造“四大高地”。", article="a1"),
        make_hit("郑州将建设国际消费中心城市。", rank=2, article="a2"),
        make_hit("郑州力争全年新增企业500家。", rank=3, article="a3"),
        make_hit("商务局将优化营商环境。", rank=4, **WANG),
    ]
    assert ask("郑州今年的GDP目标是多少？", hits).refused
    answer = ask("郑州今年要新增多少家企业？", hits)
    assert not answer.refused and "500家" in answer.text


def test_who_is_answered_by_the_interview_line() -> None:
    text = "推进算力建设 交出科技答卷\n——访市科技局党组书记、局长李明\n要依托高校共建产业研究院。"
    answer = ask("科技局局长是谁？", [make_hit(text, **LI)])
    assert "——访市科技局党组书记、局长李明" in answer.text and "交出科技答卷" not in answer.text


def test_asking_for_a_post_shows_the_position_even_when_the_quote_names_the_speaker() -> None:
    hits = [make_hit("李明表示,要加快建设算力中心。", **LI)]
    assert ask("李明的职务是什么？", hits).text.startswith("市科技局党组书记、局长李明表示：“李明表示")
    assert ask("李明对算力中心怎么说？", hits).text.startswith("“李明表示")


def test_a_post_nobody_quoted_holds_is_refused() -> None:
    from app.answer.corpus import holds_post

    people = ["市委副秘书长、市委政研室主任严波", "市工信局党组书记、局长王智明"]
    assert not holds_post(people, "市委", "书记")  # 秘书长 is not 书记
    assert not holds_post(people, "", "市长")
    assert holds_post(people, "工信局", "局长") and holds_post(people, "工信局", "书记")
    assert holds_post(people, "文旅", "局长")  # an organisation nobody's position names: not decided here


def test_posts_in_questions() -> None:
    from app.answer.question import posts

    assert posts("市委书记说了什么？") == (("市委", "书记"),)
    assert posts("市长说了什么？") == (("", "市长"),)
    assert posts("哪位局长主张用年轻人的视角？") == (("", "局长"),)


def test_garbled_ocr_and_fragments_are_not_quoted_when_a_real_sentence_fits() -> None:
    from app.answer.kinds import garbled

    noise = "市文化电和旅游局党组书记、局大量雪萍说,独具特色的场景雪萍说,独具特色的场会域全时的场为。"
    assert garbled(noise) and not garbled("这次跟随代表团到成都学习考察,让我们开阔了视野。")
    text = f"{noise}定域全时的活力。\n这次跟随代表团到成都学习考察,让我们开阔了视野。"
    answer = ask("李明说了什么？", [make_hit(text, **LI)])
    assert "开阔了视野" in answer.citations[0].quote
    assert all("雪萍说" not in c.quote and c.quote != "定域全时的活力。" for c in answer.citations)


def test_a_sentence_cut_short_before_what_it_says_is_not_quoted_when_a_whole_one_fits() -> None:
    from app.answer.kinds import garbled

    assert garbled("青岩镇的地理位置为。") and garbled("工作的重点在于。")
    assert not any(garbled(t) for t in ("这一产业大有可为。", "要有所作为。", "这是最好的。", "全面普及。"))
    text = "青岩镇的地理位置为。它位于东湖区的北部，临近青龙湖。"
    answer = ask("青岩镇的地理位置在哪儿？", [make_hit(text)])
    assert not answer.refused and "青龙湖" in answer.text


def test_a_byline_is_not_attributed_to_the_interviewee() -> None:
    hits = [make_hit("我市将加快建设算力中心。\n测试日报记者 张三 通讯员 李四", **LI)]
    answer = ask("测试日报的记者是谁？", hits)
    assert not answer.refused and "张三" in answer.text
    assert "李明表示" not in answer.text and answer.text.startswith("“测试日报记者 张三")


def test_a_latin_topic_word_matches_whatever_its_case() -> None:
    hits = [make_hit(f"第{i}段。香港经济增长,GDP受关注。", rank=i + 1, article=f"a{i}") for i in range(3)]
    hits.append(make_hit("2021年香港GDP同比增长6.4%。", rank=4, article="a9"))
    answer = ask("2021年香港GDP增长了多少？", hits)
    assert not answer.refused and "6.4%" in answer.text


def test_topic_words_match_across_middle_dots_and_the_same_quote_is_not_repeated() -> None:
    hits = [
        make_hit("我市还连续举办3届“醉美·夜郑州”促消费活动。", **WANG),
        make_hit("其他内容一。", rank=2, article="a2"),
        make_hit("其他内容二。", rank=3, article="a3"),
    ]
    answer = ask("醉美夜郑州办了几届？", hits)
    assert not answer.refused and "3届" in answer.text


def test_a_quoted_sentence_ending_in_a_full_stop_is_one_sentence_not_a_pair() -> None:
    from app.answer.candidates import score
    from app.answer.question import analyse

    quoted = make_hit("“在科技城,我认识了很多外省青年。”", article="a1")
    plain = make_hit("在科技城,我认识了很多外省青年。", article="a2")
    ranked = score(analyse("在科技城认识了什么样的人？"), [quoted, plain], LocalCorpus([quoted.chunk.text, plain.chunk.text]).idf)
    by_article = {s.hit.chunk.article_id: s.score for s in ranked}
    assert by_article["a1"] == by_article["a2"]


def test_a_topic_word_inside_a_department_name_does_not_make_a_second_speaker() -> None:
    yan = {"speaker": "严波", "position": "市委政研室主任", "department": "市委政研室"}
    jing = {"speaker": "景雪萍", "position": "市文化广电和旅游局局长", "department": "市文化广电和旅游局"}
    hits = [
        make_hit("以国际一流标准抓好地标商圈、博物馆、剧场等文化设施建设。", **yan),
        make_hit("文化系统将高标准建设文旅休闲街区、文化街区。", rank=2, **jing),
        make_hit("严波表示,要推动文化与城市发展有机融合。", rank=3, article="a2", **yan),
    ]
    answer = ask("严波说要建设哪些文化设施？", hits)
    assert not answer.refused and {c.chunk.speaker for c in answer.citations} == {"严波"}


def test_an_english_question_naming_two_people_in_pinyin_gets_a_quote_from_each() -> None:
    hits = [
        make_hit("文旅局将打造一批休闲街区。", article="a2"),
        make_hit("科技局将建设算力中心,推动人工智能发展。", rank=2, **LI),
        make_hit("商务局将打造夜经济场景,做强消费品牌。", rank=3, **WANG),
    ]
    similarity = lambda question, texts: np.full(len(texts), 0.8)  # noqa: E731 - every sentence equally close
    answer = ask("What do Li Ming and Wang Fang each plan?", hits, similarity)
    assert {c.chunk.speaker for c in answer.citations} == {"李明", "王芳"}


def test_a_figure_question_adds_only_quotes_with_a_figure_about_it() -> None:
    hits = [
        make_hit("今年提出的三项目标,商务局都完成了。", **WANG),
        make_hit("外贸进出口总额力争达到5000亿元。", rank=2, **WANG),
    ]
    answer = ask("商务局今年提出的外贸目标是多少？", hits)
    assert [c.quote for c in answer.citations] == ["外贸进出口总额力争达到5000亿元。"]


def test_each_item_a_question_enumerates_gets_a_quote_with_its_figure() -> None:
    text = (
        "我市将着力发展新材料等5个新兴产业;围绕耐材建材等6个传统优势产业,实施转型。"
        "前瞻布局未来产业和新兴产业。聚焦13条产业链,补链强链。"
        "重点布局氢能与储能等6个未来产业,建设先导区。"
    )
    answer = ask("新兴产业、传统优势产业、未来产业各有几个？", [make_hit(text, **LI)])
    assert not answer.refused
    assert all(fact in answer.text for fact in ("5个新兴产业", "6个传统优势产业", "6个未来产业"))
    assert "13条" not in answer.text  # a figure next to the item's name, not one about something else


def test_parts_are_the_items_of_an_enumeration_asked_about_one_by_one() -> None:
    from app.answer.question import analyse
    from app.answer.quotes import parts

    assert parts(analyse("工信局负责人说的新兴产业、传统优势产业、未来产业各有几个？")) == [["新兴产业"], ["传统", "优势产业"], ["未来产业"]]
    # Words every item shares ("投资的目标") do not tell the items apart.
    assert parts(analyse("工业投资和基础设施投资的目标分别是多少？")) == [["工业"], ["基础设施"]]
    assert parts(analyse("新兴产业和未来产业有哪些？")) == []  # not asked about one by one


def test_a_title_question_quotes_titles_only() -> None:
    hits = [
        make_hit("第二篇《魅力广州:打造先进制造业集群》,介绍广州的实践。", article="a1"),
        make_hit("该系列报道第二篇关于广州的报道刊发后,引发强烈反响。", rank=2, article="a2"),
    ]
    answer = ask("系列报道第二篇写广州的那篇，题目是什么？", hits)
    assert [c.chunk.article_id for c in answer.citations] == ["a1"]


def test_a_date_in_the_question_is_matched_by_the_passages_of_that_day() -> None:
    from dataclasses import replace

    other_day = make_hit("商务局将着力打造夜经济场景。", article="a1", **WANG)
    that_day = make_hit("商务局将打造一批特色商业街区。", rank=2, article="a2", **WANG)
    that_day = replace(that_day, chunk=replace(that_day.chunk, date="2023-05-17"))
    other_day = replace(other_day, chunk=replace(other_day.chunk, date="2023-06-01"))
    from app.answer.candidates import score
    from app.answer.question import analyse

    hits = [other_day, that_day]
    ranked = score(analyse("5月17日那版里商务局打算打造什么？"), hits, LocalCorpus([h.chunk.text for h in hits]).idf)
    assert ranked[0].hit.chunk.article_id == "a2"


def test_a_further_quote_must_cover_most_of_what_the_best_one_covers() -> None:
    from app.answer.candidates import Sentence
    from app.answer.question import analyse
    from app.answer.quotes import select

    hit = make_hit("聚焦数字经济,大力发展新材料、新能源等新兴产业。推动人工智能、区块链融合发展。", **LI)
    cut = hit.chunk.text.index("。") + 1
    best = Sentence(hit, 0, cut, support=0.5, score=0.75)
    close = Sentence(hit, cut, len(hit.chunk.text), support=0.45, score=0.70)  # covers 90% of what best does
    helped = Sentence(hit, cut, len(hit.chunk.text), support=0.3, score=0.70)  # close only through its bonuses
    info = analyse("要聚焦数字经济发展哪些新兴产业？")
    assert select(info, [best, close]) == [best, close]
    assert select(info, [best, helped]) == [best]


def test_an_english_further_quote_is_judged_by_its_similarity_above_the_floor() -> None:
    from app.answer.candidates import Sentence
    from app.answer.question import analyse
    from app.answer.quotes import MIN_SIMILARITY_EN, select

    hit = make_hit("对外开放方面,促进交通区位优势向枢纽经济优势转变。大家希望到郑州来投资兴业。", **LI)
    cut = hit.chunk.text.index("。") + 1
    best = Sentence(hit, 0, cut, support=MIN_SIMILARITY_EN + 0.10, score=1.10)
    near = Sentence(hit, cut, len(hit.chunk.text), support=MIN_SIMILARITY_EN + 0.09, score=1.06)
    far = Sentence(hit, cut, len(hit.chunk.text), support=MIN_SIMILARITY_EN + 0.05, score=1.06)  # 96% of the cosine, half of the support
    info = analyse("What should the transport advantage be turned into?")
    assert select(info, [best, near]) == [best, near]
    assert select(info, [best, far]) == [best]


def test_a_dated_question_is_answered_by_a_text_that_writes_the_day_without_the_year() -> None:
    hits = [make_hit("5月17日,郑州党政代表团结束考察返回。", **LI)]
    answer = ask("2023年5月17日郑州党政代表团做了什么？", hits)
    assert not answer.refused and "5月17日" in answer.text
    assert ask("2023年6月3日郑州党政代表团做了什么？", hits).refused


def test_a_place_that_also_names_a_department_is_a_topic_when_others_speak_of_it() -> None:
    city = {"speaker": "", "position": "中原科技城党工委相关负责人", "department": "中原科技城党工委"}
    zhang = {"speaker": "张智群", "position": "河南云拓智能科技有限公司市场总监", "department": "河南云拓智能科技有限公司"}
    hits = [
        make_hit("作为人才创新高地的中原科技城,郑州比以往更加渴望人才。", **city),
        make_hit("在中原科技城,我认识了很多外省青年。张智群是黑龙江人。", rank=2, **zhang),
    ]
    answer = ask("在中原科技城打拼、来自黑龙江的那位市场总监叫什么名字？", hits)
    assert not answer.refused and "张智群" in answer.text
    assert {c.chunk.speaker for c in answer.citations} == {"张智群"}  # never the place's department


def test_who_said_prefers_the_words_of_a_named_speaker() -> None:
    unnamed = {"speaker": "", "position": "市商务局相关负责人", "department": "市商务局"}
    hits = [
        make_hit("成都很潮,郑州也越来越时尚。", **unnamed),
        make_hit("成都很潮,郑州也越来越时尚。", rank=2, article="a2", **LI),
    ]
    answer = ask("是谁说成都很潮？", hits)
    assert answer.citations[0].chunk.speaker == "李明"


def test_a_follow_up_asking_for_more_does_not_repeat_the_last_quote_unless_it_answers_clearly_better() -> None:
    text = "对标苏州,我市首先要构建全要素产业生态集群。我市要聚焦网络安全、智能传感器等细分产业。"
    hits = [make_hit(text, **LI)]
    said = ("对标苏州,我市首先要构建全要素产业生态集群。",)
    fresh = compose("还提到了哪些产业？", hits, LocalCorpus([text]), avoid=said)
    assert all(c.quote not in said for c in fresh.citations) and "网络安全" in fresh.text
    again = compose("对标苏州首先要构建什么？", hits, LocalCorpus([text]), avoid=said)
    assert again.citations[0].quote == said[0]  # nothing new answers it: the quote is repeated
    strict = compose("对标苏州首先要构建什么？", hits, LocalCorpus([text]), avoid=said, strict=True)
    assert strict.citations[0].quote != said[0]


def test_which_thirteen_is_refused_when_the_text_names_the_thirteen_without_listing_them() -> None:
    hits = [make_hit("聚焦13条先进制造业产业链,积极开展重点领域补链、延链、强链。", **LI)]
    assert ask("要聚焦的13条产业链具体是哪13条？", hits).refused
    listed = [make_hit("要聚焦电子信息、新能源汽车和新材料3条产业链。", **LI)]
    assert not ask("要聚焦的3条产业链具体是哪三条？", listed).refused


def test_a_quote_starts_after_a_pointer_to_its_speaker() -> None:
    hits = [make_hit("该负责人表示,我市将着力发展新材料等5个新兴产业。", **LI)]
    answer = ask("我市将着力发展几个新兴产业？", hits)
    citation = answer.citations[0]
    assert citation.quote == "我市将着力发展新材料等5个新兴产业。"
    assert answer.text.startswith("市科技局党组书记、局长李明表示：“我市将") and problems(answer) == []
    unattributed = ask("我市将着力发展几个新兴产业？", [make_hit("该负责人表示,我市将着力发展新材料等5个新兴产业。")])
    assert unattributed.citations[0].quote.startswith("该负责人表示")  # nobody to name: the pointer stays


def test_which_newspaper_is_answered_by_a_byline_naming_it() -> None:
    from dataclasses import replace

    def paper(hit):  # type: ignore[no-untyped-def]
        return replace(hit, chunk=replace(hit.chunk, newspaper="郑州晚报"))

    hits = [
        paper(make_hit("网易、腾讯网等多家媒体平台转发了报道。")),
        paper(make_hit("科技局将建设算力中心。\n正观新闻·郑州晚报记者 孙亚文", rank=2, **LI)),
    ]
    answer = ask("这些报道登在哪家报纸上？", hits)
    assert not answer.refused and "郑州晚报" in answer.citations[0].quote
    assert ask("这些报道登在哪家报纸上？", hits[:1]).refused  # nothing names the paper


def test_a_report_is_not_a_newspaper_and_telling_a_reporter_is_not_a_byline() -> None:
    from app.answer.kinds import asks_outlet
    from app.ingest.metadata import is_credit_line

    assert asks_outlet("这些报道登在哪家报纸上？") and not asks_outlet("区里在分享会上发布了一份什么报告？")
    assert is_credit_line("测试日报记者 张三 通讯员 李四") and is_credit_line("（记者 王五）")
    assert not is_credit_line("局长李明告诉记者：“今年要加快建设。”") and not is_credit_line("记者了解到，今年将新建3所学校。")


def test_who_holds_a_post_is_found_from_positions_and_a_deputy_does_not_hold_it() -> None:
    from app.answer.corpus import post_holders

    people = [("林海", "东湖区住建局副局长"), ("周立", "东湖区委书记"), ("韩梅", "市双拥办主任、市退役军人事务局局长")]
    assert post_holders(people, "东湖区住建局", "局长") == []  # only a 副局长 there
    assert post_holders(people, "东湖区住建局", "副局长") == ["林海"]
    assert post_holders(people, "西山市双拥办", "主任") == ["韩梅"]  # 市双拥办 as the positions write it
    assert post_holders(people, "文旅", "局长") is None  # an organisation nobody's position names


def test_a_question_asking_two_things_gets_a_quote_for_each() -> None:
    from app.answer.compose import sub_questions

    parts = sub_questions("东湖区今年争取哪个项目落地？项目在哪座城市？")
    assert len(parts) == 2 and parts[1].endswith("项目在哪座城市？") and "东湖区" in parts[1]
    assert sub_questions("东湖区今年的投资目标是多少？请说明。") == ["东湖区今年的投资目标是多少？请说明。"]
    hits = [
        make_hit("东湖区今年全力争取光谷科创中心项目落地。", **LI),
        make_hit("光谷科创中心项目选址在武昌市东湖新区。", rank=2, **LI),
    ]
    answer = ask("东湖区今年全力争取哪个项目落地？这个项目选址在哪座城市？", hits)
    assert not answer.refused and "光谷科创中心项目落地" in answer.text and "武昌市" in answer.text


def test_a_quote_holding_quotation_marks_nests_them_as_single_ones() -> None:
    hits = [make_hit("东湖区提出“科创优先”战略，打造“双中心”格局。", **LI)]
    answer = ask("东湖区提出了什么战略？", hits)
    assert not answer.refused
    assert "“东湖区提出‘科创优先’战略，打造‘双中心’格局。”[1]" in answer.text
    assert answer.citations[0].quote == "东湖区提出“科创优先”战略，打造“双中心”格局。"  # the source list keeps it verbatim
    assert not answer.notices  # the answer splits into claims as one quotation, each cited


def test_the_news_after_a_dateline_is_quoted_without_the_dateline() -> None:
    plain = {"speaker": "", "position": "", "department": ""}
    hits = [make_hit("东湖网讯（记者 林海） 8月7日，东湖区举办项目签约仪式，现场签约29个项目，总投资164亿元。", **plain)]
    answer = ask("东湖区的项目签约仪式签了多少个项目？", hits)
    assert not answer.refused and "29个项目" in answer.text
    assert answer.citations[0].quote.startswith("8月7日")  # the credit is not quoted as the news
    # A question about who reported it still sees the dateline.
    assert "林海" in ask("这篇报道的记者是谁？", hits).text


def test_a_question_the_article_asks_is_not_quoted_as_its_answer() -> None:
    hits = [make_hit("网上说东湖公园建成百年从未积水，这是真的吗？其实东湖公园历史上多次积水，最近一次在1998年。", **LI)]
    answer = ask("东湖公园建成百年从未积水，这种说法对吗？", hits)
    assert not answer.refused and "1998年" in answer.text


def test_one_sentence_answering_each_subject_is_quoted_once() -> None:
    plain = {"speaker": "", "position": "", "department": ""}
    hits = [
        make_hit("2024年3月8日 星期五 统筹:孙文 美编:王燕 校对:李丽", **plain),
        make_hit("市文旅局将高标准规划建设文旅休闲街区。", rank=2, **LI),
    ]
    answer = ask("这一版的统筹和美编分别是谁？", hits)
    assert not answer.refused and "孙文" in answer.text and "王燕" in answer.text
    assert len(answer.citations) == 1  # nothing else is added for the second subject


def test_a_quotation_in_straight_quotes_is_shown_in_one_pair_of_chinese_quotes() -> None:
    hits = [make_hit('"这次考察调研,和很多企业家进行了交流。"', **LI)]
    answer = ask("李明说这次考察和谁交流了？", hits)
    assert "“这次考察调研,和很多企业家进行了交流。”[1]" in answer.text and '"' not in answer.text
    assert answer.citations[0].quote == '"这次考察调研,和很多企业家进行了交流。"'  # verbatim in the sources


def test_a_sentence_pointing_back_is_about_what_the_sentence_before_names() -> None:
    plain = {"speaker": "", "position": "", "department": ""}
    hits = [make_hit(
        "2024年东湖航空开放活动暨东湖航空展新闻发布会21日在北京举行。本次活动计划于7月26日至30日在东湖机场举行。"
        "去年东湖航空开放活动暨东湖航空展期间，三机同框照发布，引起热议。在本届东湖航空开放活动上，三机同框将从照片变为现实。",
        **plain,
    )]
    answer = ask("2024年东湖航空开放活动暨东湖航空展安排在什么时间、什么地点？", hits)
    assert not answer.refused and "7月26日至30日在东湖机场" in answer.text
    # The quote starts with what "本次活动" points back to, so it reads on its own in a briefing.
    assert answer.citations[0].quote.startswith("2024年东湖航空开放活动") and "本次活动" in answer.citations[0].quote


def test_a_sentence_that_opens_or_closes_a_longer_quotation_is_shown_balanced() -> None:
    from app.answer.candidates import Sentence
    from app.answer.compose import _attributed

    def shown(text: str) -> str:
        hit = make_hit(text, **LI)
        return _attributed(Sentence(hit, 0, len(text), 1.0, 1.0), 1, english=False, first=True).split("表示：", 1)[-1]

    assert shown("“东湖有独特的区位优势，聚集了众多龙头企业。") == "“东湖有独特的区位优势，聚集了众多龙头企业。”[1]"
    assert shown("选择东湖，对公司下一步发展意义重大。”") == "“选择东湖，对公司下一步发展意义重大。”[1]"
    assert shown("“东湖有区位优势。”林海说。“选择东湖意义重大。") == "“‘东湖有区位优势。’林海说。‘选择东湖意义重大。’”[1]"


def test_a_fact_about_someone_the_passage_introduced_answers_without_repeating_their_name() -> None:
    text = "罗明，天津人。1985年参加工作。1992年4月，任东湖区委副书记、代区长。2017年4月，任省人大华侨委员会副主任委员。"
    answer = ask("1992年4月，罗明担任什么职务？", [make_hit(text)])
    assert not answer.refused and "东湖区委副书记" in answer.text
    # What someone thinks is answered only by their own words, however the passage introduces them.
    assert ask("罗明怎么评价东湖区的发展？", [make_hit(text)]).refused


def test_a_figure_or_name_written_another_way_is_found_not_refused() -> None:
    plain = {"speaker": "", "position": "", "department": ""}
    # 23 as the text spells it.
    hits = [make_hit("严某出生于上海。二十三岁经朋友介绍，进入一家运通公司担任传达小弟。后来升任总经理。", **plain)]
    answer = ask("严某23岁时做了什么？", hits)
    assert not answer.refused and "二十三岁" in answer.text
    # jieba runs the name 韩朗 into the next word of "韩朗史称" (史称); the text has 韩朗 and 史称.
    assert not ask("韩朗史称什么？", [make_hit("韩朗，春秋时的武将。韩朗，史称韩献子，是韩氏第五代领袖。", **plain)]).refused
    # Another name that shares a start with one the text has is still refused.
    assert ask("张天霖说了什么？", [make_hit("张天华表示，今年新增企业300家，增长明显。", **plain)]).refused


def test_a_speakers_name_that_is_also_a_word_is_the_topic_where_passages_use_the_word() -> None:
    from app.answer.candidates import named_groups

    consul = make_hit("中国驻某地总领事江南表示，欢迎各界人士参加。", speaker="江南", position="总领事")
    race = make_hit("第二届江南水乡文化节共有32支队伍参赛。", rank=2)
    assert named_groups("江南水乡文化节有多少支队伍参赛？", [consul, race]) == []
    # A name that is no word still picks its speaker's passages.
    envoy = make_hit("中国驻另一地总领事周晓梅表示，欢迎各界人士参加。", rank=3, speaker="周晓梅", position="总领事")
    assert named_groups("周晓梅说了什么？", [envoy, race]) == [("周晓梅", {envoy.chunk.id})]


def test_a_short_whole_sentence_may_answer_but_not_a_cut_off_one() -> None:
    hits = [make_hit("某皇后出身名门，十五岁入宫，册立为皇后。谥号“章皇后”。", **LI)]
    assert "章皇后" in ask("某皇后的谥号是什么？", hits).citations[0].quote
    cut = [make_hit("某剧于2023年1月30日在某视频播出。\n首播编辑...", **LI)]
    assert all(c.quote != "首播编辑..." for c in ask("某剧首播时间？", cut).citations)


def test_a_quote_stopping_at_a_semicolon_runs_on_to_its_full_stop_but_not_into_the_next_point() -> None:
    hits = [make_hit("这种树用途广泛，假种皮可作食物；木材可制成矛；心材可作颜料。它生长缓慢。", **LI)]
    assert ask("这种树有什么用途？", hits).citations[0].quote.endswith("心材可作颜料。")
    points = [make_hit("要抓好三项工作：一是扩大投资；二是促进消费；三是稳定外贸。", **LI)]
    quotes = [c.quote for c in ask("要抓好哪几项工作？", points).citations]
    assert quotes and not any("一是" in q and "二是" in q for q in quotes)  # points stay apart
