"""A small synthetic BEIR dataset and BEIR's own figures for it, for test/beir-reference.e2e.test.ts.

Writes test/fixtures/beir-synthetic/:

- ``corpus.jsonl`` ``{"_id", "title", "text"}``: Vaswani abstracts with made-up titles (some missing, some
  empty or blank), plus planted documents: two pairs whose embedded text is a query's own text (exact score
  ties: which of a pair ranks first is decided by trec_eval's tie rule, docid descending), and one document
  whose id is its query's id and whose text is that query (BEIR leaves it out: ``ignore_identical_ids``);
- ``queries.jsonl`` ``{"_id", "text"}``: the judged queries and a few unjudged ones (as BEIR's file holds
  every split's queries);
- ``qrels/test.tsv`` with BEIR's header, grades 0-3, and one query judged with grade 0 only;
- ``reference.json``: BEIR's figures, per query and mean, computed the way BEIR computes them:
  ``beir.retrieval.models.SentenceBERT`` on the tiny fixture model (corpus ``(title + " " + text).strip()``
  when a document has a title key, else ``text.strip()``; queries as they are),
  ``DenseRetrievalExactSearch`` (``cos_sim``, top 1000: every document), ``EvaluateRetrieval.evaluate``
  (pytrec_eval; identical query and document ids ignored), and MRR@10 as trec_eval's ``recip_rank`` over
  each query's first 10 (score descending, ties by docid descending). Twice: with the titles ("titled"),
  and with every title left out ("untitled", the text alone).

Run from the repository root: tools/.venv/bin/python tools/reference/make_beir_fixture.py (see README.md).
Needs the pinned environment plus ``beir==2.2.0`` (installed ``--no-deps``) and ``pytrec-eval-terrier``.
"""

from __future__ import annotations

import itertools
import json
import random
import sys
import types
from collections import defaultdict
from pathlib import Path

import beir
import pytrec_eval
import sentence_transformers
import torch
import transformers.trainer  # noqa: F401  (loaded before the stub below, so it sees no `datasets`)

# beir's package __init__ files load every model and search it has (faiss, multi-GPU, LLM encoders), and its
# SentenceBERT module imports `datasets` (for multi-process encoding): none of that is used here nor in the
# pinned environment. So the two packages are registered bare (their modules load, their __init__ does not)
# and `datasets` has a stand-in while beir loads, removed again afterwards.
for _package in ["beir.retrieval.models", "beir.retrieval.search.dense"]:
    _module = types.ModuleType(_package)
    _module.__path__ = [str(Path(beir.__file__).parent.joinpath(*_package.split(".")[1:]))]
    sys.modules[_package] = _module
sys.modules["datasets"] = types.SimpleNamespace(Dataset=object)  # type: ignore[assignment]
try:
    from beir.retrieval.evaluation import EvaluateRetrieval
    from beir.retrieval.models.sentence_bert import SentenceBERT
    from beir.retrieval.search.dense.exact_search import DenseRetrievalExactSearch
finally:
    del sys.modules["datasets"]

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import read_vaswani_docs, read_vaswani_queries

OUT_DIR = REPO_ROOT / "test" / "fixtures" / "beir-synthetic"
MODEL_DIR = REPO_ROOT / "libs" / "encoder" / "fixtures" / "tiny-model"
SEED = 20240607
JUDGED_QUERIES = 30
UNJUDGED_QUERIES = 6
RELEVANT_PER_QUERY = 6
CORPUS_SIZE = 400
TOP_K = 1000
# Two scores closer than this (and not equal) may come out in either order from another float32
# implementation (ONNX vs PyTorch): the script checks no such pair changes any figure.
NEAR_TIE = 1e-5
# Planted exact ties: (query slot, id ranked first by trec_eval's docid-descending rule, the other id).
# "3000001" > "20001" and "90002" > "100002" as strings; numerically the second pair goes the other way,
# so any other tie rule (ascending, or numeric) ranks at least one pair's relevant document first.
TIE_PAIRS = [(0, "3000001", "20001"), (1, "90002", "100002")]
WORDS_FOR_TITLES = ["Über", "Études", "Notes", "On", "A survey of", "Remarks:", "Part II —", "Letter"]


def words_title(rng: random.Random, text: str) -> str:
    words = text.split()
    start = rng.randrange(max(1, len(words) - 5))
    picked = words[start : start + rng.randint(2, 5)]
    prefix = rng.choice(WORDS_FOR_TITLES) + " " if rng.random() < 0.2 else ""
    return prefix + " ".join(w.capitalize() for w in picked)


