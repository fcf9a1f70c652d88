"""Loading the official unit hierarchy (province -> district -> school -> class) from CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from quizzes.models import Unit

REQUIRED_COLUMNS = ("code", "name", "level", "parent_code")


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

    rows: dict[str, tuple[int, dict[str, str]]] = {}
    for row in reader:
        line = reader.line_num
        values = {k: (row.get(k) or "").strip() for k in REQUIRED_COLUMNS}
        if not any(values.values()):
            continue
        if not values["code"] or not values["name"]:
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
            if unit is None:
                units[code] = Unit.objects.create(
                    code=code, name=values["name"], level=values["level"], parent=parent
                )
                report.created += 1
            elif (unit.name, unit.level, unit.parent_id) != (
                values["name"],
                values["level"],
                parent.id if parent else None,
            ):
                unit.name, unit.level, unit.parent = values["name"], values["level"], parent
                unit.save()
                report.updated += 1
            else:
                report.unchanged += 1
    report.errors.sort()
    return report
