"""Property-based tests: cleaning and chunking keep every character; ask never crashes."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.errors import InputError
from app.ingest.clean import clean
from app.ingest.passages import ChunkSettings, chunk_article, split_sections
from app.ingest.read import parse_article

CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x4FFF)
PUNCT = st.sampled_from(list("，。、；：？！“”,.;\"  -—一访记者\n"))
TEXT = st.lists(st.one_of(CJK, CJK, CJK, PUNCT, st.characters(min_codepoint=0x30, max_codepoint=0x39)), max_size=600).map("".join)


def _visible(text: str) -> str:
    return "".join(c for c in text if not c.isspace())


@settings(max_examples=150, deadline=None)
@given(TEXT)
def test_cleaning_only_removes_spaces_and_logged_duplicates(raw: str) -> None:
    text, repairs = clean(raw)
    removed = sum(len(r.after) for r in repairs if r.kind == "duplicate_fragment")
    dashes = sum(1 for r in repairs if r.kind == "headline_dash")
    # Nothing but whitespace disappears, except logged duplicate fragments; dashes may grow by one each.
    assert abs(len(_visible(raw)) - removed - len(_visible(text))) <= dashes * 2
    assert clean(raw) == (text, repairs)  # deterministic


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT, st.integers(min_value=20, max_value=400))
def test_chunks_are_verbatim_cover_their_sections_and_have_stable_ids(raw: str, size: int) -> None:
    text, repairs = clean(raw)
    if not text.strip():
        return
    article = parse_article("gen.txt", raw.encode("utf-8"), text, tuple(repairs))
    config = ChunkSettings(max_chars=size, min_chars=min(20, size))
    chunks = chunk_article(article, config)
    for chunk in chunks:
        assert article.text[chunk.start : chunk.end] == chunk.text and chunk.text.strip()
    covered = "".join(c.text for c in chunks)
    sections = "".join(article.text[s.start : s.end] for s in split_sections(article))
    assert _visible(covered) == _visible(sections)
    assert [c.id for c in chunk_article(article, config)] == [c.id for c in chunks]


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    import shutil

    from app.config import Settings
    from app.pipeline import load_pipeline
    from tests.conftest import SEEDS

    root = tmp_path_factory.mktemp("prop")
    shutil.copytree(SEEDS, root / "seeds")
    return load_pipeline(Settings(seeds_dir=root / "seeds", index_dir=root / "index", embed_model="hash:256", cache_dir=root / "cache"))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=300))
def test_ask_never_raises_anything_but_a_clear_input_error(pipeline, question: str) -> None:  # type: ignore[no-untyped-def]
    try:
        answer = pipeline.ask(question)
    except InputError as exc:
        assert exc.message and exc.hint
        return
    # Either a refusal that says nothing was found, or an answer whose every [n] points at a citation
    # and whose every citation is used.
    assert answer.text.strip()
    numbers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    if answer.refused:
        assert "没有找到" in answer.text or "do not contain" in answer.text  # a question in English is refused in English
    else:
        assert numbers and numbers == {c.n for c in answer.citations}
    for citation in answer.citations:
        assert citation.chunk.text[citation.quote_start : citation.quote_end] == citation.quote
