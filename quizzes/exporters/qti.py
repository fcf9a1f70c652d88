"""IMS QTI 2.1 item package export: a zip with imsmanifest.xml and items/<id>.xml per question.

One language (the asked one, else the other), as xml:lang on each item. Every type is written:
single/truefalse/poll as choiceInteraction, multi with a mapping of every choice's weight,
order as orderInteraction, text/numeric as textEntryInteraction (numeric tolerance, or a range as
an asymmetric tolerance, in `<equal toleranceMode="absolute">`), a slide as an item with no
interaction. The item title is our uid and toolName="CitizenQuiz", so our importer gets the
exact question back; tags, theme, difficulty and time limit have no place in a QTI item.
"""

from __future__ import annotations

import io
import re
import zipfile
from xml.etree.ElementTree import Element, SubElement, indent, tostring

from quizzes.importers.qti import TOOL_NAME

QTI = "http://www.imsglobal.org/xsd/imsqti_v2p1"
CP = "http://www.imsglobal.org/xsd/imscp_v1p1"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
MATCH_CORRECT = "http://www.imsglobal.org/question/qti_v2p1/rptemplates/match_correct"
MAP_RESPONSE = "http://www.imsglobal.org/question/qti_v2p1/rptemplates/map_response"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _pick(value: dict | None, language: str) -> str:
    value = value or {}
    other = "en" if language == "vi" else "vi"
    return _NOT_XML.sub("", value.get(language) or value.get(other) or "")


def _number(value) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


def _q(tag: str) -> str:
    # Plain names with an xmlns attribute on the root: ElementTree's default_namespace option
    # refuses unqualified attribute names, and QTI's attributes are unqualified.
    return tag


def _sub(parent: Element, tag: str, text: str | None = None, **attrs) -> Element:
    element = SubElement(parent, _q(tag), {k: str(v) for k, v in attrs.items()})
    if text is not None:
        element.text = text
    return element


def _declaration(item: Element, cardinality: str, base_type: str, values: list[str]) -> Element:
    declaration = _sub(
        item, "responseDeclaration", identifier="RESPONSE", cardinality=cardinality,
        baseType=base_type,
    )  # fmt: skip
    if values:
        correct = _sub(declaration, "correctResponse")
        for value in values:
            _sub(correct, "value", value)
    return declaration


def _score(item: Element, feedback: bool) -> None:
    outcome = _sub(item, "outcomeDeclaration", identifier="SCORE", cardinality="single",
                   baseType="float")  # fmt: skip
    _sub(_sub(outcome, "defaultValue"), "value", "0")
    if feedback:
        _sub(item, "outcomeDeclaration", identifier="FEEDBACK", cardinality="single",
             baseType="identifier")  # fmt: skip


def identifier_for(index: int, uid: str) -> str:
    """An XML NCName unique in the package, readable: Q0001_lop10-sdg-001."""
    return f"Q{index:04d}_" + re.sub(r"[^A-Za-z0-9_.-]", "_", uid)[:60]


