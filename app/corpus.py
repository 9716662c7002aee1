"""Changes to the article collection made from the chat page, and the live pipeline they lead to.

The page never copies files or rebuilds the index itself; it asks this service, which
- checks a whole batch of uploads before writing anything (one bad file: nothing is written),
- writes each upload to a temporary file inside the articles folder and renames it into place,
  never through a symbolic link and never outside the folder,
- keeps the old version of a replaced or removed article in the removed-articles folder (.removed/),
- updates the index, and puts everything back when the update cannot index an uploaded file,
- hands out the pipeline of the index that is live now: when `biaogan index` run beside the server
  points index/CURRENT at a new build, the next request gets a pipeline over that build.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.errors import BiaoganError, InputError
from app.index.folder import current_folder
from app.ingest.read import MAX_FILE_BYTES, SUPPORTED, extract_text
from app.text import has_words

log = logging.getLogger(__name__)

REMOVED = ".removed"
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Upload:
    """A file chosen in the browser: where gradio saved it and the name it should have."""

    path: Path
    name: str


@dataclass
class Plan:
    """What a batch of uploads would do: new articles and the articles it would replace (by headline)."""

    uploads: list[Upload] = field(default_factory=list)
    replaces: dict[str, str] = field(default_factory=dict)  # file name -> headline of the article replaced


def _quiet(fraction: float, message: str) -> None:
    """No progress display (the command line and tests)."""


class CorpusService:
    """The one place that changes the articles folder and swaps in the pipeline of a new index."""

    def __init__(self, pipeline: Any, make_pipeline: Callable[[Any], Any] | None = None) -> None:
        self._pipeline = pipeline
        self._make = make_pipeline or _same_pipeline_class(pipeline)
        self._change = threading.Lock()  # one corpus change at a time in this process
        self._swap = threading.Lock()
        self._failed: str | None = None  # a build that could not be loaded is not retried on every request
        self.settings = pipeline.settings

    # --- the live pipeline ---------------------------------------------------------------------

    @property
    def pipeline(self) -> Any:
        """The pipeline over the live build; picks up a build made by another process."""
        self.refresh()
        return self._pipeline

    def refresh(self) -> bool:
        """Swap in a pipeline over the build index/CURRENT names, if it is not the one loaded."""
        loaded = getattr(self._pipeline.index, "folder", None)
        if loaded is None:
            return False  # Milvus: a rebuild moves the alias the store reads through, nothing to swap here
        folder = current_folder(self.settings.index_dir)
        if folder is None or folder.name in (self._pipeline.index.folder.name, self._failed):
            return False
        with self._swap:
            if folder.name == self._pipeline.index.folder.name:
                return False  # another request swapped it in meanwhile
            try:
                fresh = self._make(self._pipeline)
            except BiaoganError as exc:
                log.warning("索引 %s 无法载入，继续使用当前索引：%s", folder.name, exc.message)
                self._failed = folder.name
                return False
            # Readers holding the old pipeline finish their answer on it; new requests get the new one.
            self._pipeline = fresh
            self._failed = None
        log.info("已载入新的索引：%d 篇文章", len(fresh.index.articles))
        return True

    def _reload(self) -> None:
        """After this process changed the index: the pipeline over it. The index folder is picked up by
        refresh (index/CURRENT names the new build). Milvus is updated in place (or its alias moved), and
        a store reads its article list, passage count and term statistics when it is opened: reopen it."""
        if getattr(self._pipeline.index, "folder", None) is not None:
            self.refresh()
            return
        with self._swap:
            try:
                fresh = self._make(self._pipeline)
            except BiaoganError as exc:
                log.warning("索引无法重新载入，继续使用当前索引：%s", exc.message)
                return
            self._pipeline = fresh
        log.info("已载入新的索引：%d 篇文章", len(fresh.index.articles))

    def articles(self) -> list[dict[str, Any]]:
        return list(self.pipeline.index.articles)

    # --- uploads -------------------------------------------------------------------------------

    def plan(self, uploads: list[Upload]) -> Plan:
        """Check every upload; raise one InputError naming every file that cannot be added."""
        if not uploads:
            raise InputError("没有选择文件", f"支持 {' '.join(SUPPORTED)}")
        seeds = self.settings.seeds_dir
        bad = [f"{u.name}：{reason}" for u in uploads if (reason := _unusable(u) or _unsafe_target(seeds, u.name))]
        names = [u.name for u in uploads]
        bad += [f"{name}：同一批中出现了两次" for name in sorted({n for n in names if names.count(n) > 1})]
        if bad:
            raise InputError(f"这批文件没有添加（一个都没有写入）：{'；'.join(bad)}", "修正或去掉这些文件后重新添加")
        titles = {a["source"]: a.get("title", "") for a in self.articles()}
        replaces = {u.name: titles.get(u.name, u.name) for u in uploads if (seeds / u.name).exists() or u.name in titles}
        return Plan(list(uploads), replaces)

    def add(self, uploads: list[Upload], *, replace: bool = False, progress: Progress = _quiet) -> str:
        """Add a batch all or nothing; replacing an article needs replace=True. Returns a result line."""
        with self._change:
            progress(0.05, "正在检查文件…")
            plan = self.plan(uploads)
            if plan.replaces and not replace:
                named = "、".join(f"《{t}》" for t in plan.replaces.values())
                raise InputError(f"这批文件会替换已有文章 {named}", "确认替换后再添加；旧版本会保存在已移除文章中")
            progress(0.2, "正在写入文件…")
            kept = self._write_all(plan)
            progress(0.4, "正在更新索引（编码新段落）…")
            report = self._build_or_restore(plan, kept)
        added, replaced = len(plan.uploads) - len(plan.replaces), len(plan.replaces)
        line = f"已添加 {added} 篇" + (f"，替换 {replaced} 篇（旧版本已保存）" if replaced else "")
        return line + f"；{report.embedded} 个段落已编码，现有 {len(self.articles())} 篇文章。"

    def _write_all(self, plan: Plan) -> dict[str, Path]:
        """Write every upload to a temporary file first, then rename them into place; returns where each
        replaced article's old version was kept."""
        seeds = self.settings.seeds_dir
        temps: list[tuple[Path, Path]] = []
        try:
            for upload in plan.uploads:
                target = _inside(seeds, upload.name)
                fd, tmp = tempfile.mkstemp(dir=seeds, prefix=".upload-", suffix=".part")
                with os.fdopen(fd, "wb") as out:
                    out.write(upload.path.read_bytes())
                    out.flush()
                    os.fsync(out.fileno())
                temps.append((Path(tmp), target))
        except OSError as exc:
            for tmp, _ in temps:
                tmp.unlink(missing_ok=True)
            raise BiaoganError(f"无法写入文章文件夹（{exc.strerror}）", "检查磁盘空间和文件夹权限后重试") from exc
        kept: dict[str, Path] = {}
        for tmp, target in temps:
            if target.exists():
                kept[target.name] = self._keep(target)
            os.replace(tmp, target)  # rename replaces the directory entry; it never follows a link
        return kept

    def _build_or_restore(self, plan: Plan, kept: dict[str, Path]) -> Any:
        from app.pipeline import build

        names = [u.name for u in plan.uploads]
        try:
            report = build(self.settings, embedder=self._pipeline.embedder)
            bad = [s for s in report.skipped if s.source in names]
            if bad:
                raise InputError(f"这批文件没有添加：{'；'.join(f'{s.source}：{s.reason}' for s in bad)}", "修正这些文件后重新添加")
        except BiaoganError:
            self._restore(names, kept)
            raise
        self._reload()
        return report

    def _restore(self, names: list[str], kept: dict[str, Path]) -> None:
        """Put the folder back as it was before a batch that could not be indexed, and the index with it."""
        from app.pipeline import build

        seeds = self.settings.seeds_dir
        for name in names:
            (seeds / name).unlink(missing_ok=True)
        for name, old in kept.items():
            os.replace(old, seeds / name)
        try:
            build(self.settings, embedder=self._pipeline.embedder)
        except BiaoganError as exc:
            log.warning("恢复后重建索引失败：%s", exc.message)
        self._reload()

    # --- removal -------------------------------------------------------------------------------

    def remove(self, source: str, *, progress: Progress = _quiet) -> str:
        """Move an article to the removed-articles folder and update the index. Returns a result line."""
        from app.pipeline import build

        with self._change:
            known = {a["source"]: a.get("title", "") for a in self.articles()}
            if not source or source not in known:
                raise InputError("这篇文章已不在列表中", "刷新页面后重新选择")
            target = _inside(self.settings.seeds_dir, source)
            if not target.exists():
                raise InputError(f"找不到文章《{known[source]}》的文件", "刷新页面后重试")
            self._keep(target)
            progress(0.4, "正在更新索引…")
            build(self.settings, embedder=self._pipeline.embedder)
            self._reload()
        return f"已移除《{known[source]}》（原文件保存在已移除文章中）；现有 {len(self.articles())} 篇文章。"

    def _keep(self, target: Path) -> Path:
        """Move a file into seeds/.removed/, stamped with the time, and return where it went."""
        folder = self.settings.seeds_dir / REMOVED
        folder.mkdir(exist_ok=True)
        kept = folder / f"{time.strftime('%Y%m%d-%H%M%S')}-{time.time_ns() % 10**9:09d}-{target.name}"
        os.replace(target, kept)
        return kept


