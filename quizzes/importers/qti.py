"""IMS QTI 2.1: item packages (a zip with imsmanifest.xml and one assessmentItem file per
question, as Canvas, Moodle's QTI plugin, TAO and Onyx exchange them) or one bare item file.

| QTI 2.1 interaction | CitizenQuiz |
|---|---|
| choiceInteraction, one right choice | single (two choices True/False or Đúng/Sai: truefalse) |
| choiceInteraction, cardinality multiple | multi (weights from the mapping, else equal shares) |
| choiceInteraction with no correct response | poll |
| orderInteraction | order (choices in the correct order) |
| textEntryInteraction, baseType string | text (correct values and mapped keys accepted) |
| textEntryInteraction, baseType float/integer | numeric (tolerance from `<equal tolerance>`) |
| no interaction | slide |

Other interactions (essay, match, gap match, hotspot, …) are reported by name. XML is parsed with
defusedxml (no entities, no external DTDs); the zip is checked by `archives.check_zip`.
"""

from __future__ import annotations

import copy
import posixpath
from xml.etree.ElementTree import Element, tostring

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeTree
from django.utils.translation import gettext as _

from quizzes.importers.archives import ArchiveError, check_zip, is_zip, read_entry, safe_name
from quizzes.importers.common import (
    ParsedQuestion,
    ParseResult,
    content_hash,
    html_to_text,
    localise,
    number,
)

TOOL_NAME = "CitizenQuiz"  # our own exports: the title is the uid, texts are exact
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
SUPPORTED = {"choiceInteraction", "orderInteraction", "textEntryInteraction"}
UNSUPPORTED = {
    "extendedTextInteraction", "matchInteraction", "associateInteraction",
    "gapMatchInteraction", "inlineChoiceInteraction", "hottextInteraction",
    "hotspotInteraction", "graphicOrderInteraction", "graphicAssociateInteraction",
    "graphicGapMatchInteraction", "selectPointInteraction", "positionObjectInteraction",
    "sliderInteraction", "uploadInteraction", "drawingInteraction", "mediaInteraction",
    "customInteraction", "endAttemptInteraction",
}  # fmt: skip
TRUE_FALSE = {("true", "false"), ("đúng", "sai")}
GAP = "_____"


class ItemError(ValueError):
    pass


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _strip_namespaces(root: Element) -> Element:
    for element in root.iter():
        element.tag = _local(element.tag)
    return root


def _xml(data: bytes) -> Element:
    """Parse untrusted XML: entities and DTD tricks are refused (ItemError, translated)."""
    try:
        return SafeTree.fromstring(data)
    except DefusedXmlException as exc:
        raise ItemError(_("This XML file uses features we refuse to read (entities).")) from exc
    except SafeTree.ParseError as exc:
        raise ItemError(_("This is not well-formed XML: %(error)s") % {"error": exc}) from exc


def parse(content: bytes, language: str = "auto") -> ParseResult:
    """Questions of a QTI 2.1 package (zip) or of one assessmentItem XML file."""
    result = ParseResult()
    if not is_zip(content):
        _item_into(result, content, "", language)
        return result
    try:
        archive = check_zip(content)
        names = {safe_name(n): n for n in archive.namelist()}
        manifests = sorted((n for n in names if n and n.endswith("imsmanifest.xml")), key=len)
        if not manifests:
            result.reject(
                None, "", _("A QTI package has an imsmanifest.xml file; this zip has none.")
            )
            return result
        manifest_path = manifests[0]
        try:
            manifest = _strip_namespaces(_xml(read_entry(archive, names[manifest_path])))
        except ItemError as exc:
            result.reject(None, "imsmanifest.xml", str(exc))
            return result
        base = posixpath.dirname(manifest_path)
        hrefs = []
        for resource in manifest.iter("resource"):
            kind = (resource.get("type") or "").lower()
            if not kind.startswith("imsqti_item"):
                continue
            href = resource.get("href") or next(
                (f.get("href") for f in resource.iter("file") if f.get("href")), ""
            )
            if href:
                hrefs.append(href)
        if not hrefs:
            result.reject(
                None, "imsmanifest.xml", _("The manifest lists no QTI items (assessmentItem).")
            )
            return result
        for href in hrefs:
            path = safe_name(posixpath.join(base, href)) if not href.startswith("/") else None
            if path is None:
                result.reject(
                    None,
                    href[:100],
                    _("The zip file holds an unsafe path: %(name)s") % {"name": href[:100]},
                )
                continue
            if path not in names:
                result.reject(
                    None, href[:100], _("The manifest names a file the zip does not hold.")
                )
                continue
            _item_into(result, read_entry(archive, names[path]), path, language)
    except ArchiveError as exc:
        result.reject(None, "", exc.message)
    return result


