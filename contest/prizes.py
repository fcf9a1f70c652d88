"""Prize tiers: which prize a place earns. Pure functions (no ORM), the one home of the rule.

A tier is {"places": n, "name_vi": ..., "name_en": ...}; tiers are listed best first and each
covers the next `places` places: [1 x "Giải Nhất", 2 x "Giải Nhì"] gives rank 1 the first prize
and ranks 2-3 the second. Ranks are competition ranks (1, 2, 2, 4), so people who tie share the
prize of their rank.
"""

from __future__ import annotations

from typing import Any

MAX_TIERS = 10
MAX_NAME = 80


def award_for_rank(rank: int | None, tiers: list[Any], score: int | None = None) -> Any | None:
    """The tier a rank earns (None: no prize). Tiers are dicts (a ceremony's) or PrizeTier rows
    (a round's, for certificates). A result without points never wins a prize."""
    if not rank or rank < 1 or (score is not None and score <= 0):
        return None
    last = 0
    for tier in tiers:
        places = tier.get("places") if isinstance(tier, dict) else tier.places
        last += int(places or 0)
        if rank <= last:
            return tier
    return None


def tier_names(tier: dict[str, Any] | None) -> dict[str, str] | None:
    """A tier's name in both languages (English falls back to Vietnamese)."""
    if tier is None:
        return None
    return {"vi": tier["name_vi"], "en": tier.get("name_en") or tier["name_vi"]}


def clean_tiers(raw: Any) -> list[dict[str, Any]]:
    """Tiers as stored: each with a positive number of places and a Vietnamese name. Raises
    ValueError (with a short reason) on anything else."""
    if not isinstance(raw, list) or len(raw) > MAX_TIERS:
        raise ValueError("tiers")
    out = []
    for item in raw:
        if not isinstance(item, dict):
            raise ValueError("tiers")
        places = item.get("places")
        name_vi = str(item.get("name_vi") or "").strip()
        name_en = str(item.get("name_en") or "").strip()
        if not isinstance(places, int) or isinstance(places, bool) or not 1 <= places <= 1000:
            raise ValueError("places")
        if not name_vi or len(name_vi) > MAX_NAME or len(name_en) > MAX_NAME:
            raise ValueError("name")
        out.append({"places": places, "name_vi": name_vi, "name_en": name_en})
    return out


def parse_tiers_text(text: str) -> list[dict[str, Any]]:
    """The console's tier box, one tier a line: "places | Vietnamese name | English name"."""
    rows = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        try:
            places = int(parts[0])
        except ValueError as exc:
            raise ValueError("places") from exc
        rows.append(
            {
                "places": places,
                "name_vi": parts[1] if len(parts) > 1 else "",
                "name_en": parts[2] if len(parts) > 2 else "",
            }
        )
    return clean_tiers(rows)


def tiers_text(tiers: list[dict[str, Any]]) -> str:
    return "\n".join(f"{t['places']} | {t['name_vi']} | {t.get('name_en', '')}" for t in tiers)


DEFAULT_TIERS = [
    {"places": 1, "name_vi": "Giải Nhất", "name_en": "First prize"},
    {"places": 2, "name_vi": "Giải Nhì", "name_en": "Second prize"},
    {"places": 3, "name_vi": "Giải Ba", "name_en": "Third prize"},
    {"places": 4, "name_vi": "Giải Khuyến khích", "name_en": "Honourable mention"},
]
