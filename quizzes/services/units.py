"""Loading the official unit hierarchy (province -> district -> school -> class) from CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from quizzes.models import Unit

REQUIRED_COLUMNS = ("code", "name", "level", "parent_code")
# Optional: the unit's expected headcount (a whole number; empty clears it). A file without the
# column leaves the stored headcounts as they are.
HEADCOUNT_COLUMN = "headcount"
HEADCOUNT_MAX = 10_000_000


@dataclass
class UnitImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, message)

    @property
    def ok(self) -> bool:
        return not self.errors


def units_import_csv(*, text: str) -> UnitImportReport:
    """Create or update units from CSV text; bad rows are reported by line and skipped.

    Rows may come in any order: a child may precede its parent in the file.
    """
    report = UnitImportReport()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        report.errors.append((1, _("Missing columns: %(cols)s") % {"cols": ", ".join(missing)}))
        return report

    has_headcount = HEADCOUNT_COLUMN in (reader.fieldnames or [])
    columns = REQUIRED_COLUMNS + ((HEADCOUNT_COLUMN,) if has_headcount else ())

    rows: dict[str, tuple[int, dict[str, str]]] = {}
    for row in reader:
        line = reader.line_num
        values = {k: (row.get(k) or "").strip() for k in columns}
        if not any(values.values()):
            continue
        if has_headcount and _headcount(values[HEADCOUNT_COLUMN]) is False:
            report.errors.append(
                (
                    line,
                    _("Headcount “%(value)s” is not a whole number from 0 to %(max)s.")
                    % {"value": values[HEADCOUNT_COLUMN], "max": HEADCOUNT_MAX},
                )
            )
        elif not values["code"] or not values["name"]:
            report.errors.append((line, _("Code and name are required.")))
        elif values["level"] not in Unit.Level.values:
            report.errors.append(
                (
                    line,
                    _("Unknown level “%(level)s”: use province, district, school or class.")
                    % {"level": values["level"]},
                )
            )
        elif values["code"] in rows:
            report.errors.append(
                (
                    line,
                    _("Code %(code)s already appears on line %(other)s.")
                    % {"code": values["code"], "other": rows[values["code"]][0]},
                )
            )
        else:
            rows[values["code"]] = (line, values)

    existing = {u.code: u for u in Unit.objects.all()}
    levels = {code: values["level"] for code, (_line, values) in rows.items()}
    levels.update({code: u.level for code, u in existing.items() if code not in levels})

    def parent_problem(values: dict[str, str]) -> str | None:
        parent_code = values["parent_code"]
        if values["level"] == Unit.Level.PROVINCE:
            return _("A province has no parent.") if parent_code else None
        if not parent_code:
            return _("A %(level)s needs a parent.") % {"level": values["level"]}
        if parent_code not in levels:
            return _("Unknown parent code %(code)s.") % {"code": parent_code}
        if Unit.CHILD_LEVEL.get(levels[parent_code]) != values["level"]:
            return _("A %(level)s cannot sit under a %(parent)s.") % {
                "level": values["level"],
                "parent": levels[parent_code],
            }
        return None

    valid: dict[str, dict[str, str]] = {}
    for code, (line, values) in rows.items():
        problem = parent_problem(values)
        if problem:
            report.errors.append((line, problem))
        else:
            valid[code] = values
    # A row whose parent row was itself invalid cannot be placed either.
    changed = True
    while changed:
        changed = False
        for code, values in list(valid.items()):
            parent = values["parent_code"]
            if parent and parent not in valid and parent not in existing:
                line = rows[code][0]
                report.errors.append(
                    (line, _("Parent %(code)s was rejected above.") % {"code": parent})
                )
                del valid[code]
                changed = True

    order = ["province", "district", "school", "class"]
    with transaction.atomic():
        units = dict(existing)
        for code, values in sorted(valid.items(), key=lambda kv: order.index(kv[1]["level"])):
            parent = units.get(values["parent_code"]) if values["parent_code"] else None
            unit = units.get(code)
            headcount = (
                _headcount(values[HEADCOUNT_COLUMN])
                if has_headcount
                else (unit.headcount if unit else None)
            )
            if unit is None:
                units[code] = Unit.objects.create(
                    code=code,
                    name=values["name"],
                    level=values["level"],
                    parent=parent,
                    headcount=headcount,
                )
                report.created += 1
            elif (unit.name, unit.level, unit.parent_id, unit.headcount) != (
                values["name"],
                values["level"],
                parent.id if parent else None,
                headcount,
            ):
                unit.name, unit.level, unit.parent = values["name"], values["level"], parent
                unit.headcount = headcount
                unit.save()
                report.updated += 1
            else:
                report.unchanged += 1
    report.errors.sort()
    return report


def _headcount(raw: str) -> int | None | bool:
    """The headcount cell as a number, None when empty, False when it is not a valid count."""
    raw = raw.replace(" ", "").replace("\u00a0", "")
    if not raw:
        return None
    if not raw.isascii() or not raw.isdigit() or int(raw) > HEADCOUNT_MAX:
        return False
    return int(raw)