def _item_into(result: ParseResult, data: bytes, path: str, language: str) -> None:
    try:
        root = _strip_namespaces(_xml(data))
        if root.tag == "questestinterop":
            raise ItemError(_("This is QTI 1.2: export the questions as QTI 2.1 instead."))
        if root.tag != "assessmentItem":
            raise ItemError(
                _("A QTI item starts with <assessmentItem>, not <%(tag)s>.") % {"tag": root.tag}
            )
        name = root.get("title") or root.get("identifier") or path
        parsed = _item(root, name[:255], language)
    except ItemError as exc:
        result.reject(None, path or "", str(exc))
        return
    except Exception:  # a shape we did not foresee: this item only
        result.reject(None, path or "", _("This question could not be read."))
        return
    result.questions.append(parsed)


def _inner(element: Element) -> str:
    return (element.text or "") + "".join(tostring(c, encoding="unicode") for c in element)


def _text(element: Element | None, exact: bool) -> str:
    if element is None:
        return ""
    if exact:
        return "".join(element.itertext()).strip()
    return html_to_text(_inner(element))


def _without(element: Element, tag: str) -> Element:
    """A copy of element without its `tag` descendants (their tails kept)."""
    clone = copy.deepcopy(element)
    for parent in list(clone.iter()):
        for index in range(len(parent) - 1, -1, -1):
            child = parent[index]
            if child.tag == tag:
                tail = child.tail or ""
                if index:
                    parent[index - 1].tail = (parent[index - 1].tail or "") + tail
                else:
                    parent.text = (parent.text or "") + tail
                del parent[index]
    return clone


def _question_text(body: Element, exact: bool) -> str:
    """The item body as text: an interaction becomes its prompt, or a gap when inline."""
    body = copy.deepcopy(body)
    parents = {child: parent for parent in body.iter() for child in parent}
    for interaction in [e for e in body.iter() if e.tag.endswith("Interaction")]:
        parent = parents[interaction]
        prompt = _text(interaction.find("prompt"), exact)
        alone = (
            not (parent.text or "").strip()
            and all(c is interaction or not "".join(c.itertext()).strip() for c in parent)
            and not (interaction.tail or "").strip()
        )
        inline = not (alone or parent is body or prompt)
        replacement = Element("span" if inline else "div")
        replacement.text = GAP if inline else prompt
        replacement.tail = interaction.tail
        parent[list(parent).index(interaction)] = replacement
    if exact:
        parts = [p for p in ("".join(c.itertext()).strip() for c in body) if p]
        return "\n".join(parts) if len(body) else (body.text or "").strip()
    return html_to_text(_inner(body))


def _item(root: Element, name: str, language: str) -> ParsedQuestion:
    ours = root.get("toolName") == TOOL_NAME
    body = root.find("itemBody")
    if body is None:
        raise ItemError(_("The item has no <itemBody>."))
    interactions = [e for e in body.iter() if e.tag.endswith("Interaction")]
    for interaction in interactions:
        if interaction.tag not in SUPPORTED:
            raise ItemError(
                _("QTI “%(type)s” questions are not supported.") % {"type": interaction.tag}
            )
    if len(interactions) > 1:
        raise ItemError(_("Items with several interactions are not supported."))
    data: dict = {"text": _question_text(body, ours)}
    explanation = "\n".join(t for t in (_text(m, ours) for m in root.findall("modalFeedback")) if t)
    if explanation:
        data["explanation"] = explanation
    if not interactions:
        data.update(type="slide", points=0)
    else:
        interaction = interactions[0]
        declaration = next(
            (
                d
                for d in root.findall("responseDeclaration")
                if d.get("identifier") == interaction.get("responseIdentifier")
            ),
            None,
        )
        if declaration is None:
            raise ItemError(_("The interaction has no response declaration."))
        correct = [(v.text or "").strip() for v in declaration.findall("correctResponse/value")]
        mapping = [
            (entry.get("mapKey") or "", number(entry.get("mappedValue") or "0") or 0,
             (entry.get("caseSensitive") or "true").lower() == "true")
            for entry in declaration.findall("mapping/mapEntry")
        ]  # fmt: skip
        if interaction.tag == "textEntryInteraction":
            _typed(data, root, declaration, correct, mapping)
        else:
            _choices(data, interaction, declaration, correct, mapping, ours)
    lang = (root.get(XML_LANG) or "")[:2].lower()
    if language == "auto" and lang in ("vi", "en"):
        language = lang
    localise(data, language)
    identity = content_hash(data)
    identifier = root.get("identifier") or "qti"
    data["uid"] = (root.get("title") or identifier) if ours else f"{identifier[:200]}#{identity}"
    return ParsedQuestion(None, name, data)


