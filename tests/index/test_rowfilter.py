"""The index-folder store answers filters and verbatim look-ups from built row lists and postings, and
must agree exactly with reading every passage."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from app.config import Settings
from app.index.retrieve import RowFilter, allowed_rows
from app.pipeline import load_pipeline
from app.schema import Filters


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    import shutil

    from tests.conftest import SEEDS  # the bundled articles

    seeds = tmp_path_factory.mktemp("seeds")
    for path in SEEDS.iterdir():
        if path.is_file():
            shutil.copy(path, seeds / path.name)
    root = tmp_path_factory.mktemp("rowfilter")
    settings = Settings(seeds_dir=seeds, index_dir=root / "index", embed_model="hash:256", cache_dir=root / "cache")
    return load_pipeline(settings).index


def _filters(store) -> list[Filters]:  # type: ignore[no-untyped-def]
    chunks = store.chunks
    articles = sorted({c.article_id for c in chunks})
    dates = sorted({c.date for c in chunks if c.date})
    names = sorted({c.speaker for c in chunks if c.speaker})[:4]
    positions = sorted({c.position for c in chunks if c.position})[:2]
    title_words = [p[-2:] for p in positions]  # "局长", "主任": matched inside positions
    cases = [Filters(article_ids=(a,)) for a in articles] + [Filters(speakers=(n,)) for n in names]
    cases += [Filters(speakers=(w,)) for w in title_words] + [Filters(speakers=("没有这个人",))]
    cases += [Filters(date_from=d) for d in dates] + [Filters(date_to=d) for d in dates]
    cases += [Filters(article_ids=(a,), speakers=(n,)) for a, n in itertools.product(articles, names[:2])]
    cases += [Filters(speakers=tuple(names[:2]), date_from=dates[0], date_to=dates[-1])]
    return cases


def test_filters_from_row_lists_match_a_scan_of_every_passage(store) -> None:  # type: ignore[no-untyped-def]
    row_filter = RowFilter(store.chunks)
    cases = _filters(store)
    assert len(cases) > 10
    nonempty = 0
    for filters in cases:
        expected = allowed_rows(store.index, filters)
        got = row_filter.rows(filters)
        assert np.array_equal(got, expected), filters
        nonempty += bool(len(expected))
    assert nonempty >= len(cases) // 2  # the cases exercise real matches, not only empty sets
    assert row_filter.rows(Filters()) is None


def test_verbatim_lookups_from_postings_match_a_scan(store) -> None:  # type: ignore[no-untyped-def]
    texts = [store.chunks[0].text[5:12], store.chunks[-1].text[-9:-2], "不可能出现的字串组合", "亿元", "2023", "Zhengzhou"]
    texts += [c.text[3:6] for c in store.chunks[::7]]
    for text in texts:
        assert store.mentions(text) == any(text in c.text for c in store.chunks), text
    # The look-up reads candidates only: a pair no passage holds rules a text out at once.
    assert list(store._may_mention("不可能出现的字串组合")) == []
    assert 0 < len(store._may_mention(store.chunks[0].text[5:12])) < len(store.chunks)
