"""ReDial: the movie list and metadata to a catalog; dialogues to turns, evaluation cases,
interactions (liked, disliked, seen), co-mentions and mention counts."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

from tqdm import tqdm

from .common import (
    CATALOG_FILE,
    INTERACTIONS_FILE,
    DataError,
    Report,
    digest,
    read_csv,
    read_jsonl,
    require_file,
    up_to_date,
    write_jsonl,
)
from .titles import split_title_year

MOVIES_FILE = "movies.csv"
METADATA_FILE = "movie_metadata.json"
DIALOGUES_FILE = "train_sample_1000.jsonl"
UTTERANCES_FILE = "utterances.jsonl"
CO_MENTIONS_FILE = "co_mentions.jsonl"
POPULARITY_FILE = "popularity.jsonl"
ITEM_PREFIX = "rd-"
_MENTION = re.compile(r"@(\d+)")
# ReDial genre names that differ from the project's.
_GENRES = {"sci-fi": "science fiction", "scifi": "science fiction", "children": "family"}
# Answers in initiatorQuestions / respondentQuestions: 0 no, 1 yes, 2 did not say.
_YES, _NO = 1, 0


def item_id(movie_id: str) -> str:
    return f"{ITEM_PREFIX}{movie_id}"


def genre_name(raw: str) -> str:
    name = raw.strip().lower()
    return _GENRES.get(name, name.replace("-", " "))


@dataclass(frozen=True)
class Movie:
    movie_id: str
    title: str
    year: int | None

    @property
    def name(self) -> str:
        return f"{self.title} ({self.year})" if self.year else self.title


def load_movies(path: Path, report: Report | None = None) -> dict[str, Movie]:
    movies: dict[str, Movie] = {}
    for line, row in read_csv(path, ("movieId", "movieName")):
        movie_id, name = (row["movieId"] or "").strip(), (row["movieName"] or "").strip()
        if not movie_id.isdigit():
            raise DataError(f"{path}:{line}: movieId {movie_id!r} is not a number")
        if not name:
            report and report.skip("movies", "empty movieName")
            continue
        if movie_id in movies:
            report and report.skip("movies", "duplicate movieId")
            continue
        title, year = split_title_year(name)
        movies[movie_id] = Movie(movie_id, title, year)
    if not movies:
        raise DataError(f"{path}: no movies")
    return movies


def load_metadata(path: Path) -> dict[str, dict]:
    require_file(path, "ReDial movie metadata")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: invalid JSON: {exc}") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise DataError(f"{path}: expected an object of movie id -> metadata object")
    return data


def complete_titles(movies: dict[str, Movie], metadata: dict[str, dict], report: Report | None = None) -> None:
    """Movies listed with a year only take their title from the metadata, else a placeholder
    (they stay candidates: dialogues mention them)."""
    for movie_id, movie in list(movies.items()):
        if movie.title:
            continue
        title, year = split_title_year(str(metadata.get(movie_id, {}).get("name") or ""))
        if title:
            movies[movie_id] = Movie(movie_id, title, movie.year or year)
            report and report.skip("movie titles", "taken from the metadata (movies.csv has a year only)")
        else:
            movies[movie_id] = Movie(movie_id, f"Untitled ReDial movie {movie_id}", movie.year)
            report and report.skip("movie titles", "none in movies.csv or the metadata: placeholder used")


def _names(value) -> list[str]:
    if isinstance(value, str):
        value = value.split(",")
    return [str(v).strip() for v in value or [] if str(v).strip()]


def catalog_record(movie: Movie, meta: dict | None) -> dict:
    meta = meta or {}
    genres = list(dict.fromkeys(genre_name(g) for g in _names(meta.get("genre")) if genre_name(g)))
    attributes = {
        "director": ", ".join(_names(meta.get("director"))),
        "writer": ", ".join(_names(meta.get("writer"))),
        "cast": ", ".join(_names(meta.get("star") or meta.get("stars"))),
        "imdb_id": str(meta.get("imdb_id") or "").strip(),
    }
    return {
        "item_id": item_id(movie.movie_id),
        "title": movie.title,
        "description": str(meta.get("plot") or "").strip(),
        "categories": ["movie", *genres],
        "attributes": {k: v for k, v in attributes.items() if v},
        "numeric": {"year": movie.year} if movie.year else {},
        "external_id": movie.movie_id,
    }


def catalog_records(movies: dict[str, Movie], metadata: dict[str, dict], report: Report) -> list[dict]:
    unknown = [m for m in metadata if m not in movies]
    if unknown:
        report.skip("metadata entries", "movie not in movies.csv", len(unknown))
    records = [catalog_record(movie, metadata.get(mid)) for mid, movie in movies.items()]
    report.notes["movies_without_metadata"] = sum(1 for mid in movies if mid not in metadata)
    return sorted(records, key=lambda r: int(r["external_id"]))


# -- dialogues ----------------------------------------------------------------------


@dataclass
class Turn:
    """Consecutive messages of one sender, @ids replaced by titles."""

    role: str  # "user" (the seeker) or "assistant" (the recommender)
    text: str
    movie_ids: list[str] = field(default_factory=list)  # in order of first mention


@dataclass
class Dialogue:
    dialogue_id: str
    seeker_id: str
    turns: list[Turn]
    # movie id -> {"suggested", "seen", "liked"}: the seeker's answers (0, 1, 2 = did not say)
    opinions: dict[str, dict[str, int]]

    def movie_ids(self) -> list[str]:
        return list(dict.fromkeys(m for t in self.turns for m in t.movie_ids))


@dataclass
class Case:
    """A recommender turn that mentions movies: what came before, and what it named."""

    dialogue_id: str
    turn_index: int
    context: list[Turn]
    targets: list[str]
    # Per target: whether it was mentioned earlier in the dialogue.
    mentioned_before: list[bool]


def _require(record: dict, keys: Iterable[str], where: str) -> None:
    missing = [k for k in keys if k not in record]
    if missing:
        raise DataError(f"{where}: not a ReDial dialogue: missing {', '.join(missing)}")


def parse_dialogue(record: dict, movies: dict[str, Movie], where: str, report: Report | None = None) -> Dialogue:
    _require(record, ("conversationId", "messages", "initiatorWorkerId", "respondentWorkerId"), where)
    if not isinstance(record["messages"], list):
        raise DataError(f"{where}: messages is not a list")
    seeker, recommender = record["initiatorWorkerId"], record["respondentWorkerId"]
    own_names = record.get("movieMentions") or {}
    if not isinstance(own_names, dict):
        own_names = {}

    def title_of(match: re.Match) -> str:
        movie = movies.get(match.group(1))
        if movie is not None:
            return movie.name
        name = own_names.get(match.group(1))
        return " ".join(str(name).split()) if name else match.group(0)

    turns: list[Turn] = []
    last_sender = None
    for number, message in enumerate(record["messages"]):
        if not isinstance(message, dict):
            raise DataError(f"{where}: messages[{number}] is not an object")
        _require(message, ("senderWorkerId", "text"), f"{where}: messages[{number}]")
        sender, text = message["senderWorkerId"], str(message["text"] or "")
        if sender not in (seeker, recommender):
            report and report.skip("messages", "sender is neither the seeker nor the recommender")
            continue
        ids = _MENTION.findall(text)
        unknown = [i for i in ids if i not in movies]
        if unknown and report:
            report.skip("movie mentions", "movie not in movies.csv", len(unknown))
        known = [i for i in ids if i in movies]
        text = _MENTION.sub(title_of, text).strip()
        if sender == last_sender and turns:
            turns[-1].text = f"{turns[-1].text} {text}".strip()
            turns[-1].movie_ids = list(dict.fromkeys([*turns[-1].movie_ids, *known]))
        else:
            turns.append(Turn("user" if sender == seeker else "assistant", text, list(dict.fromkeys(known))))
            last_sender = sender
    return Dialogue(str(record["conversationId"]), str(seeker), turns, _opinions(record))


def _opinions(record: dict) -> dict[str, dict[str, int]]:
    """The seeker's answers; the recommender's copy fills in when the seeker's is missing."""
    merged: dict[str, dict[str, int]] = {}
    for key in ("respondentQuestions", "initiatorQuestions"):
        answers = record.get(key)
        if not isinstance(answers, dict):
            continue
        for movie_id, values in answers.items():
            if isinstance(values, dict):
                merged.setdefault(str(movie_id), {}).update(
                    {k: int(v) for k, v in values.items() if isinstance(v, int | float)}
                )
    return merged