def build_dataset():
    rng = random.Random(SEED)
    docs = {str(num): " ".join(body.split()) for num, body in read_vaswani_docs()}
    queries = {str(num): " ".join(body.split()) for num, body in read_vaswani_queries()}
    relevant = defaultdict(list)
    for line in (REPO_ROOT / "data" / "vaswani" / "qrels").read_text().splitlines():
        qid, _, docid, rel = line.split()
        if int(rel) > 0:
            relevant[qid].append(docid)

    candidates = sorted((q for q in queries if len(relevant[q]) >= 3), key=int)
    chosen = sorted(rng.sample(candidates, JUDGED_QUERIES + 1), key=int)
    zero_only = chosen.pop(rng.randrange(len(chosen)))  # judged, grade 0 only
    unjudged = sorted(rng.sample([q for q in queries if q not in chosen and q != zero_only], UNJUDGED_QUERIES), key=int)

    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    corpus_ids: list[str] = []
    for qid in chosen:
        for docid in sorted(rng.sample(relevant[qid], min(RELEVANT_PER_QUERY, len(relevant[qid]))), key=int):
            qrels[qid][docid] = rng.choice([1, 1, 2, 3])
            if docid not in corpus_ids:
                corpus_ids.append(docid)
    all_relevant = {d for q in chosen + [zero_only] for d in relevant[q]}
    distractors = sorted((d for d in docs if d not in all_relevant and d not in corpus_ids), key=int)
    corpus_ids += rng.sample(distractors, CORPUS_SIZE - len(corpus_ids) - 5)
    # Judged not relevant (grade 0), and the grade-0-only query.
    for qid in chosen:
        for docid in rng.sample([d for d in corpus_ids if d not in qrels[qid]], 2):
            qrels[qid][docid] = 0
    for docid in rng.sample(corpus_ids, 3):
        qrels[zero_only][docid] = 0
    rng.shuffle(corpus_ids)

    corpus: list[dict[str, str]] = []
    for i, docid in enumerate(corpus_ids):
        text = docs[docid]
        doc: dict[str, str] = {"_id": docid}
        roll = rng.random()
        if roll < 0.12:
            pass  # no title key
        elif roll < 0.20:
            doc["title"] = ""
        elif roll < 0.23:
            doc["title"] = "   "
        elif roll < 0.43:
            doc["title"] = words_title(rng, docs[rng.choice(corpus_ids)])  # another document's words
        else:
            doc["title"] = words_title(rng, text)
        if i % 97 == 5:
            text = "  " + text + " "  # surrounding whitespace: strip() must change nothing embedded
        doc["text"] = text
        corpus.append(doc)

    # Planted exact ties: two documents whose embedded text is the query itself (one without a title key, one
    # with an empty title: both embed the text alone), adjacent in the file; the second of each ranked pair is relevant.
    planted = []
    for slot, first, second in TIE_PAIRS:
        qid = chosen[slot]
        planted += [{"_id": second, "text": queries[qid]}, {"_id": first, "title": "", "text": queries[qid]}]
        qrels[qid][second] = 2
    # A document whose id is its query's and whose text is that query: BEIR ignores it (identical ids).
    identical = chosen[2]
    planted.append({"_id": identical, "title": "", "text": queries[identical]})
    assert identical not in corpus_ids
    qrels[identical][identical] = 3
    at = len(corpus) // 2
    corpus[at:at] = planted

    query_ids = sorted(chosen + [zero_only] + unjudged, key=int)
    query_list = [{"_id": q, "text": queries[q]} for q in query_ids]
    meta = {
        "zero_only_query": zero_only,
        "unjudged_queries": unjudged,
        "tie_pairs": [{"query": chosen[s], "first": f, "second": t} for s, f, t in TIE_PAIRS],
        "identical_id_query": identical,
    }
    return corpus, query_list, dict(qrels), meta


def trec_order(scores: dict[str, float]) -> list[str]:
    """trec_eval's ranking: score descending, ties by docid descending (strcmp)."""
    by_id = sorted(scores.items(), key=lambda item: item[0], reverse=True)
    return [d for d, _ in sorted(by_id, key=lambda item: -item[1])]


def per_query_figures(qrels, results) -> dict[str, dict[str, float]]:
    measures = {"ndcg_cut.10", "recall.100", "recall.1000"}
    scores = pytrec_eval.RelevanceEvaluator(qrels, measures).evaluate(results)
    top10 = {q: {d: results[q][d] for d in trec_order(results[q])[:10]} for q in results}
    rr = pytrec_eval.RelevanceEvaluator(qrels, {"recip_rank"}).evaluate(top10)
    return {
        q: {
            "MRR@10": rr[q]["recip_rank"],
            "nDCG@10": scores[q]["ndcg_cut_10"],
            "Recall@100": scores[q]["recall_100"],
            "Recall@1000": scores[q]["recall_1000"],
        }
        for q in sorted(scores, key=int)
    }


