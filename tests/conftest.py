"""Shared fixtures: the real seed articles, a tiny corpus, and settings with the hashing embedder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.config import Settings
from app.ingest.read import read_article
from app.model.embed import HashEmbedder

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
INTERVIEWS = SEEDS / "000_a7041a94f8fffa35.txt"
SERIES = SEEDS / "002_7b4fe6aee2fbd527.txt"

TINY_ARTICLE = """测试日报·专题
2024年3月8日 星期五
推进数字经济 打造创新高地
——访市科技局党组书记、局长李明
市科技局党组书记、局长李明表示,我市将对标深圳、杭州,力争全年新增高新技术企业500家。
我们要加快建设算力中心,推动人工智能与制造业融合发展。
测试日报记者 张三
"""


@pytest.fixture(scope="session")
def interviews():  # type: ignore[no-untyped-def]
    return read_article(INTERVIEWS)


@pytest.fixture(scope="session")
def series():  # type: ignore[no-untyped-def]
    return read_article(SERIES)


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    """A writable copy of the seed articles."""
    folder = tmp_path / "seeds"
    shutil.copytree(SEEDS, folder)
    return folder


@pytest.fixture
def hash_settings(tmp_path: Path, seeds_copy: Path) -> Settings:
    return Settings(seeds_dir=seeds_copy, index_dir=tmp_path / "index", embed_model="hash:256", cache_dir=tmp_path / "cache")


@pytest.fixture
def embedder() -> HashEmbedder:
    return HashEmbedder(256)


def make_hit(text: str, rank: int = 1, speaker: str = "", position: str = "", department: str = "", article: str = "a1"):  # type: ignore[no-untyped-def]
    """A retrieved passage built by hand, for answerer tests."""
    from app.schema import Chunk, Hit

    chunk = Chunk(
        id=f"{article}:{rank:03d}", article_id=article, section_id=f"{article}#s{rank}", ordinal=rank, start=0, end=len(text),
        text=text, article_title="测试报道", date="2024-03-08", section_title="测试", section_kind="interview",
        speaker=speaker, position=position, department=department, newspaper="测试日报", source=f"{article}.txt",
    )
    return Hit(chunk=chunk, score=1.0 / rank, rank=rank)