def load_dialogues(path: Path, movies: dict[str, Movie], report: Report | None = None) -> list[Dialogue]:
    dialogues = []
    seen_ids: set[str] = set()
    for line, record in tqdm(read_jsonl(path), desc="ReDial dialogues", unit=" dialogues", disable=None):
        dialogue = parse_dialogue(record, movies, f"{path}:{line}", report)
        if dialogue.dialogue_id in seen_ids:
            report and report.skip("dialogues", "duplicate conversationId")
            continue
        seen_ids.add(dialogue.dialogue_id)
        dialogues.append(dialogue)
    if not dialogues:
        raise DataError(f"{path}: no dialogues")
    return dialogues


def eval_cases(dialogue: Dialogue) -> list[Case]:
    """Every recommender turn after the first turn that mentions a movie; its context is
    all earlier turns and its targets are the movies it mentions."""
    cases, earlier = [], set()
    for index, turn in enumerate(dialogue.turns):
        if index > 0 and turn.role == "assistant" and turn.movie_ids:
            cases.append(
                Case(
                    dialogue.dialogue_id,
                    index,
                    dialogue.turns[:index],
                    list(turn.movie_ids),
                    [m in earlier for m in turn.movie_ids],
                )
            )
        earlier.update(turn.movie_ids)
    return cases


