"""The message back to the GP practice as a PDF (reportlab): attached to the NHSmail email, and the letter to print.

Rendered from ``GpMessage.content`` alone (``referrals.gp_messages`` documents its keys), so the same content
gives the same document on every retry and whenever it is printed again. The PDF is real text (no images),
with a title, author, subject and language in its metadata, headings in reading order, and tables with
header rows. Text from the record is escaped once for reportlab's paragraph markup, so nothing in a name or a
note can change the document.

The standard Helvetica font covers Latin-1 (most names written in Western European alphabets); letters
beyond it are shown as a missing glyph rather than refusing to render.
"""

from __future__ import annotations

from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from referrals.gp_message_words import in_words

_STYLES = getSampleStyleSheet()
_BODY = ParagraphStyle("body", parent=_STYLES["BodyText"], fontName="Helvetica", fontSize=10, leading=13)
_SMALL = ParagraphStyle("small", parent=_BODY, fontSize=8.5, leading=11, textColor=colors.HexColor("#4c6272"))
_TITLE = ParagraphStyle("title", parent=_STYLES["Title"], fontName="Helvetica-Bold", fontSize=17, leading=21,
                        alignment=0, spaceAfter=6)
_H2 = ParagraphStyle("h2", parent=_STYLES["Heading2"], fontName="Helvetica-Bold", fontSize=12.5, leading=16,
                     spaceBefore=10, spaceAfter=4, keepWithNext=1)
_TABLE = TableStyle([
    ("FONT", (0, 0), (-1, -1), "Helvetica", 9.5),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("LINEBELOW", (0, 0), (-1, -1), 0.4, colors.HexColor("#d8dde0")),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ("TOPPADDING", (0, 0), (-1, -1), 4),
])


def _p(text, style=_BODY) -> Paragraph:
    return Paragraph(escape(str(text or "")).replace("\n", "<br/>"), style)


def _rows(rows, *, widths=(48 * mm, None), header=None) -> Table:
    """A two-or-more-column table of text; ``header`` a first row repeated on each page."""
    data = ([[_p(cell, _BODY) for cell in header]] if header else []) + [
        [_p(cell) for cell in row] for row in rows]
    table = Table(data, colWidths=list(widths), repeatRows=1 if header else 0, hAlign="LEFT")
    style = TableStyle(_TABLE.getCommands())
    if header:
        style.add("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f0f4f5"))
    table.setStyle(style)
    return table


def _heading_block(content: dict, words: dict) -> list:
    service, practice, person = content.get("service") or {}, content.get("practice"), content.get("person") or {}
    contact = " · ".join(part for part in (service.get("phone"), service.get("email")) if part)
    flow = [_p(f"{service.get('name', '')}" + (f"\n{contact}" if contact else ""), _SMALL), Spacer(1, 4 * mm)]
    if practice:
        lines = [practice.get("name"), practice.get("address"), practice.get("postcode"),
                 f"ODS code {practice.get('ods_code')}" if practice.get("ods_code") else ""]
        flow.append(_p("To: " + "\n".join(line for line in lines if line)))
        flow.append(Spacer(1, 4 * mm))
    flow.append(_p(content.get("title", "Social prescribing"), _TITLE))
    flow.append(_p(f"Prepared on {words['prepared']} by {content.get('prepared_by', '')}. "
                   f"Reference {(content.get('referral') or {}).get('reference', '')}.", _SMALL))
    flow.append(_p("The person", _H2))
    flow.append(_rows([
        ("Name", person.get("name")),
        ("Date of birth", words["born"] or "Not given"),
        ("NHS number", person.get("nhs_number") or "Not given"),
        ("Postcode", person.get("postcode") or "Not given"),
    ]))
    return flow


def _referral_block(content: dict, words: dict) -> list:
    referral = content.get("referral") or {}
    source = referral.get("source", "")
    if referral.get("referrer"):
        source += f", by {referral['referrer']}"
    if referral.get("referrer_organisation"):
        source += f" ({referral['referrer_organisation']})"
    rows = [("Reference", referral.get("reference")), ("Received", words["received"]), ("From", source),
            ("Needs", ", ".join(referral.get("needs") or []) or "None named")]
    if words.get("accepted"):
        rows.append(("Accepted", words["accepted"]))
    support = referral.get("tier") or ""
    if referral.get("link_worker"):
        support = f"{support}, with {referral['link_worker']}" if support else f"Link worker: {referral['link_worker']}"
    if support:
        rows.append(("Support", support))
    return [_p("The referral", _H2), _rows(rows)]


