"""Speakers found from general news grammar, on literal text written for these tests."""

from __future__ import annotations

from app.ingest.passages import chunk_article, split_sections
from app.ingest.read import parse_article
from app.ingest.speakers import find_people, main_person, voices


def _article(text: str, name: str = "a.txt"):  # type: ignore[no-untyped-def]
    return parse_article(name, text.encode("utf-8"), text)


def test_a_titled_name_is_a_person_with_its_position() -> None:
    text = "市交通运输局副局长林海峰介绍，今年将新开公交线路12条。林海峰说，线路覆盖新城区。"
    people = find_people(text)
    assert people["林海峰"].position == "市交通运输局副局长"


def test_a_district_after_a_title_word_is_not_a_name() -> None:
    people = find_people("区委常委会研究了工作。东湖区委书记周立新表示，东湖区将加快建设。")
    assert "周立新" in people
    assert not any(name.startswith("会") for name in people)


def test_a_foreign_name_is_confirmed_by_its_speech_verb() -> None:
    text = "——访某国驻广州总领事巴图尔新华社记者李明报道巴图尔说，两国合作前景广阔。"
    assert "巴图尔" in find_people(text)


def test_each_sentence_gets_the_speaker_the_text_gives() -> None:
    text = (
        "发布会上，省商务厅副厅长郑晓东介绍，上半年全省外贸增长5%。"
        "省统计局副局长韩梅表示，工业投资增长8.9%。她说，制造业投资增长较快。"
        "今年以来，全省经济稳中有进。"
    )
    people = find_people(text)
    said = [(text[v.start : v.end][:6], v.name) for v in voices(text, people)]
    assert said == [("发布会上，省", "郑晓东"), ("省统计局副局", "韩梅"), ("她说，制造业", "韩梅")]


def test_answers_in_a_question_and_answer_interview_belong_to_the_interviewee() -> None:
    text = "某银行有关负责人就新政策答记者问问：政策的背景是什么？答：为稳定市场预期，延长了两项政策。"
    people = find_people(text)
    interviewee = main_person(text, people)
    assert interviewee is not None and interviewee.position.endswith("有关负责人")
    said = voices(text, people, interviewee)
    assert any(text[v.start : v.end].startswith("答：") and v.position == interviewee.position for v in said)
    assert not any(text[v.start : v.end].startswith("问：") for v in said)


def test_a_subtitle_inside_a_one_line_article_makes_an_interview_section() -> None:
    text = "2023-08-01\n\n新华社西宁8月1日电 专访：合作大有可为——访某国驻西宁总领事阿明古丽新华社记者王林阿明古丽说，双方合作潜力巨大。她表示，将扩大贸易。"
    sections = split_sections(_article(text))
    interview = [s for s in sections if s.kind == "interview"]
    assert interview and interview[0].speaker == "阿明古丽"
    chunks = chunk_article(_article(text))
    quoted = next(c for c in chunks if "扩大贸易" in c.text)
    start = quoted.text.index("她表示")
    assert quoted.voice_at(start, start + 10)[0] == "阿明古丽"


def test_an_article_date_line_in_iso_form_is_its_date() -> None:
    article = _article("2023-07-18\n\n某市召开新闻发布会，介绍养老服务情况。")
    assert article.date == "2023-07-18"
    assert article.title.startswith("某市召开新闻发布会")


def test_an_organisation_named_with_he_keeps_its_whole_name_in_the_position() -> None:
    people = find_people("东湖区工业和信息化局副局长周立说，签约项目技术含量高。省住房和城乡建设厅厅长王海表示，将加快改造。")
    assert people["周立"].position == "东湖区工业和信息化局副局长"
    assert people["王海"].position == "省住房和城乡建设厅厅长"
    # 和 between two people still separates them.
    assert find_people("会上，市长张海和副市长李明表示，要抓好落实。")["李明"].position == "副市长"