def fragile_pairs(qrels, results) -> list[str]:
    """Near-tied (not equal) neighbours whose swap would change a figure: float noise could flip them."""
    found = []
    for q, scores in results.items():
        order = trec_order(scores)
        for a, b in itertools.pairwise(order):
            if scores[a] != scores[b] and scores[a] - scores[b] < NEAR_TIE:
                swapped = dict(scores)
                swapped[a], swapped[b] = scores[b], scores[a]
                before = per_query_figures({q: qrels[q]}, {q: scores})
                after = per_query_figures({q: qrels[q]}, {q: swapped})
                if before != after:
                    found.append(f"query {q}: {a} {scores[a]!r} vs {b} {scores[b]!r}")
    return found


def reference(corpus, queries, qrels, with_titles: bool):
    # BEIR's corpus dict, as GenericDataLoader builds it, but with a title key only where the file has one
    # (GenericDataLoader would store None for a missing title, which BEIR's encode_corpus cannot add to a string).
    beir_corpus = {}
    for doc in corpus:
        entry = {"text": doc["text"]}
        if with_titles and "title" in doc:
            entry["title"] = doc["title"]
        beir_corpus[doc["_id"]] = entry
    beir_queries = {q["_id"]: q["text"] for q in queries if q["_id"] in qrels}  # GenericDataLoader.load
    model = SentenceBERT(str(MODEL_DIR))
    search = DenseRetrievalExactSearch(model, batch_size=128, corpus_chunk_size=50000, show_progress_bar=False)
    retriever = EvaluateRetrieval(search, score_function="cos_sim", k_values=[10, 100, 1000])
    results = retriever.retrieve(beir_corpus, beir_queries)
    ndcg, _map, recall, _p = retriever.evaluate(qrels, results, [10, 100, 1000])  # drops identical ids
    mrr_beir = retriever.evaluate_custom(qrels, results, [10], metric="mrr")
    per_query = per_query_figures(qrels, results)
    fragile = fragile_pairs(qrels, results)
    assert not fragile, "near-tied scores would make the comparison depend on float noise:\n" + "\n".join(fragile)
    ties = {}
    for q, rs in results.items():
        top = trec_order(rs)[:10]
        ties[q] = [[d, rs[d]] for d in top]
    # BEIR's exact search at depth 1: torch.topk takes 2, its heap keeps the larger (score, id), so of two tied
    # documents the one trec_eval ranks first (docid descending) makes the cut.
    top1 = retriever.retriever.search(beir_corpus, beir_queries, 1, "cos_sim")
    judged = [q for q in per_query if any(g > 0 for g in qrels[q].values())]
    mean = {
        m: sum(per_query[q][m] for q in judged) / len(judged)
        for m in ["MRR@10", "nDCG@10", "Recall@100", "Recall@1000"]
    }
    return {
        "per_query": per_query,
        "mean_over_judged": mean,
        "beir_printed": {
            "NDCG@10": ndcg["NDCG@10"],
            "Recall@100": recall["Recall@100"],
            "Recall@1000": recall["Recall@1000"],
            "MRR@10": mrr_beir["MRR@10"],
            "over_queries": len(beir_queries),
        },
        "top10": ties,
        "top1": {q: next((d for d in top1[q] if d != q), None) for q in sorted(top1, key=int)},
    }


def main() -> None:
    torch.set_num_threads(1)
    corpus, queries, qrels, meta = build_dataset()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "qrels").mkdir(exist_ok=True)
    with open(OUT_DIR / "corpus.jsonl", "w", encoding="utf-8") as f:
        f.writelines(json.dumps(doc, ensure_ascii=False) + "\n" for doc in corpus)
    with open(OUT_DIR / "queries.jsonl", "w", encoding="utf-8") as f:
        f.writelines(json.dumps(q, ensure_ascii=False) + "\n" for q in queries)
    with open(OUT_DIR / "qrels" / "test.tsv", "w", encoding="utf-8") as f:
        f.write("query-id\tcorpus-id\tscore\n")
        for qid in sorted(qrels, key=int):
            f.writelines(f"{qid}\t{docid}\t{grade}\n" for docid, grade in qrels[qid].items())
    out = {
        "generator": "tools/reference/make_beir_fixture.py",
        "versions": {
            "torch": torch.__version__,
            "sentence_transformers": sentence_transformers.__version__,
            "beir": getattr(beir, "__version__", "2.2.0"),
            "pytrec_eval": "pytrec-eval-terrier",
        },
        "model": "libs/encoder/fixtures/tiny-model",
        "top_k": TOP_K,
        "score_function": "cos_sim",
        **meta,
        "titled": reference(corpus, queries, qrels, True),
        "untitled": reference(corpus, queries, qrels, False),
    }
    (OUT_DIR / "reference.json").write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    for name in ["titled", "untitled"]:
        print(name, json.dumps(out[name]["mean_over_judged"]), json.dumps(out[name]["beir_printed"]))


if __name__ == "__main__":
    main()
