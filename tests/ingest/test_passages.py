from __future__ import annotations

import pytest

from app.ingest.passages import ChunkSettings, chunk_article, split_sections

INTERVIEWEES = {
    "严波": ("市委副秘书长、市委政研室主任", "市委政研室", ("孙亚文",), ()),
    "王智明": ("市工信局党组书记、局长", "市工信局", ("徐刚领",), ()),
    "景雪萍": ("市文化广电和旅游局党组书记、局长", "市文化广电和旅游局", ("成燕",), ("赵翔",)),
    "夏扬": ("市发展改革委党组书记、主任", "市发展改革委", ("侯爱敏",), ()),
    "王保来": ("市商务局党组书记、局长", "市商务局", ("曹婷",), ()),
}


def test_five_interviews_with_positions_and_reporters(interviews) -> None:  # type: ignore[no-untyped-def]
    sections = split_sections(interviews)
    assert [s.kind for s in sections] == ["header"] + ["interview"] * 5
    found = {s.speaker: (s.position, s.department, s.reporters, s.correspondents) for s in sections[1:]}
    assert found == INTERVIEWEES
    titles = [s.title for s in sections[1:]]
    assert titles[1] == '推进"换道领跑"战略行动 交出先进制造业高地建设答卷'
    assert sections[0].title == interviews.title and "2023年5月17日" in interviews.text[sections[0].start : sections[0].end]


def test_each_interview_runs_from_headline_to_byline(interviews) -> None:  # type: ignore[no-untyped-def]
    for section in split_sections(interviews)[1:]:
        body = interviews.text[section.start : section.end]
        assert section.title.split(" ")[0] in body.split("\n")[0]
        assert f"——访{section.position}{section.speaker}" in body
        assert body.rstrip().split("\n")[-1].startswith("正观新闻·郑州晚报记者")


def test_series_article_splits_by_speaker(series) -> None:  # type: ignore[no-untyped-def]
    sections = split_sections(series)
    assert [(s.kind, s.department) for s in sections] == [
        ("summary", ""),
        ("speaker", "市商务局"),
        ("speaker", "市工信局"),
        ("speaker", "中原科技城党工委"),
        ("speaker", "河南云拓智能科技有限公司"),
    ]
    assert sections[-1].speaker == "张智群"
    assert all(s.reporters == ("武建玲", "覃岩峰", "曹婷") for s in sections)
    # "该负责人表示" continues the 工信局 section rather than starting a new one.
    assert "该负责人表示" in series.text[sections[2].start : sections[2].end]


@pytest.mark.parametrize("settings", [ChunkSettings(), ChunkSettings(max_chars=120, min_chars=40), ChunkSettings(max_chars=600, min_chars=200)])
def test_passages_are_verbatim_and_tile_their_sections(interviews, series, settings) -> None:  # type: ignore[no-untyped-def]
    for article in (interviews, series):
        chunks = chunk_article(article, settings)
        for chunk in chunks:
            assert article.text[chunk.start : chunk.end] == chunk.text
            assert len(chunk.text) <= settings.max_chars + settings.min_chars // 2
        for section in split_sections(article):
            mine = [c for c in chunks if c.section_id == section.id]
            assert mine[0].start == section.start and mine[-1].end == section.end
            for a, b in zip(mine, mine[1:]):
                assert article.text[a.end : b.start].strip() == ""  # only whitespace between passages


def test_passages_end_on_sentence_boundaries(interviews) -> None:  # type: ignore[no-untyped-def]
    for chunk in chunk_article(interviews):
        last = chunk.text.rstrip()[-1]
        assert last in "。！？；;!?\"”" or chunk.text.endswith(("孙亚文", "徐刚领", "赵翔", "侯爱敏", "曹婷")) or "\n" not in chunk.text[-2:], chunk.text[-20:]


def test_passages_carry_their_section_metadata(interviews) -> None:  # type: ignore[no-untyped-def]
    chunks = chunk_article(interviews)
    target = [c for c in chunks if "固定资产投资突破7000亿元" in c.text]
    assert target and all(c.speaker == "夏扬" and c.department == "市发展改革委" and c.date == "2023-05-17" for c in target)
    assert "市发展改革委党组书记、主任夏扬" in target[0].header and target[0].header not in target[0].text


def test_chunk_ids_are_stable_and_unique(interviews) -> None:  # type: ignore[no-untyped-def]
    first = [c.id for c in chunk_article(interviews)]
    assert first == [c.id for c in chunk_article(interviews)]
    assert len(set(first)) == len(first)


def test_a_sentence_longer_than_a_passage_is_split_at_commas(interviews) -> None:  # type: ignore[no-untyped-def]
    chunks = chunk_article(interviews, ChunkSettings(max_chars=60, min_chars=20))
    assert max(len(c.text) for c in chunks) <= 70
