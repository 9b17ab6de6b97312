"""Small ReDial and MovieLens folders written for tests, in the real files' formats."""

from __future__ import annotations

import json
from pathlib import Path

from convrec_kit.settings import REPO_ROOT

# Real data for development and CI (see tests/conftest.py); tests using it skip without it.
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"

REDIAL_MOVIES = """movieId,movieName
100,The Shining  (1980)
101,It Follows (2014)
102,The Babadook (2014)
103,Matrix Revisited
104, (2015)
105,The Matrix (1999)
"""
REDIAL_METADATA = {
    "100": {"name": "The Shining (1980)", "genre": ["horror", "drama"], "plot": "A writer goes mad.",
            "director": ["Stanley Kubrick"], "writer": ["Stephen King"], "star": ["Jack Nicholson", "Shelley Duvall"],
            "imdb_id": "tt0081505"},
    "105": {"name": "The Matrix (1999)", "genre": ["action", "sci-fi"], "plot": "A hacker learns the truth.",
            "director": ["Lana Wachowski", "Lilly Wachowski"], "writer": [], "star": ["Keanu Reeves"],
            "imdb_id": "tt0133093"},
    "999": {"name": "Not Listed (2000)", "genre": [], "plot": "", "director": [], "writer": [], "star": [],
            "imdb_id": ""},
}


def message(sender: int, text: str) -> dict:
    return {"senderWorkerId": sender, "text": text}


REDIAL_DIALOGUES = [
    {
        "conversationId": "1",
        "initiatorWorkerId": 7,
        "respondentWorkerId": 8,
        "movieMentions": {"100": "The Shining  (1980)", "101": "It Follows (2014)", "102": "The Babadook (2014)"},
        "initiatorQuestions": {
            "102": {"suggested": 0, "seen": 1, "liked": 1},
            "100": {"suggested": 1, "seen": 1, "liked": 0},
            "101": {"suggested": 1, "seen": 0, "liked": 2},
        },
        "respondentQuestions": {"102": {"suggested": 0, "seen": 1, "liked": 1}},
        "messages": [
            message(8, "Hi, what do you like?"),
            message(7, "I want a horror movie like @102"),
            message(7, "something scary"),
            message(8, "Try @100"),
            message(8, "or @101 and @100"),
            message(7, "I did not like @100"),
            message(8, "Then @101"),
        ],
    },
    {
        "conversationId": "2",
        "initiatorWorkerId": 9,
        "respondentWorkerId": 8,
        "movieMentions": {"105": "The Matrix (1999)"},
        "initiatorQuestions": [],
        "respondentQuestions": {"105": {"suggested": 1, "seen": 0, "liked": 1}},
        "messages": [
            message(9, "Any sci-fi?"),
            message(8, "@105 is great"),
            message(9, "thanks, and @104?"),
            message(8, "@104 too"),
        ],
    },
]


def write_redial(folder: Path, dialogues: list[dict] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "movies.csv").write_text(REDIAL_MOVIES)
    (folder / "movie_metadata.json").write_text(json.dumps(REDIAL_METADATA))
    with (folder / "train_sample_1000.jsonl").open("w") as handle:
        for dialogue in dialogues or REDIAL_DIALOGUES:
            handle.write(json.dumps(dialogue) + "\n")
    return folder


ML_MOVIES = """movieId,title,genres
1,"Matrix, The (1999)",Action|Sci-Fi|Thriller
2,Seven (a.k.a. Se7en) (1995),Mystery|Thriller
3,"Shining, The (1980)",Horror
4,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy
5,Babadook (2014),Drama|Horror
"""
ML_RATINGS = """userId,movieId,rating,timestamp
1,1,4.0,100
1,2,5.0,200
1,3,3.5,300
2,1,5.0,150
2,4,4.0,160
2,99,4.0,170
3,5,9.0,180
3,3,2.0,190
"""
ML_TAGS = """userId,movieId,tag,timestamp
1,1,cyberpunk,100
2,1,Cyberpunk,101
2,4,pixar,102
1,3,  ,103
"""
ML_LINKS = """movieId,imdbId,tmdbId
1,0133093,603
2,0114369,807
3,0081505,694
4,0114709,862
5,9999999,
"""


def write_movielens(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (("movies.csv", ML_MOVIES), ("ratings.csv", ML_RATINGS), ("tags.csv", ML_TAGS),
                       ("links.csv", ML_LINKS)):
        (folder / name).write_text(text)
    return folder