def render_item(data: dict, identifier: str, language: str) -> bytes:
    qtype = data["type"]
    item = Element(
        _q("assessmentItem"),
        {
            "xmlns": QTI,
            "xmlns:xsi": XSI,
            "xsi:schemaLocation": f"{QTI} http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1.xsd",
            "identifier": identifier,
            "title": data.get("uid") or identifier,
            "adaptive": "false",
            "timeDependent": "false",
            "toolName": TOOL_NAME,
            "toolVersion": "1",
            XML_LANG: language,
        },
    )
    choices = data.get("choices") or []
    ids = [chr(ord("A") + i) if i < 26 else f"C{i}" for i in range(len(choices))]
    has_feedback = any(_pick(c.get("feedback"), language) for c in choices)
    template = MATCH_CORRECT
    equal = None
    if qtype in ("single", "truefalse"):
        right = [i for i, c in zip(ids, choices, strict=True) if c["weight"] == 1.0]
        _declaration(item, "single", "identifier", right[:1])
    elif qtype == "multi":
        declaration = _declaration(
            item, "multiple", "identifier",
            [i for i, c in zip(ids, choices, strict=True) if c["weight"] > 0],
        )  # fmt: skip
        mapping = _sub(declaration, "mapping", lowerBound="0", upperBound="1", defaultValue="0")
        for i, choice in zip(ids, choices, strict=True):
            _sub(mapping, "mapEntry", mapKey=i, mappedValue=_number(choice["weight"]))
        template = MAP_RESPONSE
    elif qtype == "poll":
        _declaration(item, "single", "identifier", [])
        template = None
    elif qtype == "order":
        _declaration(item, "ordered", "identifier", ids)
    elif qtype == "text":
        answer = data["answer"]
        accepted = [_NOT_XML.sub("", a) for a in answer["accepted"]]
        declaration = _declaration(item, "single", "string", accepted[:1])
        mapping = _sub(declaration, "mapping", defaultValue="0")
        for text in accepted:
            _sub(mapping, "mapEntry", mapKey=text, mappedValue="1",
                 caseSensitive="false" if answer.get("ignore_case", True) else "true")  # fmt: skip
        template = MAP_RESPONSE
    elif qtype == "numeric":
        answer = data["answer"]
        if "min" in answer or "max" in answer:
            value, low, high = answer["min"], 0, answer["max"] - answer["min"]
        else:
            value, low, high = (
                answer["value"],
                answer.get("tolerance", 0),
                answer.get("tolerance", 0),
            )
        _declaration(item, "single", "float", [_number(value)])
        template = None
        equal = (low, high)
    else:  # slide
        template = None
    _score(item, has_feedback)

    body = _sub(item, "itemBody")
    _sub(body, "p", _pick(data["text"], language))
    if qtype in ("single", "truefalse", "multi", "poll", "order"):
        tag = "orderInteraction" if qtype == "order" else "choiceInteraction"
        attrs = {
            "responseIdentifier": "RESPONSE",
            "shuffle": "true" if qtype == "order" else "false",
        }
        if tag == "choiceInteraction":
            attrs["maxChoices"] = "0" if qtype == "multi" else "1"
        interaction = _sub(body, tag, **attrs)
        for i, choice in zip(ids, choices, strict=True):
            element = _sub(
                interaction, "simpleChoice", _pick(choice["text"], language), identifier=i
            )
            feedback = _pick(choice.get("feedback"), language)
            if feedback:
                _sub(element, "feedbackInline", feedback, outcomeIdentifier="FEEDBACK",
                     identifier=i, showHide="show")  # fmt: skip
    elif qtype in ("text", "numeric"):
        _sub(_sub(body, "p"), "textEntryInteraction", responseIdentifier="RESPONSE",
             expectedLength="20")  # fmt: skip

    if template:
        _sub(item, "responseProcessing", template=template)
    elif equal is not None:
        processing = _sub(item, "responseProcessing")
        condition = _sub(processing, "responseCondition")
        branch = _sub(condition, "responseIf")
        test = _sub(branch, "equal", toleranceMode="absolute",
                    tolerance=f"{_number(equal[0])} {_number(equal[1])}")  # fmt: skip
        _sub(test, "variable", identifier="RESPONSE")
        _sub(test, "correct", identifier="RESPONSE")
        _sub(
            _sub(branch, "setOutcomeValue", identifier="SCORE"), "baseValue", "1", baseType="float"
        )
        otherwise = _sub(condition, "responseElse")
        _sub(
            _sub(otherwise, "setOutcomeValue", identifier="SCORE"),
            "baseValue",
            "0",
            baseType="float",
        )
    explanation = _pick(data.get("explanation"), language)
    if explanation:
        _sub(item, "modalFeedback", explanation, outcomeIdentifier="FEEDBACK",
             identifier="EXPLANATION", showHide="show")  # fmt: skip
    indent(item, space="  ")
    return tostring(item, encoding="utf-8", xml_declaration=True) + b"\n"


def render_manifest(entries: list[tuple[str, str]]) -> bytes:
    manifest = Element("manifest", {"xmlns": CP, "identifier": "citizenquiz-questions"})
    metadata = SubElement(manifest, "metadata")
    SubElement(metadata, "schema").text = "QTIv2.1 Package"
    SubElement(metadata, "schemaversion").text = "1.0.0"
    SubElement(manifest, "organizations")
    resources = SubElement(manifest, "resources")
    for identifier, href in entries:
        resource = SubElement(
            resources, "resource",
            {"identifier": identifier, "type": "imsqti_item_xmlv2p1", "href": href},
        )  # fmt: skip
        SubElement(resource, "file", {"href": href})
    indent(manifest, space="  ")
    return tostring(manifest, encoding="utf-8", xml_declaration=True) + b"\n"


def render(items: list[dict], *, language: str = "vi") -> bytes:
    buffer = io.BytesIO()
    entries = []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, data in enumerate(items, start=1):
            identifier = identifier_for(index, data.get("uid") or "")
            href = f"items/{identifier}.xml"
            archive.writestr(href, render_item(data, identifier, language))
            entries.append((identifier, href))
        archive.writestr("imsmanifest.xml", render_manifest(entries))
    return buffer.getvalue()
