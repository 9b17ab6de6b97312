"""ReDial evaluation: each test recommender turn replayed through the gateway's Converse
over gRPC in stateless mode, beside popularity baselines on the same cases.

Protocol: @ids replaced by titles; consecutive messages of one sender merged; every
recommender turn after the first that mentions a movie is a case, with all earlier turns
as context and each movie it mentions as a target; candidates are all ReDial movies.
Dialogues are split by a fixed seed; popularity and co-mentions come from the training
part only."""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from tqdm import tqdm

from convrec.common.v1 import common_pb2
from convrec.dialogue.v1 import dialogue_pb2, dialogue_pb2_grpc
from convrec_data import redial as rd
from convrec_data.common import DataError, Report, require_file, write_if_changed

from . import metrics

CATALOG_NAME = "redial-eval"
CONVREC = "convrec: hand-set blend (gateway, stateless gRPC)"
LEARNED = "convrec: blend + dialogue model"
RANKED = "convrec: dialogue model + learned ranker"
# Blend weights for the ReDial catalog, chosen on a split of the training part (--dev).
WEIGHTS = Path(__file__).with_name("data") / "redial_weights.json"
PAGE_SIZE = 50
MAX_TEXT_BYTES = 4000
MAX_HISTORY = 100
# A fixed weekday afternoon, so that time-of-day context plays no part.
EVAL_TIME = dt.datetime(2018, 6, 13, 15, 0, tzinfo=dt.UTC)
ROLE = common_pb2.Turn.Role


@dataclass(frozen=True)
class System:
    """Which of the catalog's trained models a replay serves with."""

    dialogue_model: bool = False
    learned_ranker: bool = False
    rerank: int = 0  # how many of the blend's best items the learned ranker re-orders; 0: as trained


@dataclass
class Split:
    train: list[rd.Dialogue]
    test: list[rd.Dialogue]


def split_dialogues(dialogues: list[rd.Dialogue], seed: int, test_fraction: float) -> Split:
    if not 0 < test_fraction < 1:
        raise DataError(f"test fraction must be between 0 and 1, got {test_fraction}")
    order = list(range(len(dialogues)))
    random.Random(seed).shuffle(order)
    n_test = max(1, round(len(dialogues) * test_fraction))
    test = set(order[:n_test])
    return Split(
        [d for i, d in enumerate(dialogues) if i not in test],
        [d for i, d in enumerate(dialogues) if i in test],
    )


# -- baselines -----------------------------------------------------------------------


class Popularity:
    """All candidates by mentions in the training dialogues (ties: smaller id first)."""

    def __init__(self, candidates: list[str], counts: Counter) -> None:
        self.counts = counts
        self.order = sorted(candidates, key=lambda m: (-counts.get(m, 0), int(m)))

    def rank(self, case: rd.Case, k: int) -> list[str]:
        return self.order[:k]


class GenrePopularity(Popularity):
    """Popularity, movies of the genres the user asked for first."""

    def __init__(self, candidates: list[str], counts: Counter, genres: dict[str, set[str]]) -> None:
        super().__init__(candidates, counts)
        self.genres = genres

    @staticmethod
    def asked(case: rd.Case) -> set[str]:
        from convrec_intent.constraints import extract

        wanted: set[str] = set()
        for turn in case.context:
            if turn.role == "user":
                found = extract(turn.text, "en", EVAL_TIME.year)
                wanted |= set(found.include)
                wanted -= set(found.exclude)
        return wanted

    def rank(self, case: rd.Case, k: int) -> list[str]:
        wanted = self.asked(case)
        if not wanted:
            return self.order[:k]
        first = [m for m in self.order if self.genres.get(m, set()) & wanted][:k]
        return (first + [m for m in self.order if m not in set(first)])[:k]


# -- convrec through the gateway ----------------------------------------------------


