"""Labels from whole answers: each candidate judged by the answer it leads, as the evaluation judges it."""

from __future__ import annotations

import numpy as np

from app.answer.candidates import features
from app.answer.compose import analysed
from app.answer.corpus import LocalCorpus
from app.answer.scorer import FEATURES, SentenceModel
from app.evaluation.fitting import Group, top1
from app.evaluation.labels import Led, holds_all, whole_answer_labels
from app.evaluation.rgb import passages_as_hits


def _support_only() -> SentenceModel:
    return SentenceModel.from_json({"features": ["support"], "weights": [1.0], "bias": 0.0})


def _row(**values: float) -> list[float]:
    return [values.get(name, 0.0) for name in FEATURES]


def test_the_led_candidate_ranks_first_and_those_outscoring_it_go_last() -> None:
    rows = np.array([_row(support=0.9), _row(support=0.5, fits=1.0), _row(support=0.5), _row(support=0.3)])
    scores = Led(FEATURES, _support_only().weights, 0.0, {}, rows[2]).score(rows)
    # What outscored it is not there to join it as a close sibling; what it ties with still is.
    assert list(np.argsort(-scores, kind="stable")) == [2, 1, 3, 0]
    assert scores[1] >= 0.85 * scores[2]
    # A model not told what to lead with scores as its weights do.
    plain = Led(FEATURES, _support_only().weights, 0.0, {}).score(rows)
    assert np.allclose(plain, [0.9, 0.5, 0.5, 0.3])


def test_a_candidate_leading_for_what_it_holds_keeps_the_better_scoring_ones_as_they_are() -> None:
    rows = np.array([_row(support=0.9), _row(support=0.8, fits=1.0), _row(support=0.3)])
    scores = Led(FEATURES, _support_only().weights, 0.0, {}, rows[1], typed=True).score(rows)
    assert list(np.argsort(-scores, kind="stable")) == [1, 0, 2]
    assert scores[0] == 0.9 and scores[2] == 0.3  # still close enough to join it


def test_the_fit_judges_a_lead_ahead_of_the_best_by_its_typed_label() -> None:
    rows = np.array([_row(support=0.9), _row(support=0.8), _row(support=0.3)])
    # Leading for the date it holds, ahead of the best, candidate 1 is joined by the best and the
    # answer is right; leading by score alone (had it scored best) it would be wrong.
    group = Group("a", "q", rows, np.array([0.0, 0.0, 0.0]), typed=np.array([False, True, False]),
                  typed_labels=np.array([0.0, 1.0, 0.0]))
    assert top1(_support_only(), [group]) == 1.0
    # Too far below the best, it does not lead, and the best's label counts.
    far = Group("a", "q", np.array([_row(support=0.9), _row(support=0.5)]), np.array([0.0, 1.0]),
                typed=np.array([False, True]), typed_labels=np.array([0.0, 1.0]))
    assert top1(_support_only(), [far]) == 0.0


def test_a_lead_not_among_the_candidates_changes_nothing() -> None:
    rows = np.array([_row(support=0.9), _row(support=0.4)])
    scores = Led(FEATURES, _support_only().weights, 0.0, {}, np.array(_row(support=0.3))).score(rows)
    assert np.allclose(scores, [0.9, 0.4])


def test_every_fact_must_be_held() -> None:
    assert holds_all("会议于 2023年5月 在杭州举行", [["2023年5月"], ["杭州", "杭州市"]])
    assert not holds_all("会议在杭州举行", [["2023年5月"], ["杭州"]])
    assert not holds_all("anything", [])


def test_a_candidate_is_labelled_by_whether_the_answer_it_leads_is_right() -> None:
    passages = [
        "青禾湖国际马拉松赛由市体育局主办，吸引了来自二十个国家的选手参加。",
        "本届青禾湖国际马拉松赛于2023年4月16日开跑。",
        "赛事组委会介绍，青禾湖国际马拉松赛今年新增了半程项目。",
    ]
    question = "青禾湖国际马拉松赛是什么时候开跑的？"
    hits, corpus = passages_as_hits(passages), LocalCorpus(passages)
    spans, _, rows = features(analysed(question, corpus, False), hits, corpus.idf, None)
    labels, _ = whole_answer_labels(question, hits, corpus, None, [["2023年4月16日"]], rows, _support_only(), on_quotes=True)
    texts = [hit.chunk.text[a:b] for hit, a, b in spans]
    dated = [i for i, text in enumerate(texts) if "2023年4月16日" in text]
    undated = [i for i, text in enumerate(texts) if "2023年4月16日" not in text]
    assert dated and undated
    assert all(labels[i] == 1.0 for i in dated)
    # Led by a sentence without the date, a date question is refused (or answered without it).
    assert all(labels[i] == 0.0 for i in undated)
