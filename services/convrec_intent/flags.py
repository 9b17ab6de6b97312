"""Turn flags: seen, additive, more (paging), demonstrative and similar-to references."""

from __future__ import annotations

import re

from convrec.intent.v1 import intent_pb2

TF = intent_pb2.TurnFlag
_REFERENT = r"(?:that|this|it|those|these|them|the\s+(?:\w+\s+)?(?:one|movie|film|book|item|pick))"
_PATTERNS = {
    TF.TURN_FLAG_SEEN: re.compile(
        r"\b(?:seen|watched|saw)\b|\b(?:i'?ve|have|already|had)\s+(?:already\s+)?(?:read|bought|got)\b"
        r"|\bread (?:it|that|this)\b|\bown (?:it|that|this)\b|看过|读过|看了|买过|已经有"
    ),
    TF.TURN_FLAG_ADDITIVE: re.compile(r"\b(?:also|too|as well|plus)\b|也要|也行|还要|再加|另外加"),
    TF.TURN_FLAG_MORE: re.compile(
        r"\b(?:show|give|get|got|have|any|some)\s+(?:me\s+)?(?:some\s+)?more\b(?!\s+(?:like|similar|than))"
        r"|^\W*(?:more|next|others?|other ones|again)\W*$|\bmore,? please\b|\bkeep (?:them|it) coming\b"
        r"|\bmore (?:options|suggestions|ideas|picks|recommendations|ones|titles|of (?:those|these|them))\b"
        r"|\b(?:other|different|new|else)\s+(?:ones|options|picks|suggestions|titles|movies|films|books)\b"
        r"|\b(?:something|anything|what)\s+else\b|\bnext (?:page|ones?|batch|few)\b"
        r"|\banother (?:batch|set|round|list|page|few)\b|\bany others\b"
        r"|换一批|换一些|换几[部本个件]|再来[几一][部本个件些点]?|再推荐几|再给我几|还有(?:别的|其他|吗|没有)"
        r"|别的|其他的|下一批|更多"
    ),
    TF.TURN_FLAG_DEMONSTRATIVE: re.compile(
        r"\b(?:that|this) (?:one|movie|film|book|item|show)\b|\bthe (?:latter|former)\b"
        r"|这部|那部|这本|那本|这个|那个|这件|那件|这一部|那一部"
    ),
    TF.TURN_FLAG_SIMILAR: re.compile(
        r"\b(?:more|something|anything|ones?|others?|stuff|films?|movies?|books?|items?|picks?)\s+"
        rf"(?:like|similar to)\s+{_REFERENT}\b|\bsimilar to\s+{_REFERENT}\b|\bin the same vein\b"
        r"|(?:类似|像|和|跟)(?:这|那|第|它|上面)[^，。？！]{0,6}(?:类似|一样|相似|差不多|的)"
        r"|(?:类似|像)(?:这|那|第)"
    ),
}


def detect(utterance: str) -> list[int]:
    """The flags an utterance carries, in enum order."""
    return scan(utterance)[0]


def scan(utterance: str) -> tuple[list[int], list[tuple[int, int]]]:
    """The flags and the character spans that carry them (not search keywords)."""
    text = utterance.lower()
    found, spans = [], []
    for flag, pattern in _PATTERNS.items():
        matches = [m.span() for m in pattern.finditer(text)]
        if matches:
            found.append(flag)
            spans += matches
    return found, spans
