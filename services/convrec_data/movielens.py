"""MovieLens (ml-latest-small layout): movies, tags and timestamped ratings, and links to a
ReDial catalog by normalised title + year and by IMDb id."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
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
from .titles import display_title, split_title_year, title_keys

ITEM_PREFIX = "ml-"
USER_PREFIX = "ml-"
TAGS_FILE = "tags.jsonl"
LINKS_FILE = "redial_links.jsonl"
TOP_TAGS = 10
_GENRES = {"sci-fi": "science fiction", "children": "family", "film-noir": "film noir"}
_NOT_GENRES = {"(no genres listed)", "imax"}


def item_id(movie_id: str) -> str:
    return f"{ITEM_PREFIX}{movie_id}"


def genre_names(raw: str) -> list[str]:
    names = []
    for genre in raw.split("|"):
        genre = genre.strip().lower()
        if genre and genre not in _NOT_GENRES:
            names.append(_GENRES.get(genre, genre.replace("-", " ")))
    return list(dict.fromkeys(names))


@dataclass(frozen=True)
class Movie:
    movie_id: str
    title: str  # as in movies.csv, without the year ("Matrix, The")
    year: int | None
    genres: tuple[str, ...]


@dataclass(frozen=True)
class Rating:
    user_id: str
    movie_id: str
    value: float
    timestamp: int


def load_movies(path: Path, report: Report | None = None) -> dict[str, Movie]:
    movies: dict[str, Movie] = {}
    for line, row in read_csv(path, ("movieId", "title", "genres")):
        movie_id = (row["movieId"] or "").strip()
        if not movie_id.isdigit():
            raise DataError(f"{path}:{line}: movieId {movie_id!r} is not a number")
        if not (row["title"] or "").strip():
            report and report.skip("movies", "empty title")
            continue
        if movie_id in movies:
            report and report.skip("movies", "duplicate movieId")
            continue
        title, year = split_title_year(row["title"])
        movies[movie_id] = Movie(movie_id, title, year, tuple(genre_names(row["genres"] or "")))
    if not movies:
        raise DataError(f"{path}: no movies")
    return movies


def load_ratings(path: Path, movies: dict[str, Movie], report: Report | None = None) -> list[Rating]:
    ratings = []
    rows = read_csv(path, ("userId", "movieId", "rating", "timestamp"))
    for line, row in tqdm(rows, desc="MovieLens ratings", unit=" ratings", disable=None):
        try:
            value, stamp = float(row["rating"]), int(row["timestamp"])
        except (TypeError, ValueError):
            raise DataError(
                f"{path}:{line}: rating {row['rating']!r} or timestamp {row['timestamp']!r} is not a number"
            ) from None
        if row["movieId"] not in movies:
            report and report.skip("ratings", "movie not in movies.csv")
            continue
        if not 0.5 <= value <= 5:
            report and report.skip("ratings", "rating outside 0.5-5")
            continue
        ratings.append(Rating(row["userId"], row["movieId"], value, stamp))
    return ratings


def load_links(path: Path) -> dict[str, dict[str, str]]:
    """movieId -> {"imdb_id": "tt0114709", "tmdb_id": "862"}."""
    links = {}
    for _, row in read_csv(path, ("movieId", "imdbId", "tmdbId")):
        imdb = (row["imdbId"] or "").strip()
        links[row["movieId"]] = {
            "imdb_id": f"tt{int(imdb):07d}" if imdb.isdigit() else "",
            "tmdb_id": (row["tmdbId"] or "").strip(),
        }
    return links


def load_tags(path: Path, movies: dict[str, Movie], report: Report | None = None) -> list[dict]:
    tags = []
    for _, row in read_csv(path, ("userId", "movieId", "tag", "timestamp")):
        tag = " ".join((row["tag"] or "").split())
        if row["movieId"] not in movies:
            report and report.skip("tags", "movie not in movies.csv")
            continue
        if not tag:
            report and report.skip("tags", "empty tag")
            continue
        tags.append(
            {
                "user_id": f"{USER_PREFIX}{row['userId']}",
                "item_id": item_id(row["movieId"]),
                "tag": tag,
                "timestamp": int(row["timestamp"]) if (row["timestamp"] or "").isdigit() else None,
            }
        )
    return tags


def catalog_records(movies: dict[str, Movie], links: dict[str, dict], tags: list[dict]) -> list[dict]:
    by_item: dict[str, Counter] = defaultdict(Counter)
    for tag in tags:
        by_item[tag["item_id"]][tag["tag"].lower()] += 1
    records = []
    for movie_id in sorted(movies, key=int):
        movie = movies[movie_id]
        top = [t for t, _ in sorted(by_item[item_id(movie_id)].items(), key=lambda x: (-x[1], x[0]))][:TOP_TAGS]
        attributes = {**{k: v for k, v in links.get(movie_id, {}).items() if v}, "tags": ", ".join(top)}
        records.append(
            {
                "item_id": item_id(movie_id),
                "title": display_title(movie.title),
                "description": "",
                "categories": ["movie", *movie.genres],
                "attributes": {k: v for k, v in attributes.items() if v},
                "numeric": {"year": movie.year} if movie.year else {},
                "external_id": movie_id,
            }
        )
    return records


def rating_records(ratings: list[Rating]) -> list[dict]:
    ordered = sorted(ratings, key=lambda r: (int(r.user_id), r.timestamp, int(r.movie_id)))
    return [
        {
            "user_id": f"{USER_PREFIX}{r.user_id}",
            "item_id": item_id(r.movie_id),
            "event": "rate",
            "value": r.value,
            "timestamp": r.timestamp,
        }
        for r in ordered
    ]


def link_redial(
    redial_catalog: Path, movies: dict[str, Movie], links: dict[str, dict], report: Report
) -> list[dict]:
    """ReDial items matched to MovieLens movies: by IMDb id first, then by title + year."""
    by_imdb = {v["imdb_id"]: m for m, v in links.items() if v.get("imdb_id") and m in movies}
    by_title: dict[tuple[str, int], list[str]] = defaultdict(list)
    for movie in movies.values():
        if movie.year:
            for key in title_keys(movie.title):
                by_title[(key, movie.year)].append(movie.movie_id)
    matched, methods, total = [], Counter(), 0
    for line, record in read_jsonl(redial_catalog):
        if "item_id" not in record or "title" not in record:
            raise DataError(f"{redial_catalog}:{line}: not a catalog item (needs item_id and title)")
        total += 1
        imdb = (record.get("attributes") or {}).get("imdb_id", "")
        year = (record.get("numeric") or {}).get("year")
        by_id = by_imdb.get(imdb) if imdb else None
        by_name = None
        if year:
            for key in sorted(title_keys(record["title"])):
                if by_title.get((key, int(year))):
                    by_name = by_title[(key, int(year))][0]
                    break
        if by_id and by_name:
            methods["imdb id and title+year" if by_id == by_name else "imdb id (title+year disagrees)"] += 1
        elif by_id:
            methods["imdb id only"] += 1
        elif by_name:
            methods["title+year only"] += 1
        else:
            report.skip("redial links", "no MovieLens movie with this IMDb id or title+year")
            continue
        ml_id = by_id or by_name
        matched.append(
            {
                "redial_item_id": record["item_id"],
                "item_id": item_id(ml_id),
                "method": "imdb_id" if by_id else "title_year",
            }
        )
    report.notes["redial_match"] = {
        "redial_items": total,
        "matched": len(matched),
        "match_rate": round(len(matched) / total, 4) if total else 0.0,
        "by_method": dict(sorted(methods.items())),
    }
    return matched


def import_movielens(path: Path, out_dir: Path, redial_catalog: Path | None = None, force: bool = False) -> Report:
    if not path.is_dir():
        raise DataError(f"MovieLens folder not found: {path}")
    names = ("movies.csv", "ratings.csv", "tags.csv", "links.csv")
    inputs = [require_file(path / n, f"MovieLens {n}") for n in names[:2]]
    inputs += [path / n for n in names[2:] if (path / n).exists()]
    if redial_catalog is not None:
        inputs.append(require_file(redial_catalog, "ReDial catalog"))
    sha = digest(inputs)
    outputs = [CATALOG_FILE, INTERACTIONS_FILE, TAGS_FILE] + ([LINKS_FILE] if redial_catalog else [])
    if not force and (old := up_to_date(out_dir, sha, outputs)):
        report = Report(source=old["source"] + " (up to date)", inputs_sha256=sha)
        report.imported = old.get("imported", {})
        report.notes = {k: old[k] for k in ("redial_match",) if k in old}
        return report
    report = Report(source=f"movielens {path}", inputs_sha256=sha)
    movies = load_movies(path / "movies.csv", report)
    links = load_links(path / "links.csv") if (path / "links.csv").exists() else {}
    tags = load_tags(path / "tags.csv", movies, report) if (path / "tags.csv").exists() else []
    ratings = load_ratings(path / "ratings.csv", movies, report)
    out_dir.mkdir(parents=True, exist_ok=True)
    report.imported = {
        "movies": write_jsonl(out_dir / CATALOG_FILE, catalog_records(movies, links, tags)),
        "ratings": write_jsonl(out_dir / INTERACTIONS_FILE, rating_records(ratings)),
        "tags": write_jsonl(out_dir / TAGS_FILE, tags),
    }
    report.notes["users"] = len({r.user_id for r in ratings})
    if redial_catalog is not None:
        report.imported["redial links"] = write_jsonl(
            out_dir / LINKS_FILE, link_redial(redial_catalog, movies, links, report)
        )
    report.write(out_dir)
    return report