def _clip(text: str) -> str:
    data = text.encode()
    return text if len(data) <= MAX_TEXT_BYTES else data[:MAX_TEXT_BYTES].decode(errors="ignore")


def converse_request(case: rd.Case, page_size: int = PAGE_SIZE) -> dialogue_pb2.ConverseRequest:
    """The context as stateless history; the last (seeker) turn as the utterance."""
    *earlier, last = case.context
    history = [
        common_pb2.Turn(role=ROLE.ROLE_USER if t.role == "user" else ROLE.ROLE_ASSISTANT, text=_clip(t.text) or ".")
        for t in earlier[-MAX_HISTORY:]
    ]
    request = dialogue_pb2.ConverseRequest(utterance=_clip(last.text) or ".", history=history, page_size=page_size)
    request.context.timestamp.FromDatetime(EVAL_TIME)
    return request


@dataclass
class Replay:
    rankings: list[list[str]] = field(default_factory=list)
    # Per turn, per recommended item: its score components as (name, value).
    components: list[list[list[tuple[str, float]]]] = field(default_factory=list)
    scores: list[list[float]] = field(default_factory=list)
    actions: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    seconds: float = 0.0


def replay(address: str, cases: list[rd.Case], workers: int = 2, page_size: int = PAGE_SIZE) -> Replay:
    out = Replay(rankings=[[] for _ in cases], components=[[] for _ in cases], scores=[[] for _ in cases])
    with grpc.insecure_channel(address) as channel:
        stub = dialogue_pb2_grpc.DialogueServiceStub(channel)

        def one(index: int) -> None:
            try:
                reply = stub.Converse(converse_request(cases[index], page_size), timeout=60)
            except grpc.RpcError as exc:
                out.errors[exc.code().name] += 1
                return
            out.actions[dialogue_pb2.Action.Name(reply.action)] += 1
            out.rankings[index] = [
                r.item.external_id or r.item.item_id.removeprefix(rd.ITEM_PREFIX) for r in reply.recommendations
            ]
            out.components[index] = [[(c.name, c.value) for c in r.components] for r in reply.recommendations]
            out.scores[index] = [r.score for r in reply.recommendations]

        started = time.perf_counter()
        with ThreadPoolExecutor(workers) as pool:
            calls = pool.map(one, range(len(cases)))
            list(tqdm(calls, total=len(cases), desc="replaying", unit=" turns", disable=None))
        out.seconds = time.perf_counter() - started
    return out


# -- the whole evaluation -----------------------------------------------------------


def prepare(
    dialogues_path: Path,
    movies_path: Path,
    metadata_path: Path | None,
    seed: int,
    test_fraction: float,
    work: Path,
    dev: bool = False,
) -> tuple[dict[str, rd.Movie], list[dict], Split, dict[str, Path]]:
    movies = rd.load_movies(require_file(movies_path, "ReDial movie list"))
    metadata = rd.load_metadata(metadata_path) if metadata_path and metadata_path.exists() else {}
    rd.complete_titles(movies, metadata)
    dialogues = rd.load_dialogues(require_file(dialogues_path, "ReDial dialogues"), movies)
    split = split_dialogues(dialogues, seed, test_fraction)
    if dev:  # tuning: the training part split again; the test part stays unseen
        split = split_dialogues(split.train, seed + 1, test_fraction)
    records = rd.catalog_records(movies, metadata, Report("redial", ""))
    files = {
        "catalog": work / "catalog.jsonl",
        "popularity": work / "popularity.jsonl",
        "co_occurrence": work / "co_mentions.jsonl",
    }
    write_if_changed(files["catalog"], records)
    write_if_changed(files["popularity"], rd.popularity_records(split.train))
    write_if_changed(files["co_occurrence"], rd.co_mention_records(split.train))
    return movies, records, split, files