def mention_counts(dialogues: Iterable[Dialogue]) -> Counter:
    """Per movie id: in how many dialogues it is mentioned."""
    counts: Counter = Counter()
    for dialogue in dialogues:
        counts.update(dialogue.movie_ids())
    return counts


def co_mention_counts(dialogues: Iterable[Dialogue]) -> Counter:
    """Per pair of movie ids (smaller id first): in how many dialogues both are mentioned."""
    counts: Counter = Counter()
    for dialogue in dialogues:
        ids = sorted(dialogue.movie_ids(), key=int)
        counts.update(combinations(ids, 2))
    return counts


def popularity_records(dialogues: Iterable[Dialogue]) -> list[dict]:
    counts = mention_counts(dialogues)
    return [{"item_id": item_id(m), "count": n} for m, n in sorted(counts.items(), key=lambda x: int(x[0]))]


def co_mention_records(dialogues: Iterable[Dialogue]) -> list[dict]:
    counts = co_mention_counts(dialogues)
    return [
        {"item_id": item_id(a), "other_id": item_id(b), "count": n}
        for (a, b), n in sorted(counts.items(), key=lambda x: (int(x[0][0]), int(x[0][1])))
    ]


def interaction_records(dialogues: Iterable[Dialogue], movies: dict[str, Movie]) -> list[dict]:
    """Liked / disliked / seen per seeker and movie, from the questionnaires.
    ReDial has no timestamps: timestamp is null."""
    out = []
    for dialogue in dialogues:
        user = f"redial-{dialogue.seeker_id}"
        session = f"redial-{dialogue.dialogue_id}"
        for movie_id in sorted(dialogue.opinions, key=lambda m: int(m) if m.isdigit() else 0):
            if movie_id not in movies:
                continue
            answers = dialogue.opinions[movie_id]
            events = []
            if answers.get("liked") == _YES:
                events.append(("like", 1.0))
            elif answers.get("liked") == _NO:
                events.append(("dislike", 0.0))
            if answers.get("seen") == _YES:
                events.append(("seen", 1.0))
            for event, value in events:
                out.append(
                    {
                        "user_id": user,
                        "item_id": item_id(movie_id),
                        "event": event,
                        "value": value,
                        "timestamp": None,
                        "session_id": session,
                    }
                )
    return out


