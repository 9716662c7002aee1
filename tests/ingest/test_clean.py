from __future__ import annotations

import re
import sys

import pytest

from app.ingest.clean import clean, is_body
from tests.conftest import INTERVIEWS


def kinds(repairs):  # type: ignore[no-untyped-def]
    return [r.kind for r in repairs]


def test_removes_line_wrap_spaces_between_chinese_characters() -> None:
    text, repairs = clean("大家希望到郑州来投资兴业,对参 与郑州国家中心城市现代化 建设充满期待。")
    assert text == "大家希望到郑州来投资兴业,对参与郑州国家中心城市现代化建设充满期待。"
    assert kinds(repairs) == ["cjk_space", "cjk_space"]
    assert repairs[0].line == 1 and " " in repairs[0].before and " " not in repairs[0].after


def test_keeps_spaces_that_separate_headline_phrases_and_byline_names() -> None:
    raw = "对标先进找差距 提升站位再出发 以文辅政服务郑州经济社会高质量发展\n正观新闻·郑州晚报记者 成燕 通讯员 赵翔"
    text, repairs = clean(raw)
    assert text == raw
    assert repairs == []


def test_keeps_spaces_inside_quoted_titles_and_before_latin_words() -> None:
    text, _ = clean("第四篇《天津:融入大战略 逐梦新征程》重点关注天津,依托 RCEP 合作示范区。")
    assert "《天津:融入大战略 逐梦新征程》" in text


def test_repairs_each_misread_headline_dash() -> None:
    for raw in ("-访市委副秘书长、市委政研室主任严波", "一访市商务局党组书记、局长王保来", "--访市工信局局长王智明", "——访市发展改革委主任夏扬"):
        text, repairs = clean(raw)
        assert text.startswith("——访"), raw
        assert kinds(repairs) == ([] if raw.startswith("——") else ["headline_dash"])


def test_does_not_touch_a_sentence_that_starts_with_yi() -> None:
    raw = "一访再访,他终于找到了答案,这是一段正文。"
    text, repairs = clean(raw)
    assert text == raw and repairs == []


def test_removes_a_fragment_duplicated_by_the_column_layout() -> None:
    raw = "支持\"专精特新\"中小企业高质量发展系列政策意见,加速 量发展系列政策意见,加速 推进民营经济战略性调整。"
    text, repairs = clean(raw)
    assert text == "支持\"专精特新\"中小企业高质量发展系列政策意见,加速推进民营经济战略性调整。"
    duplicate = [r for r in repairs if r.kind == "duplicate_fragment"]
    assert len(duplicate) == 1 and duplicate[0].after == "量发展系列政策意见,加速"


def test_keeps_legitimate_short_repetition() -> None:
    raw = "学习学习再学习,一步一步向前走,看看看看。"
    text, repairs = clean(raw)
    assert text == raw and repairs == []


def test_rejoins_a_sentence_broken_by_a_page_break() -> None:
    raw = "持续深化校地合作,加紧同国内知名\n\n院校对接,大力引进建设各类产业研究院。"
    text, repairs = clean(raw)
    assert text == "持续深化校地合作,加紧同国内知名院校对接,大力引进建设各类产业研究院。"
    assert kinds(repairs) == ["paragraph_join"] and repairs[0].line == 3


def test_does_not_join_a_headline_to_the_body_below_it() -> None:
    raw = "找准标杆学经验 锚定目标谋发展\n\n他山之石，可以攻玉。"
    text, _ = clean(raw)
    assert text.split("\n") == ["找准标杆学经验 锚定目标谋发展", "他山之石，可以攻玉。"]


def test_rejoins_a_byline_split_over_two_lines() -> None:
    text, _ = clean("全文完。\n正观新闻·郑州晚报记者\n武建玲 覃岩峰 曹婷")
    assert text.split("\n")[-1] == "正观新闻·郑州晚报记者 武建玲 覃岩峰 曹婷"