def _discharge_blocks(content: dict, words: dict) -> list:
    plan = content.get("plan") or {}
    flow = [_p("What matters to them", _H2), _p(plan.get("what_matters") or "Not recorded")]
    flow.append(_p("Their plan", _H2))
    goals = plan.get("goals") or []
    flow.append(_rows([(goal.get("goal"), goal.get("status")) for goal in goals], widths=(120 * mm, None),
                      header=("Goal", "Status")) if goals else _p("No goals were set."))
    actions = plan.get("actions") or []
    if actions:
        flow.append(Spacer(1, 2 * mm))
        flow.append(_rows([(a.get("action"), a.get("who"), "Done" if a.get("done") else "Not done") for a in actions],
                          widths=(100 * mm, 40 * mm, None), header=("Action", "Who", "Done")))
    flow.append(_p("Activities and services they were connected to", _H2))
    if words["connections"]:
        flow.append(_rows([
            (f"{c.get('number')}. {c.get('name')}" + (f" ({c['provider']})" if c.get("provider") else ""),
             c.get("status"), c.get("attendance_words") or "", c.get("outcome_note") or "")
            for c in words["connections"]], widths=(60 * mm, 30 * mm, 40 * mm, None),
            header=("Activity or service", "Status", "Attendance", "Outcome")))
    else:
        flow.append(_p("They were not connected to any activity or service."))
    contacts = content.get("contacts") or {}
    held = contacts.get("held", 0)
    text = f"{held} contact{'s' if held != 1 else ''} held"
    if words["first_contact"]:
        text += f" (first {words['first_contact']}, last {words['last_contact']})"
    text += "." + (f" {contacts['attempts_not_reached']} attempts did not reach them."
                   if contacts.get("attempts_not_reached") else "")
    text += " A review was held." if contacts.get("reviewed") else " No review was held."
    flow += [_p("Contacts", _H2), _p(text)]
    flow.append(_p("Outcome measures: wellbeing before and after (ONS4, 0 to 10)", _H2))
    if words["has_wellbeing"]:
        flow.append(_rows([(row.get("question"), row["before_words"], row["after_words"]) for row in words["wellbeing"]],
                          widths=(120 * mm, 25 * mm, None), header=("Question", "Before", "After")))
    else:
        flow.append(_p("No wellbeing answers were recorded."))
    for measure in content.get("outcome_measures") or []:
        code = measure.get("code")
        flow.append(_p(f"{measure.get('name')}: " + (f"SNOMED CT {code}" if code else measure.get("coding_note", "")),
                       _SMALL))
    discharge = content.get("discharge") or {}
    flow += [_p("Reason for discharge", _H2), _p(discharge.get("reason_text") or "")]
    if discharge.get("note"):
        flow.append(_p(discharge["note"]))
    return flow


def _codes_block(content: dict) -> list:
    codes = content.get("codes") or []
    return [_p("SNOMED CT codes", _H2),
            _rows([(code.get("code"), code.get("display")) for code in codes], header=("Code", "Meaning"))]


def _contact_block(content: dict) -> list:
    service, referral = content.get("service") or {}, content.get("referral") or {}
    how = " or ".join(part for part in (service.get("phone"), service.get("email")) if part)
    text = f"Questions: contact {service.get('name', '')}" + (f" ({how})" if how else "")
    return [Spacer(1, 6 * mm), _p(f"{text}, giving the reference {referral.get('reference', '')}.")]


def _footer(canvas, doc):
    canvas.saveState()
    canvas.setFont("Helvetica", 8)
    canvas.setFillColor(colors.HexColor("#4c6272"))
    canvas.drawString(20 * mm, 10 * mm, f"Confidential: personal information. {doc.signpost_reference}")
    canvas.drawRightString(A4[0] - 20 * mm, 10 * mm, f"Page {doc.page}")
    canvas.restoreState()


def render_pdf(content: dict) -> bytes:
    """The PDF of a message to the GP practice, from its stored content."""
    words = in_words(content)
    person = (content.get("person") or {}).get("name", "")
    reference = (content.get("referral") or {}).get("reference", "")
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm, bottomMargin=18 * mm,
        title=f"{content.get('title', 'Social prescribing')}: {person} ({reference})",
        author=(content.get("service") or {}).get("name", ""),
        subject=content.get("title", ""), creator="Signpost", keywords="social prescribing, SNOMED CT",
        lang="en-GB", displayDocTitle=1,
    )
    doc.signpost_reference = reference
    flow = _heading_block(content, words) + _referral_block(content, words)
    if content.get("kind") == "discharge":
        flow += _discharge_blocks(content, words)
    flow += _codes_block(content) + _contact_block(content)
    doc.build(flow, onFirstPage=_footer, onLaterPages=_footer)
    return buffer.getvalue()


def filename(content: dict) -> str:
    """``SP-1234-discharge-summary.pdf``: the reference and the kind, never a name."""
    reference = (content.get("referral") or {}).get("reference", "referral")
    kind = "discharge-summary" if content.get("kind") == "discharge" else "referral-accepted"
    return f"{reference}-{kind}.pdf".replace("/", "-")