def _choices(data, interaction, declaration, correct, mapping, ours) -> None:
    choices = []
    for choice in interaction.iter("simpleChoice"):
        item: dict = {"id": choice.get("identifier") or "",
                      "text": _text(_without(choice, "feedbackInline"), ours)}  # fmt: skip
        feedback = " ".join(t for t in (_text(f, ours) for f in choice.iter("feedbackInline")) if t)
        if feedback:
            item["feedback"] = feedback
        choices.append(item)
    ids = [c["id"] for c in choices]
    for value in correct:
        if value not in ids:
            raise ItemError(
                _("The correct response “%(value)s” is not one of the choices.") % {"value": value}
            )
    if interaction.tag == "orderInteraction":
        if sorted(correct) != sorted(ids):
            raise ItemError(_("An ordering question needs the correct order of all its choices."))
        by_id = {c["id"]: c for c in choices}
        choices = [by_id[i] for i in correct]
        data["type"] = "order"
        weights = [0.0] * len(choices)
    else:
        values = {key: value for key, value, _case in mapping}
        multiple = declaration.get("cardinality") == "multiple"
        right = [i for i, c in enumerate(choices) if c["id"] in correct]
        if not right and not any(v > 0 for v in values.values()):
            data["type"] = "poll"
            weights = [0.0] * len(choices)
        elif multiple:
            data["type"] = "multi"
            if values:
                raw = [float(values.get(c["id"], 0)) for c in choices]
                positive = sum(v for v in raw if v > 0) or 1.0
                if abs(positive - 1.0) < 0.001:  # already shares of 1 (33.33333% thirds)
                    positive = 1.0
                weights = [max(-1.0, v / positive) for v in raw]
            else:
                share = 1 / len(right)
                weights = [share if i in right else 0.0 for i in range(len(choices))]
        else:
            if len(right) != 1:
                raise ItemError(_("A single-answer question needs exactly one correct response."))
            weights = [1.0 if i in right else 0.0 for i in range(len(choices))]
            texts = tuple(c["text"].strip().lower() for c in choices)
            if len(choices) == 2 and (texts in TRUE_FALSE or texts[::-1] in TRUE_FALSE):
                data["type"] = "truefalse"
                for choice in choices:
                    choice["text"] = (
                        {"vi": "Đúng", "en": "True"}
                        if choice["text"].strip().lower() in ("true", "đúng")
                        else {"vi": "Sai", "en": "False"}
                    )
            else:
                data["type"] = "single"
    data["choices"] = []
    for choice, weight in zip(choices, weights, strict=True):
        item = {"text": choice["text"], "weight": round(weight, 7)}
        if choice.get("feedback"):
            item["feedback"] = choice["feedback"]
        data["choices"].append(item)


def _tolerance(root: Element, value: float) -> tuple[float, float]:
    for equal in root.iter("equal"):
        mode = (equal.get("toleranceMode") or "exact").lower()
        parts = [number(p) for p in (equal.get("tolerance") or "0").split()]
        if mode == "exact" or not parts or any(p is None for p in parts):
            return 0, 0
        low, high = parts[0], parts[-1]
        if mode == "relative":  # percent of the correct value
            return abs(value) * low / 100, abs(value) * high / 100
        return abs(low), abs(high)
    return 0, 0


def _clean(value: float):
    return number(repr(round(value, 9)))


def _typed(data, root, declaration, correct, mapping) -> None:
    kind = (declaration.get("baseType") or "string").lower()
    if kind in ("float", "integer"):
        if not correct or number(correct[0]) is None:
            raise ItemError(_("A numeric question needs a correct number."))
        value = number(correct[0])
        low, high = _tolerance(root, value)
        data["type"] = "numeric"
        if low == high:
            data["answer"] = {"value": value, "tolerance": _clean(low)}
        else:
            data["answer"] = {"min": _clean(value - low), "max": _clean(value + high)}
        return
    accepted = [c for c in correct if c]
    accepted += [k for k, v, _case in mapping if v > 0 and k and k not in accepted]
    if not accepted:
        raise ItemError(_("A typed-answer question needs at least one accepted answer."))
    data["type"] = "text"
    data["answer"] = {
        "accepted": accepted,
        "ignore_case": bool(mapping) and not any(case for _k, _v, case in mapping),
        "ignore_diacritics": False,
        "ignore_spaces": True,
    }