def test_seed_repairs_are_recorded_with_their_raw_line(interviews) -> None:  # type: ignore[no-untyped-def]
    raw_lines = INTERVIEWS.read_text(encoding="utf-8").split("\n")
    for repair in interviews.repairs:
        if repair.kind in ("cjk_space", "headline_dash", "duplicate_fragment"):
            compact = raw_lines[repair.line - 1].replace(" ", "")
            assert repair.before.replace(" ", "")[:4] in compact
    counts = {k: kinds(interviews.repairs).count(k) for k in set(kinds(interviews.repairs))}
    assert counts["headline_dash"] == 2 and counts["duplicate_fragment"] == 1 and counts["paragraph_join"] >= 4


def test_is_body_tells_prose_from_titles() -> None:
    assert is_body("他山之石，可以攻玉。")
    assert not is_body("转化高质量发展实效 四大举措赋能商务")
    assert not is_body("2023年5月17日 星期三 统筹:孙友文 美编:王艳")


def test_spaces_of_a_line_are_reported_left_to_right_whatever_follows() -> None:
    # Earlier versions re-sorted the whole log for every paragraph, which flipped a line's order
    # each time another prose paragraph followed.
    first = "对参 与郑州国家 中心城市建设充满期待。"
    for following in (1, 2, 3):
        text, repairs = clean("\n".join([first] + ["后面一段正文,没有空格。"] * following))
        assert text.split("\n")[0] == "对参与郑州国家中心城市建设充满期待。"
        assert [(r.kind, r.line) for r in repairs] == [("cjk_space", 1), ("cjk_space", 1)]
        assert [r.before for r in repairs] == ["对参 与郑州国家中心城", "对参 与郑州国家 中心城市建设充满"], following


def test_repairs_are_listed_stage_by_stage() -> None:
    raw = "-访市委副秘书长严波\n大家希 望到郑州来投资兴业,对参与现代化建设充满期待,\n院校对接,大力引进。"
    _, repairs = clean(raw)
    assert [(r.kind, r.line) for r in repairs] == [("headline_dash", 1), ("cjk_space", 2), ("paragraph_join", 3)]


class _CountingPattern:
    """A compiled pattern that adds up the length of text it is asked to look at."""

    def __init__(self, pattern: re.Pattern[str], seen: list[int]) -> None:
        self.pattern, self.seen = pattern, seen

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        method = getattr(self.pattern, name)

        def counted(string: str, pos: int = 0, *args: int):  # type: ignore[no-untyped-def]
            self.seen[0] += len(string) - pos
            return method(string, pos, *args)

        return counted if name in ("match", "search", "fullmatch", "finditer", "findall") else method


def _work(raw: str, monkeypatch: pytest.MonkeyPatch) -> tuple[int, int]:
    """Lines of Python run and characters handed to the patterns while cleaning raw: counts of work
    that do not depend on the machine's speed."""
    import app.ingest.clean as module

    seen = [0]
    with monkeypatch.context() as patched:
        for name, value in vars(module).items():
            if isinstance(value, re.Pattern):
                patched.setattr(module, name, _CountingPattern(value, seen))
        lines = 0

        def tracer(frame, event, arg):  # type: ignore[no-untyped-def]
            nonlocal lines
            lines += event == "line"
            return tracer

        sys.settrace(tracer)
        try:
            module.clean(raw)
        finally:
            sys.settrace(None)
    return lines, seen[0]


@pytest.mark.parametrize("end", ["。", ""], ids=["paragraphs", "lines-joined-into-one-paragraph"])
def test_cleaning_work_grows_linearly_with_the_text(end: str, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = ["科技创新方面,以中原 科技城为龙头", "集聚创新资源、汇聚 创新人才", "大力推动全球,先进 研究院建设", "对外开放方面,放大 丝路优势"]
    small = "\n".join(line + end for line in lines * 50)
    large = "\n".join(line + end for line in lines * 500)
    (small_lines, small_chars), (large_lines, large_chars) = _work(small, monkeypatch), _work(large, monkeypatch)
    assert large_lines <= 11 * small_lines
    assert large_chars <= 11 * small_chars
