from __future__ import annotations

import logging
from pathlib import Path

import pytest

from app.dates import parse_date
from app.errors import InputError, SeedsError
from app.ingest.extract import html_text
from app.ingest.metadata import department_of, parse_byline, parse_interviewee, parse_speaker
from app.ingest.read import article_id, decode, read_article, read_folder
from tests.conftest import SEEDS, TINY_ARTICLE


def test_seed_article_metadata(interviews, series) -> None:  # type: ignore[no-untyped-def]
    assert interviews.title == "带着任务去考察·考察归来看转化·学习考察心得"
    assert interviews.date == "2023-05-17"
    assert interviews.page_note == "统筹:孙友文 美编:王艳 校对:亚丽 彩华"
    assert interviews.newspaper == "郑州晚报"
    assert series.title.startswith("“全面开展‘三标’活动")
    assert series.date is None  # the second page carries no date


def test_article_ids_are_stable_and_follow_content(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text(TINY_ARTICLE, encoding="utf-8")
    first = read_article(path).id
    assert read_article(path).id == first
    path.write_text(TINY_ARTICLE + "补充一句。", encoding="utf-8")
    assert read_article(path).id != first and read_article(path).id.startswith("a-")
    assert article_id("x y?.txt", "ab" * 32) == "x_y-abababab" + "ab"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16"])
def test_decodes_common_chinese_encodings(encoding: str) -> None:
    assert decode("a.txt", TINY_ARTICLE.encode(encoding)) == TINY_ARTICLE


def test_rejects_binary_and_undecodable_bytes() -> None:
    with pytest.raises(InputError, match="binary"):
        decode("x.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    with pytest.raises(InputError, match="neither UTF-8 nor GBK"):
        decode("x.txt", bytes(range(128, 256)) * 4)


def test_html_visible_text_only() -> None:
    html = "<html><head><title>t</title><style>p{}</style></head><body><h1>标题</h1><p>正文一。<script>alert(1)</script></p><p>正文&amp;二。</p></body></html>"
    text = html_text(html)
    assert "alert" not in text and "p{}" not in text
    assert [line for line in text.split("\n") if line.strip()] == ["标题", "正文一。", "正文&二。"]


def test_reads_docx(tmp_path: Path) -> None:
    from docx import Document

    document = Document()
    for line in TINY_ARTICLE.strip().split("\n"):
        document.add_paragraph(line)
    document.save(tmp_path / "tiny.docx")
    article = read_article(tmp_path / "tiny.docx")
    assert article.date == "2024-03-08"
    assert "对标深圳、杭州" in article.text


def test_bad_files_are_skipped_with_a_warning_naming_them(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    (tmp_path / "good.txt").write_text(TINY_ARTICLE, encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.md").write_text("   \n\n", encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02" * 100)
    (tmp_path / "broken.docx").write_bytes(b"not a zip")
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")  # unsupported type: ignored
    with caplog.at_level(logging.WARNING):
        articles, skipped = read_folder(tmp_path)
    assert [a.source for a in articles] == ["good.txt"]
    assert sorted(s.source for s in skipped) == ["binary.txt", "blank.md", "broken.docx", "empty.txt"]
    for name in ("binary.txt", "blank.md", "broken.docx", "empty.txt"):
        assert name in caplog.text


def test_missing_or_empty_seeds_folder_names_the_folder(tmp_path: Path) -> None:
    with pytest.raises(SeedsError, match="not found: .*nowhere"):
        read_folder(tmp_path / "nowhere")
    with pytest.raises(SeedsError, match=str(tmp_path)):
        read_folder(tmp_path)
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    with pytest.raises(SeedsError, match="no readable article"):
        read_folder(tmp_path)


def test_raw_seed_files_are_never_rewritten() -> None:
    before = {p.name: p.read_bytes() for p in SEEDS.iterdir()}
    read_folder(SEEDS)
    assert {p.name: p.read_bytes() for p in SEEDS.iterdir()} == before


def test_parses_dates_bylines_and_interviewees() -> None:
    assert parse_date("2023年5月17日 星期三") == "2023-05-17"
    assert parse_date("发布于 2024-01-02") == "2024-01-02"
    assert parse_date("2023年13月1日") is None
    byline = parse_byline("正观新闻·郑州晚报记者 成燕 通讯员 赵翔")
    assert byline and byline.reporters == ("成燕",) and byline.correspondents == ("赵翔",) and byline.newspaper == "郑州晚报"
    person = parse_interviewee("——访市委副秘书长、市委政研室主任严波")
    assert person and (person.name, person.position, person.department) == ("严波", "市委副秘书长、市委政研室主任", "市委政研室")
    assert department_of("市发展改革委党组书记、主任") == "市发展改革委"


def test_parses_who_opens_a_paragraph() -> None:
    speaker = parse_speaker("市商务局相关负责人表示,对报道中重庆建设国际消费中心城市的相关政策措施印象深刻。")
    assert speaker and speaker.department == "市商务局" and speaker.position == "市商务局相关负责人"
    person = parse_speaker("“成都很潮。”在河南云拓智能科技有限公司市场总监张智群看来,一座城市的发展与活力取决于年轻人。")
    assert person and person.name == "张智群" and person.position == "河南云拓智能科技有限公司市场总监"
    assert parse_speaker("该负责人表示,围绕构建现代产业体系。") is None
    assert parse_speaker("我市广大党员干部表示,从报道中看到了先进城市的标杆经验。") is None


def test_a_bad_file_is_skipped_but_a_bug_in_reading_is_not_hidden(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import app.ingest.read as ingest
    from app.errors import InputError

    path = tmp_path / "a.txt"
    path.write_text("正文", encoding="utf-8")
    for error in (InputError("a.txt is empty or holds no text"), PermissionError("denied")):
        monkeypatch.setattr(ingest, "read_article", lambda p, error=error: (_ for _ in ()).throw(error))
        skipped = ingest.read_or_skip(path)
        assert isinstance(skipped, ingest.Skipped) and skipped.source == "a.txt"
    monkeypatch.setattr(ingest, "read_article", lambda p: (_ for _ in ()).throw(KeyError("a bug")))
    with pytest.raises(KeyError):
        ingest.read_or_skip(path)