def test_a_quotation_is_spoken_by_the_person_named_right_after_it() -> None:
    text = "“这个活动提醒科技工作者。要有市场化思维。”东湖研究院副院长林海说，很多初创企业重视技术。会上还发布了榜单。"
    found = [(v.name, text[v.start : v.end]) for v in voices(text, find_people(text))]
    assert found[:2] == [("林海", "“这个活动提醒科技工作者。"), ("林海", "要有市场化思维。”")]
    assert all(name == "林海" for name, _ in found) and not any("榜单" in span for _, span in found)


def test_a_quotation_opening_after_a_heading_run_into_the_line_is_the_speakers_from_its_opening_mark() -> None:
    text = "房产中介：刺激需求提前释放“近几年成交情况显示，市民更加注重居住品质。”某集团南昌公司总经理助理常国涛说，新政多维度支持。"
    found = [(v.name, text[v.start : v.end]) for v in voices(text, find_people(text))]
    assert found[0] == ("常国涛", "“近几年成交情况显示，市民更加注重居住品质。”")  # the heading is nobody's words
    closed = "会上说“好”。今年要抓好项目。”市长张明说。"  # a quotation closed earlier does not open this one
    assert [closed[v.start : v.end] for v in voices(closed, find_people(closed))] == ["市长张明说。"]


def test_a_reports_narration_after_a_speakers_paragraph_is_nobodys_but_their_paragraph_is_theirs() -> None:
    text = ("2023-08-01\n\n某区举行签约仪式，32个项目集中签约。\n"
            "“这里有独特的区位优势。选择这里意义重大。”某公司负责人邵明表示。他们将加快建设。\n"
            "本次签约仪式上，12家企业成为战略合作伙伴。")
    chunks = chunk_article(_article(text))
    speaking = [c for c in chunks if c.section_kind == "speaker"]
    assert speaking, "a statement introduced by 表示 opens a speaker section"

    def who(phrase: str) -> str:
        chunk = next(c for c in chunks if phrase in c.text)
        start = chunk.text.index(phrase)
        return chunk.voice_at(start, start + len(phrase))[0]

    assert who("他们将加快建设") == "邵明"  # reported speech runs on within the paragraph
    assert who("12家企业成为战略合作伙伴") == ""  # the next paragraph is the report's own


def test_a_speakers_numbered_points_in_later_paragraphs_stay_theirs() -> None:
    text = ("2023-07-28\n\n国新办举行发布会。\n会上，国家文物局局长李群表示，遗产工作主要包括3个方面的工作：\n"
            "一是在遗产申报方面。已有8项列入名录。\n二是在遗产保护方面。")
    chunks = chunk_article(_article(text))
    point = next(c for c in chunks if "二是在遗产保护方面" in c.text)
    start = point.text.index("二是")
    assert point.voice_at(start, start + 8)[0] == "李群"


def test_a_speaker_whose_verb_follows_a_phrase_or_a_joined_clause_is_found() -> None:
    text = (
        "推介会上，东湖区住建局副局长陈萍向外地青年抛出橄榄枝，并表示，东湖将出台更多优惠措施。"
        "退役军人代表、一级军士长赵立新感慨地说：“这里就是我们的第二故乡。”"
        "会议期间，天气晴好。"
    )
    people = find_people(text)
    assert {"陈萍", "赵立新"} <= set(people)
    said = [(text[v.start : v.end][:5], v.name) for v in voices(text, people)]
    assert said == [("推介会上，", "陈萍"), ("退役军人代", "赵立新")]


def test_a_word_the_dictionary_knows_is_no_name_unless_a_speech_verb_confirms_it() -> None:
    # 代表 is a verb here and 全国 a word, though 全 is a surname and 全国 repeats.
    assert find_people("第二十次全国代表大会召开。大会有代表2296名，代表全国9671万名党员。") == {}
    # A speech verb is never a name ("发言人强调指出").
    assert find_people("外交部发言人强调指出，这一做法不可接受。") == {}
    # A real name that is also a word (文静, "quiet") is a name where the text has it speak.
    people = find_people("本报记者采访了机器人事业部总经理文静。文静认为，大概2年后价格会降下来。")
    assert list(people) == ["文静"] and people["文静"].position.endswith("总经理")
    # A name the dictionary does not know needs no such confirmation.
    assert list(find_people("区长王海宁主持会议，部署下一步工作。")) == ["王海宁"]