def _inside(seeds: Path, name: str) -> Path:
    """seeds/name, refusing names with folders, hidden names, links and anything outside the folder."""
    target = seeds / name
    if Path(name).name != name or name.startswith(".") or target.is_symlink():
        raise InputError(f"不能写入 {name}：文件名含路径、是隐藏文件或是符号链接", "换一个普通的文件名")
    if target.parent.resolve() != seeds.resolve():
        raise InputError(f"不能写入 {name}：它在文章文件夹之外", "换一个普通的文件名")
    return target


def _unsafe_target(seeds: Path, name: str) -> str:
    try:
        _inside(seeds, name)
    except InputError as exc:
        return exc.message
    return ""


def _unusable(upload: Upload) -> str:
    """Why an upload cannot become an article ('' when it can); the text is cleaned later, once, by the build."""
    name = upload.name
    if Path(name).name != name or name.startswith(".") or Path(name).suffix.lower() not in SUPPORTED:
        return f"不支持的文件（支持 {' '.join(SUPPORTED)}）"
    try:
        data = upload.path.read_bytes()
    except OSError as exc:
        return f"无法读取（{exc.strerror}）"
    if len(data) > MAX_FILE_BYTES:
        return f"文件过大（上限 {MAX_FILE_BYTES // 2**20} MB）"
    try:
        text = extract_text(name, data)
    except InputError as exc:
        return exc.message
    except Exception as exc:  # a parser's own error on a damaged file is an input problem, not a crash
        return f"无法解析（{type(exc).__name__}）"
    return "" if has_words(text) else "文件是空的或没有文字"


def _same_pipeline_class(pipeline: Any) -> Callable[[Any], Any]:
    """A new pipeline of the same kind over the live build, reusing the loaded embedder."""

    def make(old: Any) -> Any:
        from app.index.stores import open_store  # the index folder or Milvus, as configured

        return type(old)(old.settings, old.embedder, open_store(old.settings, old.embedder.fingerprint))

    return make