def utterance_records(dialogues: Iterable[Dialogue]) -> list[dict]:
    return [
        {
            "dialogue_id": d.dialogue_id,
            "turn": index,
            "role": turn.role,
            "text": turn.text,
            "item_ids": [item_id(m) for m in turn.movie_ids],
        }
        for d in dialogues
        for index, turn in enumerate(d.turns)
    ]


def find_dialogues(path: Path) -> Path:
    """The dialogues file in a ReDial folder: the sample, or the only other *.jsonl."""
    if (path / DIALOGUES_FILE).exists():
        return path / DIALOGUES_FILE
    candidates = sorted(path.glob("*.jsonl"))
    if len(candidates) != 1:
        raise DataError(f"{path}: expected one dialogues *.jsonl file, found {[c.name for c in candidates]}")
    return candidates[0]


def import_redial(path: Path, out_dir: Path, force: bool = False) -> Report:
    if not path.is_dir():
        raise DataError(f"ReDial folder not found: {path}")
    inputs = [require_file(path / MOVIES_FILE, "ReDial movie list"), find_dialogues(path)]
    if (path / METADATA_FILE).exists():
        inputs.append(path / METADATA_FILE)
    sha = digest(inputs)
    outputs = (CATALOG_FILE, INTERACTIONS_FILE, UTTERANCES_FILE, CO_MENTIONS_FILE, POPULARITY_FILE)
    if not force and (old := up_to_date(out_dir, sha, outputs)):
        return _report_from(old)
    report = Report(source=f"redial {path}", inputs_sha256=sha)
    movies = load_movies(path / MOVIES_FILE, report)
    metadata = load_metadata(path / METADATA_FILE) if (path / METADATA_FILE).exists() else {}
    complete_titles(movies, metadata, report)
    if not metadata:
        report.notes["warning"] = f"no {METADATA_FILE}: items have titles and years only"
    dialogues = load_dialogues(inputs[1], movies, report)
    out_dir.mkdir(parents=True, exist_ok=True)
    cases = [c for d in dialogues for c in eval_cases(d)]
    report.imported = {
        "movies": write_jsonl(out_dir / CATALOG_FILE, catalog_records(movies, metadata, report)),
        "dialogues": len(dialogues),
        "turns": write_jsonl(out_dir / UTTERANCES_FILE, utterance_records(dialogues)),
        "interactions": write_jsonl(out_dir / INTERACTIONS_FILE, interaction_records(dialogues, movies)),
        "co-mentioned pairs": write_jsonl(out_dir / CO_MENTIONS_FILE, co_mention_records(dialogues)),
        "mentioned movies": write_jsonl(out_dir / POPULARITY_FILE, popularity_records(dialogues)),
    }
    report.notes["evaluation_cases"] = {
        "recommender_turns": len(cases),
        "targets": sum(len(c.targets) for c in cases),
        "targets_not_mentioned_before": sum(not b for c in cases for b in c.mentioned_before),
    }
    report.write(out_dir)
    return report


def _report_from(old: dict) -> Report:
    report = Report(source=old["source"] + " (up to date)", inputs_sha256=old["inputs_sha256"])
    report.imported = old.get("imported", {})
    for what, reasons in old.get("skipped", {}).items():
        for reason, n in reasons.items():
            report.skip(what, reason, n)
    return report


def text_cases(dialogues: Iterable[Dialogue]):
    """Every evaluation case as the dialogue model's training input: the earlier turns as
    text, the movies mentioned in them and the movies the recommender named."""
    from convrec_kit.models.dialogue.inputs import ASSISTANT, USER
    from convrec_kit.models.dialogue.pipeline import TextCase

    out = []
    for dialogue in dialogues:
        for case in eval_cases(dialogue):
            mentioned = dict.fromkeys(m for t in case.context for m in t.movie_ids)
            out.append(TextCase(
                dialogue.dialogue_id,
                tuple((USER if t.role == "user" else ASSISTANT, t.text) for t in case.context),
                tuple(item_id(m) for m in mentioned),
                tuple(item_id(m) for m in case.targets),
            ))
    return out