def evaluate(
    dialogues_path: Path,
    seed: int = 42,
    test_fraction: float = 0.2,
    movies_path: Path | None = None,
    metadata_path: Path | None = None,
    artifacts_dir: Path | None = None,
    catalog_name: str = CATALOG_NAME,
    max_test_dialogues: int | None = None,
    workers: int = 2,
    page_size: int = PAGE_SIZE,
    dev: bool = False,
    weights: Path | None = WEIGHTS,
    dialogue_model: bool = True,
    learned_ranker: bool = True,
    progress: bool = True,
    rerank: tuple[int, ...] = (),
) -> dict:
    from convrec_build.pipeline import build
    from convrec_kit.settings import CommonSettings, load_settings

    artifacts_dir = artifacts_dir or load_settings(CommonSettings).artifacts_dir
    movies_path = movies_path or dialogues_path.parent / rd.MOVIES_FILE
    metadata_path = metadata_path or dialogues_path.parent / rd.METADATA_FILE
    work = artifacts_dir / "eval" / catalog_name
    work.mkdir(parents=True, exist_ok=True)
    movies, records, split, files = prepare(
        dialogues_path, movies_path, metadata_path, seed, test_fraction, work, dev
    )
    test = split.test[:max_test_dialogues] if max_test_dialogues else split.test
    turns = [c for d in test for c in rd.eval_cases(d)]
    if not turns:
        raise DataError("no evaluation cases in the test dialogues")

    build(
        artifacts_dir,
        catalog_name,
        files["catalog"],
        popularity=files["popularity"],
        co_occurrence=files["co_occurrence"],
        weights=weights,
    )
    counts = rd.mention_counts(split.train)
    genres = {r["external_id"]: set(r["categories"]) - {"movie"} for r in records}
    baselines = {
        "popularity (training dialogues)": Popularity(list(movies), counts),
        "popularity, genres asked": GenrePopularity(list(movies), counts, genres),
    }
    results: dict[str, list[list[str]]] = {
        name: [b.rank(c, page_size) for c in turns] for name, b in baselines.items()
    }

    systems = {CONVREC: System()}
    catalog_dir = artifacts_dir / catalog_name
    if dialogue_model:
        train_dialogue_model(artifacts_dir, catalog_dir, split.train, dialogues_path, progress)
        systems[LEARNED] = System(dialogue_model=True)
    if learned_ranker:
        from .redial_ranker import train_ranker

        try:
            train_ranker(artifacts_dir, catalog_name, split.train, dialogues_path, workers=workers, progress=progress)
            for depth in rerank or (0,):
                name = f"{RANKED} (re-ranks {depth})" if depth else RANKED
                systems[name] = System(dialogue_model=dialogue_model, learned_ranker=True, rerank=depth)
        except ValueError as exc:  # too few training dialogues to learn from
            print(f"learned ranker not trained: {exc}")
    replays = {}
    for name, system in systems.items():
        replays[name] = replay_cluster(work, artifacts_dir, catalog_name, system, turns, workers, page_size)
        results[name] = replays[name].rankings
    best = list(systems)[-1]
    replayed = replays[best]

    report = {
        "dialogues": {"train": len(split.train), "test": len(split.test), "evaluated": len(test)},
        "seed": seed,
        "test_fraction": test_fraction,
        "dev": dev,
        "cases": len(turns),
        "targets": sum(len(c.targets) for c in turns),
        "new_targets": sum(not b for c in turns for b in c.mentioned_before),
        "turns_per_second": {n: len(turns) / r.seconds if r.seconds else 0.0 for n, r in replays.items()},
        "convrec_turns_with_items": sum(1 for r in replayed.rankings if r),
        "convrec_actions": dict(replayed.actions),
        "convrec_errors": dict(replayed.errors),
        "methods": {},
    }
    ranks: dict[str, list[int | None]] = {}
    for name, rankings in results.items():
        all_ranks, new_ranks = [], []
        for case, ranked in zip(turns, rankings):
            for target, before in zip(case.targets, case.mentioned_before):
                rank = metrics.rank_of(target, ranked)
                all_ranks.append(rank)
                if not before:
                    new_ranks.append(rank)
        ranks[name] = all_ranks
        report["methods"][name] = {"all": metrics.summary(all_ranks), "new": metrics.summary(new_ranks)}
    dialogue_of = [case.dialogue_id for case in turns for _ in case.targets]
    report["convrec_minus"] = {
        name: {
            f"R@{k}": metrics.recall_difference(ranks[best], ranks[name], k, dialogue_of) for k in (10, 50)
        }
        for name in [*baselines, *(n for n in systems if n != best)]
    }
    report["compared"] = best
    (work / "results.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


def train_dialogue_model(artifacts_dir: Path, catalog_dir: Path, train: list[rd.Dialogue], source: Path,
                         progress: bool = True) -> dict:
    """The catalog's dialogue model, trained on the training dialogues only."""
    from convrec_kit.models.dialogue.pipeline import train_with_e5
    from convrec_kit.models.e5_convert import E5_DIR

    _, manifest = train_with_e5(catalog_dir, artifacts_dir / E5_DIR, rd.text_cases(train),
                                f"{source} (training part)", progress=progress)
    return manifest


def replay_cluster(work: Path, artifacts_dir: Path, catalog_name: str, system: System, turns, workers: int,
                   page_size: int) -> Replay:
    """The turns replayed through a cluster of the four services serving the catalog."""
    from convrec_kit.cluster import Cluster

    cluster = Cluster(
        work / "cluster",
        extra_env={
            "CONVREC_ARTIFACTS_DIR": str(artifacts_dir),
            "CONVREC_CATALOG": catalog_name,
            "CONVREC_TURN_BUDGET_SECONDS": "60",
            "CONVREC_STATE_PATH": str(work / "cluster" / "state.sqlite3"),
            "CONVREC_RETRIEVAL_DIALOGUE": str(system.dialogue_model).lower(),
            "CONVREC_RANKING_LEARNED": str(system.learned_ranker).lower(),
            "CONVREC_RANKING_RERANK": str(system.rerank),
        },
    )
    try:
        cluster.start()
        return replay(cluster.address(), turns, workers, page_size)
    finally:
        cluster.stop()


def format_report(report: dict) -> str:
    names = ["R@1", "R@10", "R@50", "NDCG@10", "NDCG@50", "MRR@50"]
    columns = [f"{n}" for n in names] + [f"new {n}" for n in names]
    rows = [
        (method, [f"{m['all'][n]:.3f}" for n in names] + [f"{m['new'][n]:.3f}" for n in names])
        for method, m in report["methods"].items()
    ]
    d = report["dialogues"]
    dev = " (dev: a split of the training part)" if report.get("dev") else ""
    title = (
        f"ReDial{dev}: {d['evaluated']} test dialogues (split {d['train']}/{d['test']}, seed {report['seed']}), "
        f"{report['cases']:,} recommender turns, {report['targets']:,} target cases "
        f"({report['new_targets']:,} not mentioned earlier: the 'new' columns); candidates: all ReDial movies"
    )
    footer = (
        "convrec: " + ", ".join(f"{n.removeprefix('convrec: ')} {t:.1f} turns/s"
                                for n, t in report["turns_per_second"].items())
        + f"; answered {report['convrec_turns_with_items']:,} "
        f"of {report['cases']:,} turns with items (a turn answered otherwise counts as a miss); "
        f"actions {report['convrec_actions']}"
        + (f"; errors {report['convrec_errors']}" if report["convrec_errors"] else "")
    )
    best = report.get("compared", "convrec").removeprefix("convrec: ")
    differences = [metrics.format_difference(n, d, best) for n, d in report.get("convrec_minus", {}).items()]
    if differences:
        differences.append("(paired bootstrap over test dialogues, all targets)")
    return "\n".join([metrics.table(title, columns, rows), footer, *differences])
