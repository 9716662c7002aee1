"""Wires the stages: load_pipeline(settings).ask(question) -> Answer."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np

from app.answer.compose import compose
from app.answer.corpus import StoreCorpus
from app.answer.entities import Entities
from app.answer.followup import Turn, TurnMemory, already_said, recent, resolve, swaps_subject, unresolved_pronoun
from app.answer.generate import from_llm
from app.answer.kinds import asks_outlet
from app.answer.llm import LLMUnavailable, llm_from_settings
from app.answer.parts import per_subject
from app.answer.points import asks_points, asks_summary
from app.answer.scorer import default_model, load_model
from app.answer.verify import checked
from app.config import Settings
from app.errors import IndexFormatChanged, IndexMissing, InputError
from app.index.folder import BuildReport, Index
from app.index.stores import FaissStore, PassageStore, open_store
from app.index.writer import build_index
from app.ingest.passages import ChunkSettings
from app.limits import Clock, Deadline, embed_text
from app.model.embed import Embedder, load_embedder
from app.schema import Answer, Filters, Hit
from app.text import tagged

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 2000  # a ceiling for resolved questions; what users may ask is Settings.max_question_chars
MAX_COMPARED = 3  # people or departments a comparison question is answered for
PER_COMPARED = 3  # passages retrieved for each of them
WIDEN = 2  # a question about to be refused is tried once more on this many times the top k
PER_SUMMARY = 8  # passages of the person a summary question names
SENTENCE_VECTORS = 8192  # sentence vectors kept for English questions (3 KB each)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")


def clean_question(question: str, limit: int = MAX_QUESTION_CHARS) -> str:
    """Strip control characters and outer space; reject empty or oversized questions."""
    text = _CONTROL.sub(" ", question or "").strip()
    if not text:
        raise InputError("the question is empty", "type a question, e.g. 市工信局局长认为郑州工业要对标哪些城市？")
    if len(text) > limit:
        raise InputError(f"the question is {len(text)} characters long; the limit is {limit}", "ask a shorter question")
    return text


def chunk_settings(settings: Settings) -> ChunkSettings:
    return ChunkSettings(max_chars=settings.chunk_max_chars, min_chars=min(settings.chunk_min_chars, settings.chunk_max_chars))


def make_embedder(settings: Settings) -> Embedder:
    if settings.torch_threads:
        import torch

        torch.set_num_threads(settings.torch_threads)
    return load_embedder(settings.embed_model, settings.cache_dir, settings.query_prompt, settings.passage_prompt, settings.batch_size)


def build(settings: Settings, *, rebuild: bool = False, embedder: Embedder | None = None, seeds_dir: Path | None = None) -> BuildReport:
    embedder = embedder or make_embedder(settings)
    if settings.store == "milvus":
        from app.index.milvus_build import build_milvus

        return build_milvus(settings, seeds_dir or settings.seeds_dir, embedder, chunk_settings(settings), rebuild=rebuild)
    return build_index(
        seeds_dir or settings.seeds_dir, settings.index_dir, embedder, chunk_settings(settings),
        rebuild=rebuild, exact_max=settings.exact_index_max,
    )


UNCHECKED_DRAFT = "（生成中，尚未与原文核对）"


class Pipeline:
    """One pipeline shared by every request: an embedder and a passage store (the index folder or Milvus).
    It is never changed after it is built (a new index means a new Pipeline, swapped in by app.corpus);
    its caches (sentence vectors, the corpus's mention look-ups, remembered turns) are safe to share."""

    def __init__(self, settings: Settings, embedder: Embedder, index: PassageStore | Index) -> None:
        self.settings = settings
        self.embedder = embedder
        self.index: PassageStore = FaissStore(index) if isinstance(index, Index) else index
        self._sentence_vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._kept_lock = threading.Lock()
        self.entities = Entities.from_chunks(self.index.people())
        self.corpus = StoreCorpus(self.index, self.entities)
        self.model = load_model(settings.answer_model) if settings.answer_model else default_model()
        self.llm = llm_from_settings(
            settings.llm_base_url, settings.llm_model, settings.llm_api_key.get_secret_value(), settings.llm_timeout_s
        )
        self.memory = TurnMemory(settings.history_turns)
        self.clock: Clock = time.monotonic  # what deadlines are measured with (tests step it by hand)

    def deadline(self) -> Deadline:
        """A fresh per-request deadline (Settings.request_deadline_s)."""
        return Deadline(self.settings.request_deadline_s, self.clock)

    def similarity(self, question: str, sentences: list[str]) -> np.ndarray:
        """Cosine between the question and each sentence (used for English questions). Sentence vectors
        are kept, bounded, since the same passages come back question after question: encoding twenty
        sentences of the longest passages took up to 2 s."""
        query = self.embedder.encode_queries([embed_text(question)])[0]
        if not sentences:
            return np.zeros(0, dtype=np.float32)
        kept = self._sentence_vectors
        with self._kept_lock:  # requests share the kept vectors
            vectors = {s: kept[s] for s in sentences if s in kept}
        missing = [s for s in dict.fromkeys(sentences) if s not in vectors]
        vectors |= dict(zip(missing, self.embedder.encode_passages(missing)))
        with self._kept_lock:
            kept.update((s, vectors[s]) for s in missing)
            while len(kept) > SENTENCE_VECTORS:
                kept.popitem(last=False)
        return np.stack([vectors[s] for s in sentences]) @ query

    def retrieve(self, question: str, *, k: int | None = None, mode: str = "hybrid", filters: Filters = Filters()) -> list[Hit]:
        question = clean_question(question)
        vector = self.embedder.encode_queries([embed_text(question)])[0] if mode != "lexical" else None
        return self.index.search(
            question, vector, k=k or self.settings.top_k, mode=mode, filters=filters,
            candidates=self.settings.candidates, fusion=self.settings.fusion, rrf_k=self.settings.rrf_k,
        )

    def evidence(self, question: str, *, k: int | None = None, mode: str = "hybrid", filters: Filters = Filters()) -> list[Hit]:
        """Passages to answer from: the retrieved ones, plus the best passages of each person or
        department the question names, so that "商务局的…目标" is answered from 商务局's own words even
        when another department's passage matches the topic better, and no side of a comparison
        ("文旅局和商务局各有什么打算") is missing because the other filled the top k."""
        hits = self.retrieve(question, k=k, mode=mode, filters=filters)
        if asks_outlet(question):
            hits = hits + self._bylines(hits)
        # "A和B各…": each side retrieved on its own, so one side's passages cannot crowd out the other's.
        hits = self._add(hits, [h for part in per_subject(question) for h in self.retrieve(part, k=PER_COMPARED, mode=mode, filters=filters)])
        if filters.speakers:
            return hits
        found = self.entities.find(question)
        named = list(dict.fromkeys(found["person"] + [self.entities.departments[d] for d in found["department"]]))
        summary = asks_summary(question) or asks_points(question)  # all of someone's points, not the nearest few
        if not named and not (summary and hits):
            return hits
        # A summary draws on all of what someone said (or of the article it is about), not only the
        # passages nearest the question.
        wanted = [replace(filters, speakers=(name,)) for name in named[:MAX_COMPARED]]
        if not named:
            wanted = [replace(filters, article_ids=(hits[0].chunk.article_id,))]
        per = PER_SUMMARY if summary else PER_COMPARED
        return self._add(hits, [h for narrowed in wanted for h in self.retrieve(question, k=per, mode=mode, filters=narrowed)])

    @staticmethod
    def _add(hits: list[Hit], more: list[Hit]) -> list[Hit]:
        """hits, then those of `more` not among them, ranked after them."""
        seen = {h.chunk.id for h in hits}
        extra = []
        for hit in more:
            if hit.chunk.id not in seen:
                seen.add(hit.chunk.id)
                extra.append(hit)
        return hits + [replace(hit, rank=len(hits) + n) for n, hit in enumerate(extra, start=1)]

    def _bylines(self, hits: list[Hit]) -> list[Hit]:
        """For each article among the hits, its first passage whose byline names its newspaper."""
        seen = {h.chunk.id for h in hits}
        extra: list[Hit] = []
        for article in dict.fromkeys(h.chunk.article_id for h in hits):
            chunk = self.index.byline_passage(article)
            if chunk is not None and chunk.id not in seen:
                seen.add(chunk.id)
                extra.append(Hit(chunk=chunk, score=0.0, rank=len(hits) + len(extra) + 1))
        return extra

    def resolve(self, question: str, history: list[Turn] | None = None) -> str:
        """The question made self-contained using earlier turns (speaker, department, city, topic), and
        with the person who holds the post it asks about ("宜昌市双拥办主任是谁" -> （刘某）…)."""
        resolved = resolve(clean_question(question), list(history or []), self.entities, self.corpus.idf)
        found = self.entities.find(resolved)
        holders = [] if found["person"] else self.corpus.holders(resolved)
        if len(holders) < len(per_subject(resolved)):
            holders = []  # "A和B分别…" where only A's post has a known holder: not narrowed to A
        return f"（{'、'.join(holders)}）{resolved}" if holders else resolved

    def earlier_turns(self, questions: list[str], deadline: Deadline | None = None) -> list[Turn]:
        """Turns for the earlier questions an API client sends, without answering them again. Each is the
        turn remembered from when this server answered the same conversation; failing that, the question
        resolved against the turns before it, with the speakers and the first passage retrieval finds
        for it (standing in for what its answer quoted). Only the last `history_turns` are used."""
        turns: list[Turn] = []
        for end in range(max(len(questions) - self.settings.history_turns, 0), len(questions)):
            if deadline is not None:
                deadline.check("resolving earlier questions")
            turn = self.memory.get(questions[: end + 1])
            if turn is None:
                resolved = self.resolve(questions[end], turns)
                hits = self.retrieve(resolved, k=3, mode="lexical")  # no encoder: cheap whatever the text
                speakers = tuple(h.chunk.speaker for h in hits if h.chunk.speaker)
                turn = Turn(questions[end], resolved, speakers, (hits[0].chunk.text,) if hits else ())
            turns.append(turn)
        return turns

    def remember(self, questions: list[str], question: str, answer: Answer) -> None:
        """Keep the turn an answer ends, for later requests that send this conversation as history."""
        self.memory.put([*questions, question], Turn.of(answer))

    def ask(
        self, question: str, *, history: list[Turn] | None = None, k: int | None = None,
        mode: str = "hybrid", filters: Filters = Filters(), deadline: Deadline | None = None,
    ) -> Answer:
        """The verified answer to a question, after resolving it against earlier turns."""
        final: Answer | None = None
        for _, final in self.stream(question, history=history, k=k, mode=mode, filters=filters, deadline=deadline):
            pass
        assert final is not None  # stream always ends with the answer
        return final

    def stream(
        self, question: str, *, history: list[Turn] | None = None, k: int | None = None,
        mode: str = "hybrid", filters: Filters = Filters(), deadline: Deadline | None = None,
    ) -> Iterator[tuple[str, Answer | None]]:
        """(text so far, None) while an LLM answer streams, then (final text, verified Answer). Only the
        last `history_turns` turns are used; the work stops with DeadlineExceeded when it overruns."""
        started = time.perf_counter()
        deadline = deadline or self.deadline()
        question = clean_question(question, self.settings.max_question_chars)
        history = recent(history, self.settings.history_turns)
        resolved = self.resolve(question, history)
        said = already_said(question, history)  # "他还提到了什么？" wants what was not quoted yet
        analogous = resolved != question and swaps_subject(question)  # "那商务局呢？"
        deadline.check("resolving the question")
        hits = self.evidence(resolved, k=k, mode=mode, filters=filters)
        deadline.check("retrieval")
        retrieved = time.perf_counter()
        answer: Answer | None = None
        if self.llm is not None and hits:
            text = ""
            try:
                for delta in self.llm.stream(resolved, [h.chunk for h in hits], [(t.text, "") for t in history]):
                    deadline.check("the LLM answer")
                    text += delta
                    # Until every sentence is checked against its passage, the text says it is unchecked.
                    yield f"{UNCHECKED_DRAFT}\n\n{text}", None
                answer = from_llm(resolved, text, hits)
            except LLMUnavailable as exc:
                log.warning("LLM unavailable, answering extractively: %s", exc.message)
                fallback = checked(compose(resolved, hits, self.corpus, self.similarity, avoid=said.quotes, strict=said.strict, analogous=analogous, model=self.model))
                answer = replace(fallback, notices=fallback.notices + (f"大模型暂不可用（{exc.message}），以下为摘录式回答。",))
        if answer is None:
            answer = checked(compose(resolved, hits, self.corpus, self.similarity, avoid=said.quotes, strict=said.strict, analogous=analogous, model=self.model))
            if answer.refused and hits:
                # Before saying the articles do not hold it, look a little deeper: an answer ranked just
                # below the top k ("国内旅游收入…增长" at rank 7) is still an answer.
                deadline.check("composing the answer")
                wider = self.evidence(resolved, k=WIDEN * (k or self.settings.top_k), mode=mode, filters=filters)
                second = checked(compose(resolved, wider, self.corpus, self.similarity, avoid=said.quotes, strict=said.strict, analogous=analogous, model=self.model))
                if not second.refused:
                    answer = second
        deadline.check("composing the answer")
        done = time.perf_counter()
        timings = {"retrieve": (retrieved - started) * 1000, "answer": (done - retrieved) * 1000, "total": (done - started) * 1000}
        if pronoun := unresolved_pronoun(question, resolved, self.entities):
            # "他说了什么？" opening a conversation: say so rather than let the answer look resolved.
            answer = replace(answer, notices=answer.notices + (
                f"问题中的“{pronoun}”在前文中没有可对应的人或部门，以下按字面检索；写出姓名或部门可得到更准确的回答。",
            ))
        final = replace(answer, question=question, resolved_question=resolved if resolved != question else None, timings_ms=timings)
        yield final.text, final


def load_pipeline(settings: Settings, *, build_if_missing: bool = True) -> Pipeline:
    """Load the model and the index, building the index first when there is none."""
    embedder = make_embedder(settings)
    try:
        index = open_store(settings, embedder.fingerprint)
    except (IndexMissing, IndexFormatChanged) as exc:
        if not build_if_missing:
            raise
        if isinstance(exc, IndexFormatChanged):
            log.info("索引格式已更新，正在从 %s 重建索引…", settings.seeds_dir)
        else:
            log.info("还没有索引，正在从 %s 建立（首次需要几分钟）…", settings.seeds_dir)
        build(settings, embedder=embedder)
        index = open_store(settings, embedder.fingerprint)
    tagged("预热")  # the part-of-speech tagger's tables load now rather than in the first answer
    return Pipeline(settings, embedder, index)
