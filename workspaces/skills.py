"""The skills JSON as the board page polls it: each skill's queue now (`skills/activity`, every
poll interval) with today's figures beside it (`skills/summary` from the local day's start,
once a minute), encoded once per pair of versions, with an ETag of its own (304) and gzip.

"Today" is the local day of the zone the portal renders in for the request (the user's pick,
else the portal's `TIME_ZONE`), so the summary is cached per day: a new day is a new read, never
yesterday's figures under today's name.
"""
import hashlib
import json
from datetime import datetime

from .resources import Served, encode


def day_start(now, zone):
    """Midnight of the day `now` (epoch seconds) falls on in `zone` (a tzinfo)."""
    return datetime.fromtimestamp(now, tz=zone).replace(hour=0, minute=0, second=0, microsecond=0)


def with_today(skills, summaries):
    """Each skill of the activity body with its summary row (or None) as `today`."""
    today = {row["skillId"]: row for row in summaries}
    return {**skills, "skills": [{**skill, "today": today.get(skill["skillId"])} for skill in skills["skills"]]}


def combined(resources, skills, summary, summary_room, summary_of, *, if_none_match=None):
    """One answer from the versions of both (`skills` served from `resources`, `summary` from
    `summary_room`): 304 for the pair the browser has; the stored bytes for a pair already
    encoded; else encoded now, once, for every poll after."""
    tag = f"v{skills.version}.{summary.version if summary.error is None else 0}"
    if summary_room.scope != resources.scope:  # today's figures from another scope than the queues: its own tag
        tag += "." + hashlib.sha256(summary_room.scope.encode()).hexdigest()[:8]
    if if_none_match == f'"{tag}"':
        return Served(version=skills.version, age=skills.age, not_modified=True, tag=tag)
    key = resources.key("skills-today", "body")
    stored = resources.cache.get(key)
    if stored is None or stored["tag"] != tag:
        stored = _encode(resources, tag, summary, summary_room, summary_of)
        if stored is None:
            return Served(error=resources.body("skills").error)
        resources.cache.set(key, stored, resources.meta("skills").keep)
    return Served(version=skills.version, body=stored["raw"], gz=stored["gz"], age=skills.age, tag=tag)


def _encode(resources, tag, summary, summary_room, summary_of):
    skills = resources.body("skills")
    if skills.error is not None:
        return None
    summaries = []
    if summary.error is None:
        body = summary_room.body(summary_of)
        summaries = json.loads(body.body)["summaries"] if body.error is None else []
    raw, gz = encode(with_today(json.loads(skills.body), summaries))
    return {"tag": tag, "raw": raw, "gz": gz}


def summary_name(start):
    """The cache name of the summary of the local day starting at `start` (an aware datetime)."""
    return f"skill-summary:{start.isoformat()}"
