"""Corpus changes from the page: all-or-nothing batches, confirmed replacement, no writes through links,
uploads cleaned once, and a server that picks up an index rebuilt beside it."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from app.config import Settings
from app.corpus import REMOVED, CorpusService, Upload
from app.errors import InputError
from app.ingest import read as ingest
from app.pipeline import Pipeline, build, load_pipeline
from tests.conftest import TINY_ARTICLE


@pytest.fixture
def service(hash_settings: Settings) -> CorpusService:
    return CorpusService(load_pipeline(hash_settings))


def upload(tmp_path: Path, name: str, data: bytes) -> Upload:
    folder = tmp_path / "uploads"
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes(data)
    return Upload(folder / name, name)


def docx_bytes(text: str) -> bytes:
    from docx import Document

    document = Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def seeds_listing(settings: Settings) -> list[str]:
    return sorted(p.name for p in settings.seeds_dir.iterdir())


def test_an_upload_is_written_indexed_and_leaves_no_temporary_file(service: CorpusService, tmp_path: Path) -> None:
    line = service.add([upload(tmp_path, "kejiju.txt", TINY_ARTICLE.encode("utf-8"))])
    seeds = service.settings.seeds_dir
    assert (seeds / "kejiju.txt").read_text(encoding="utf-8") == TINY_ARTICLE
    assert "已添加 1 篇" in line and not list(seeds.glob(".upload-*"))
    assert "kejiju.txt" in [a["source"] for a in service.articles()]


def test_one_bad_docx_in_a_batch_writes_nothing_and_is_named(service: CorpusService, tmp_path: Path) -> None:
    before = seeds_listing(service.settings)
    articles = service.articles()
    batch = [upload(tmp_path, "good.docx", docx_bytes(TINY_ARTICLE)), upload(tmp_path, "broken.docx", b"PK\x03\x04 not a zip"),
             upload(tmp_path, "kejiju.txt", TINY_ARTICLE.encode("utf-8"))]
    with pytest.raises(InputError, match=r"broken\.docx") as caught:
        service.add(batch)
    assert "good.docx" not in caught.value.message and "一个都没有写入" in caught.value.message
    assert seeds_listing(service.settings) == before and service.articles() == articles


def test_a_batch_the_build_cannot_index_is_taken_back(service: CorpusService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = seeds_listing(service.settings)
    real = ingest.clean

    def failing(text: str):  # type: ignore[no-untyped-def]
        if "数字经济" in text:
            raise InputError("cleaning failed")
        return real(text)

    monkeypatch.setattr(ingest, "clean", failing)
    with pytest.raises(InputError, match="kejiju.txt"):
        service.add([upload(tmp_path, "kejiju.txt", TINY_ARTICLE.encode("utf-8"))])
    assert seeds_listing(service.settings) == before
    assert "kejiju.txt" not in [a["source"] for a in service.articles()]


def test_replacing_an_article_needs_confirmation_and_keeps_the_old_version(service: CorpusService, tmp_path: Path) -> None:
    source = service.articles()[0]["source"]
    seeds = service.settings.seeds_dir
    old = (seeds / source).read_bytes()
    new = upload(tmp_path, source, TINY_ARTICLE.encode("utf-8"))
    assert service.plan([new]).replaces == {source: service.articles()[0]["title"]}
    with pytest.raises(InputError, match="替换"):
        service.add([new])
    assert (seeds / source).read_bytes() == old
    line = service.add([new], replace=True)
    assert "替换 1 篇" in line and (seeds / source).read_text(encoding="utf-8") == TINY_ARTICLE
    [kept] = list((seeds / REMOVED).glob(f"*{source}"))
    assert kept.read_bytes() == old


def test_an_upload_never_writes_through_a_symlink(service: CorpusService, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("外面的文件", encoding="utf-8")
    (service.settings.seeds_dir / "linked.txt").symlink_to(outside)
    with pytest.raises(InputError, match="符号链接"):
        service.add([upload(tmp_path, "linked.txt", TINY_ARTICLE.encode("utf-8"))], replace=True)
    assert outside.read_text(encoding="utf-8") == "外面的文件"
    for name in ("../escape.txt", ".hidden.txt"):
        with pytest.raises(InputError):
            service.add([Upload(upload(tmp_path, "x.txt", TINY_ARTICLE.encode("utf-8")).path, name)])
    assert not (service.settings.seeds_dir.parent / "escape.txt").exists()


def test_each_upload_is_cleaned_once(service: CorpusService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = ingest.clean

    def counting(text: str):  # type: ignore[no-untyped-def]
        calls.append(text)
        return real(text)

    monkeypatch.setattr(ingest, "clean", counting)
    service.add([upload(tmp_path, "kejiju.txt", TINY_ARTICLE.encode("utf-8"))])
    assert sum("数字经济" in text for text in calls) == 1


def test_removing_keeps_the_file_and_a_second_removal_is_refused(service: CorpusService) -> None:
    article = service.articles()[0]
    line = service.remove(article["source"])
    assert f"已移除《{article['title']}》" in line and str(service.settings.seeds_dir) not in line
    assert list((service.settings.seeds_dir / REMOVED).glob(f"*{article['source']}"))
    with pytest.raises(InputError, match="不在列表中"):
        service.remove(article["source"])


def test_an_index_rebuilt_beside_the_server_is_picked_up_without_a_restart(service: CorpusService, tmp_path: Path) -> None:
    first: Pipeline = service.pipeline
    (service.settings.seeds_dir / "kejiju.txt").write_text(TINY_ARTICLE, encoding="utf-8")
    build(service.settings, embedder=first.embedder)  # what `biaogan index` does in another process
    current = service.pipeline
    assert current is not first and "kejiju.txt" in [a["source"] for a in current.index.articles]
    assert current.retrieve("市科技局要新增多少家高新技术企业", k=1)[0].chunk.source == "kejiju.txt"
    assert service.pipeline is current  # no reload while the index is unchanged


def test_every_session_sees_articles_added_by_another(service: CorpusService, hash_settings: Settings, tmp_path: Path) -> None:
    other = CorpusService(load_pipeline(hash_settings))  # e.g. a second server process on the same folders
    service.add([upload(tmp_path, "kejiju.txt", TINY_ARTICLE.encode("utf-8"))])
    assert "kejiju.txt" in [a["source"] for a in other.articles()]
    other.remove("kejiju.txt")
    assert "kejiju.txt" not in [a["source"] for a in service.articles()]


def test_questions_in_flight_during_index_swaps_all_get_answers(service: CorpusService, tmp_path: Path) -> None:
    import threading

    fixed_asset = "发改委提出的固定资产投资目标是多少？"
    first: Pipeline = service.pipeline
    # One question is held inside retrieval on the first pipeline until the swaps are done.
    inside, release = threading.Event(), threading.Event()
    real_evidence = first.evidence

    def held_evidence(*args, **kwargs):  # type: ignore[no-untyped-def]
        if threading.current_thread().name == "held":
            inside.set()
            assert release.wait(timeout=60)
        return real_evidence(*args, **kwargs)

    first.evidence = held_evidence  # type: ignore[method-assign]
    answers: list[tuple[str, object]] = []
    errors: list[BaseException] = []
    stop = threading.Event()
    answered = threading.Semaphore(0)

    def ask(question: str) -> None:
        try:
            answers.append((question, service.pipeline.ask(question)))
        except BaseException as exc:  # reported below
            errors.append(exc)
        answered.release()

    def keep_asking() -> None:
        while not stop.is_set():
            ask(fixed_asset)

    held = threading.Thread(target=ask, args=(fixed_asset,), name="held")
    held.start()
    assert inside.wait(timeout=60)
    askers = [threading.Thread(target=keep_asking, name=f"asker-{n}") for n in range(2)]
    for thread in askers:
        thread.start()
    for n in range(3):  # three rebuilds land while questions keep coming
        (service.settings.seeds_dir / f"kejiju{n}.txt").write_text(TINY_ARTICLE.replace("500家", f"{600 + n}家"), encoding="utf-8")
        build(service.settings, embedder=first.embedder)
        for _ in range(2):  # at least two more answers after each swap
            assert answered.acquire(timeout=60)
    release.set()
    stop.set()
    for thread in [held, *askers]:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(answers) >= 7
    for question, answer in answers:
        assert not answer.refused and "7000亿元" in answer.text, answer.text  # type: ignore[attr-defined]
    assert service.pipeline is not first
    latest = service.pipeline.retrieve("市科技局要新增多少家高新技术企业", k=3)
    assert {h.chunk.source for h in latest} >= {"kejiju2.txt"}


def test_a_question_about_to_be_refused_is_tried_once_more_on_more_passages(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from app.config import Settings
    from app.pipeline import load_pipeline

    folder = tmp_path / "articles"
    folder.mkdir()
    texts = {
        "x.txt": "2024-08-18\n\n西山区新增企业服务中心揭牌。西山区新增企业咨询热线同日开通，新增企业可在线办理登记。\n",
        "y.txt": "2024-08-18\n\n西山区统计局发布数据，上半年全区新增企业2.1万户。\n",
        "z.txt": "2024-08-18\n\n东湖区举行夏季招聘会，提供岗位三千余个。\n",
    }
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")
    pipeline = load_pipeline(Settings(seeds_dir=folder, index_dir=tmp_path / "index", embed_model="hash:256", cache_dir=tmp_path / "cache"))
    question = "西山区新增企业多少户？"
    assert pipeline.retrieve(question, k=1)[0].chunk.source == "x.txt"  # the top passage holds no figure
    answer = pipeline.ask(question, k=1)
    assert not answer.refused and "2.1万户" in answer.text
