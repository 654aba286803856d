"""The message back to the GP and referrer as a FHIR document (HL7 FHIR R4; UK systems use R4).

``summary_bundle(content)`` turns the content of a message (what ``referrals.gp_messages`` builds and
``GpMessage.content`` keeps: the discharge summary's person, referral, contacts, plan, connections,
wellbeing and discharge, with the message's kind, practice, service, codes and the time it was
prepared) into a ``Bundle`` of type ``document``: a ``Composition`` first, then every resource it
refers to. It reads the dict alone, so what was stored is what is served, however often it is asked
for. Built with fhir.resources' R4B models, which match R4 for every resource used here and check
each resource as it is made (a message that is not valid FHIR fails here, never at the practice).

Decisions (the PRSB Social Prescribing standard is an information model with no FHIR profile of its own):
- The Composition's sections follow the standard's "message back to GP and referrer": the person,
  the referral, what matters to me, the personalised care and support plan, the activities and
  services (with attendance), the outcome measures (before and after), and the discharge.
- Its type is SNOMED CT 373942005 |Discharge summary (record artifact)|, as the NHS's transfer of
  care documents type theirs, for the message at discharge; the acknowledgement has only a text.
- The referral is a ``ServiceRequest`` carrying 871731000000106 |Referral to social prescribing
  service|; any other code of the message (871711000000103 |Social prescribing declined|, or a code
  not tied to an outcome measure) is an ``Observation``, as GP Connect carries coded entries of no
  other kind. Each score, before and after, is an ``Observation`` (category survey) with the
  measure's code when the message has one (a ``code`` on the wellbeing row, a ``codes`` entry naming
  its ``measure``, or the ``code`` of the ``outcome_measures`` entry listing the question), else the
  question as text (no SNOMED CT code for the ONS4 questions was found: ``referrals.gp_messages``).
- Identifiers are UUIDs derived from the referral's reference, the kind and the time the message was
  prepared, so the same message is the same document (same identifier, same fullUrls) every time.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from html import escape

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.composition import Composition
from fhir.resources.R4B.goal import Goal
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.servicerequest import ServiceRequest

from referrals.choices import SNOMED_REFERRED, ConnectionStatus, GoalStatus

SNOMED = "http://snomed.info/sct"
NHS_NUMBER = "https://fhir.nhs.uk/Id/nhs-number"
ODS_CODE = "https://fhir.nhs.uk/Id/ods-organization-code"
MEDIA_TYPE = "application/fhir+json"
DISCHARGE_SUMMARY = {"system": SNOMED, "code": "373942005", "display": "Discharge summary"}
_NAMESPACE = uuid.UUID("6f1b3a52-5d4e-4c1e-9a57-3c8e4d0b9a11")  # Signpost's messages back to the GP
_XHTML = "http://www.w3.org/1999/xhtml"
_SURVEY = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                       "code": "survey", "display": "Survey"}]}
_CONNECTION_STATUS = {label: value for value, label in ConnectionStatus.choices}
_GOAL_STATUS = {label: value for value, label in GoalStatus.choices}
# A connection that ended without the person taking it up (its ServiceRequest is revoked).
_ENDED_UNUSED = {ConnectionStatus.WITHDRAWN, ConnectionStatus.DECLINED_BY_PROVIDER, ConnectionStatus.CANCELLED,
                 ConnectionStatus.DID_NOT_TAKE_UP}
_ACHIEVEMENT = {  # http://terminology.hl7.org/CodeSystem/goal-achievement
    GoalStatus.NOT_STARTED: "no-progress", GoalStatus.IN_PROGRESS: "in-progress", GoalStatus.ACHIEVED: "achieved",
    GoalStatus.PARTLY_ACHIEVED: "some-progress", GoalStatus.NOT_ACHIEVED: "not-achieved",
    GoalStatus.NO_LONGER_WANTED: "not-achieved",
}
_LIFECYCLE = {GoalStatus.ACHIEVED: "completed", GoalStatus.NO_LONGER_WANTED: "cancelled",
              GoalStatus.NOT_ACHIEVED: "completed", GoalStatus.PARTLY_ACHIEVED: "completed"}


def _fhir_datetime(value) -> str | None:
    """An ISO date-time as FHIR has it (seconds and an offset), or None."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.date().isoformat() if len(str(value)) == 10 else None
    return moment.isoformat(timespec="seconds")


def _fhir_date(value) -> str | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10]).isoformat()
    except ValueError:
        return None


def _div(*paragraphs: str, rows: list[tuple[str, str]] | None = None, items: list[str] | None = None) -> dict:
    """Narrative: each part escaped, in an XHTML div (status generated: it is all made from the data)."""
    parts = [f"<p>{escape(text)}</p>" for text in paragraphs if text]
    if rows:
        parts.append("<table><tbody>" + "".join(
            f"<tr><th>{escape(label)}</th><td>{escape(value)}</td></tr>" for label, value in rows
        ) + "</tbody></table>")
    if items:
        parts.append("<ul>" + "".join(f"<li>{escape(item)}</li>" for item in items) + "</ul>")
    if not parts:
        parts.append("<p>None recorded.</p>")
    return {"status": "generated", "div": f'<div xmlns="{_XHTML}">{"".join(parts)}</div>'}


def _coding(code: dict) -> dict:
    return {key: str(code[key]) for key in ("system", "code", "display") if code.get(key)}


def _concept(code: dict | None, text: str) -> dict:
    if code and code.get("code"):
        return {"coding": [_coding(code)], "text": text or code.get("display") or ""}
    return {"text": text}


class _Document:
    """The resources of one document, each with its urn:uuid fullUrl."""

    def __init__(self, seed: str):
        self.seed = seed
        self.entries: list[tuple[str, object]] = []

    def url(self, name: str) -> str:
        return f"urn:uuid:{uuid.uuid5(_NAMESPACE, f'{self.seed}|{name}')}"

    def add(self, name: str, model, fields: dict) -> dict:
        """Makes (and so checks) the resource; gives back a reference to it."""
        url = self.url(name)
        self.entries.append((url, model(id=url.rsplit(":", 1)[1], **fields)))
        return {"reference": url}


def _yes_no(value) -> str:
    return {True: "yes", False: "no"}.get(value, "not recorded")


def summary_bundle(content: dict) -> Bundle:
    """The FHIR document for a message back to the GP and referrer (see the module's docstring)."""
    kind = content.get("kind") or "discharge"
    person = content.get("person") or {}
    referral = content.get("referral") or {}
    practice = content.get("practice") or None
    service = content.get("service") or {}
    plan = content.get("plan") or {}
    connections = content.get("connections") or []
    wellbeing = content.get("wellbeing") or []
    discharge = content.get("discharge") or None
    contacts = content.get("contacts") or None
    codes = [code for code in content.get("codes") or [] if code.get("code")]
    prepared = _fhir_datetime(content.get("prepared")) or _fhir_datetime(datetime.now().astimezone().isoformat())
    reference = referral.get("reference") or ""
    doc = _Document(f"{reference}|{kind}|{content.get('prepared') or content.get('fingerprint') or ''}")
    sections = []

    # The person and their practice -----------------------------------------------------------
    practice_ref = None
    if practice:
        address = {key: value for key, value in
                   (("text", practice.get("address")), ("postalCode", practice.get("postcode"))) if value}
        practice_ref = doc.add("practice", Organization, {
            "identifier": [{"system": ODS_CODE, "value": practice["ods_code"]}] if practice.get("ods_code") else None,
            "name": practice.get("name") or practice.get("ods_code") or "GP practice",
            "address": [address] if address else None,
        })
    patient = {
        "name": [{"use": "official", "text": person.get("name") or "Not known"}],
        "birthDate": _fhir_date(person.get("date_of_birth")),
        "identifier": [{"system": NHS_NUMBER, "value": person["nhs_number"]}] if person.get("nhs_number") else None,
        "address": [{"postalCode": person["postcode"]}] if person.get("postcode") else None,
    }
    if practice_ref:
        patient["generalPractitioner"] = [{**practice_ref, "display": practice.get("name") or ""}]
    elif person.get("gp_practice"):
        patient["generalPractitioner"] = [{"display": person["gp_practice"]}]
    subject = doc.add("patient", Patient, patient)
    telecom = [{"system": system, "value": service[key], "use": "work"}
               for system, key in (("email", "email"), ("phone", "phone")) if service.get(key)]
    service_ref = doc.add("service", Organization, {"name": service.get("name") or "Social prescribing service",
                                                    "telecom": telecom or None})
    authors = [service_ref]
    if referral.get("link_worker"):
        authors.append(doc.add("link-worker", Practitioner, {"name": [{"text": referral["link_worker"]}]}))
    sections.append({
        "title": "Person demographics",
        "text": _div(rows=[
            ("Name", person.get("name") or ""), ("Date of birth", person.get("date_of_birth") or "not recorded"),
            ("NHS number", person.get("nhs_number") or "not recorded"), ("Postcode", person.get("postcode") or ""),
            ("GP practice", (practice or {}).get("name") or person.get("gp_practice") or "not recorded"),
            *([("Practice ODS code", practice["ods_code"])] if practice and practice.get("ods_code") else []),
        ]),
        "entry": [subject, *([practice_ref] if practice_ref else [])],
    })

    # The referral, coded ----------------------------------------------------------------------
    referred = next((code for code in codes if code["code"] == SNOMED_REFERRED), None)
    referral_ref = doc.add("referral", ServiceRequest, {
        "identifier": [{"type": {"text": "Signpost referral reference"}, "value": reference}] if reference else None,
        "status": "completed" if kind == "discharge" else "active",
        "intent": "order",
        "code": _concept(referred, "Referral to social prescribing service"),
        "subject": subject,
        "authoredOn": _fhir_datetime(referral.get("received")),
        "requester": {"display": ", ".join(part for part in (referral.get("referrer"),
                                                              referral.get("referrer_organisation")) if part)
                      or referral.get("source") or "Not recorded"},
        "performer": [service_ref],
        "reasonCode": [{"text": need} for need in referral.get("needs") or []] or None,
    })
    sections.append({
        "title": "Referral details",
        "text": _div(rows=[
            ("Reference", reference), ("Received", referral.get("received") or ""),
            ("Source", referral.get("source") or ""),
            ("Referrer", ", ".join(p for p in (referral.get("referrer"), referral.get("referrer_organisation")) if p)
             or "not recorded"),
            ("Needs", ", ".join(referral.get("needs") or []) or "none recorded"),
            ("Tier", referral.get("tier") or ""), ("Link worker", referral.get("link_worker") or "not allocated"),
            *([("Contacts held", str(contacts.get("held", 0))),
               ("Review held", _yes_no(contacts.get("reviewed")))] if contacts else []),
            ("Codes", "; ".join(f"{c.get('display', '')} ({c['code']})" for c in codes) or "none"),
        ]),
        "entry": [referral_ref],
    })

    # What matters, and the plan ---------------------------------------------------------------
    sections.append({"title": "What matters to me", "text": _div(plan.get("what_matters") or "Not recorded.")})
    goal_refs = []
    for number, goal in enumerate(plan.get("goals") or [], start=1):
        status = _GOAL_STATUS.get(goal.get("status"))
        goal_refs.append(doc.add(f"goal-{number}", Goal, {
            "lifecycleStatus": _LIFECYCLE.get(status, "active"),
            "achievementStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/goal-achievement",
                                              "code": _ACHIEVEMENT[status]}], "text": goal["status"]}
            if status else None,
            "description": {"text": goal.get("goal") or ""},
            "subject": subject,
        }))
    actions = plan.get("actions") or []
    plan_entries = list(goal_refs)
    if goal_refs or actions:
        plan_entries.insert(0, doc.add("care-plan", CarePlan, {
            "status": "completed" if kind == "discharge" else "active",
            "intent": "plan",
            "title": "Personalised care and support plan",
            "subject": subject,
            "goal": goal_refs or None,
            "activity": [{"detail": {"status": "completed" if action.get("done") else "not-started",
                                     "description": " ".join(p for p in (action.get("action"),
                                                                          f"({action['who']})" if action.get("who")
                                                                          else "") if p)}}
                         for action in actions] or None,
        }))
    plan_section = {
        "title": "Personalised care and support plan",
        "text": _div(
            items=[f"Goal: {g.get('goal', '')} ({g.get('status', '')})" for g in plan.get("goals") or []]
            + [f"Action: {a.get('action', '')}" + (f" ({a['who']})" if a.get("who") else "")
               + (": done" if a.get("done") else "") for a in actions]
        ),
    }
    if plan_entries:
        plan_section["entry"] = plan_entries
    sections.append(plan_section)

    # The activities and services, with attendance ---------------------------------------------
    connection_refs, lines = [], []
    for connection in connections:
        status = _CONNECTION_STATUS.get(connection.get("status"))
        attended = connection.get("attended_first_session")
        first = connection.get("first_session")
        attendance = (f"first session {first}: " + {True: "attended", False: "did not attend"}.get(attended, "attendance "
                      "not recorded")) if first else "no first session booked"
        name = connection.get("name") or "Activity or service"
        lines.append(" - ".join(p for p in (name, connection.get("provider"), connection.get("status"), attendance,
                                            connection.get("outcome_note")) if p))
        notes = [f"Status: {connection.get('status') or 'not known'}; {attendance}."]
        if connection.get("outcome_note"):
            notes.append(connection["outcome_note"])
        connection_refs.append(doc.add(f"connection-{connection.get('number')}", ServiceRequest, {
            "status": "revoked" if status in _ENDED_UNUSED else "completed" if kind == "discharge" else "active",
            "intent": "plan",
            "code": {"text": name},
            "subject": subject,
            "basedOn": [referral_ref],
            "occurrenceDateTime": _fhir_datetime(first),
            "performer": [{"display": connection["provider"]}] if connection.get("provider") else None,
            "note": [{"text": text} for text in notes],
        }))
    activities = {"title": "Activities and services", "text": _div(items=lines)}
    if connection_refs:
        activities["entry"] = connection_refs
    sections.append(activities)

    # Outcome measures, before and after --------------------------------------------------------
    measure_codes = {code["measure"]: code for code in codes if code.get("measure")}
    for measure in content.get("outcome_measures") or []:
        if measure.get("code"):
            measure_codes.update({question: measure["code"] for question in measure.get("questions") or []
                                  if question not in measure_codes})
    measure_names = [measure["name"] for measure in content.get("outcome_measures") or [] if measure.get("name")]
    score_refs, rows = [], []
    for row in wellbeing:
        measure = row.get("measure") or row.get("question") or "measure"
        code = row.get("code") or measure_codes.get(measure)
        text = row.get("question") or measure
        rows.append((text, f"before {_score(row.get('before'))}, after {_score(row.get('after'))}"))
        for stage in ("before", "after"):
            if row.get(stage) is None:
                continue
            score_refs.append(doc.add(f"score-{measure}-{stage}", Observation, {
                "status": "final",
                "category": [_SURVEY],
                "code": _concept(code, text),
                "subject": subject,
                "effectiveDateTime": _fhir_datetime(row.get(f"{stage}_at")),
                "valueInteger": int(row[stage]),
                "note": [{"text": "Before social prescribing support (first conversation)." if stage == "before"
                          else "After social prescribing support (review)."}],
            }))
    outcomes = {"title": "Outcome measures", "text": _div(
        "; ".join(measure_names) or ("ONS4 personal wellbeing, each 0 to 10 (for anxiety, lower is better)."
                                     if wellbeing else ""), rows=rows)}
    if score_refs:
        outcomes["entry"] = score_refs
    sections.append(outcomes)

    # Discharge, and the other codes ------------------------------------------------------------
    coded_refs = [
        doc.add(f"code-{code['code']}", Observation, {
            "status": "final",
            "code": _concept(code, code.get("display") or code["code"]),
            "subject": subject,
            "effectiveDateTime": prepared,
        })
        for code in codes if code["code"] != SNOMED_REFERRED and not code.get("measure")
    ]
    if discharge is not None or kind == "discharge":
        discharge = discharge or {}
        section = {"title": "Discharge details", "text": _div(
            f"Reason: {discharge.get('reason_text') or discharge.get('reason') or 'not recorded'}.",
            discharge.get("note") or "")}
    else:
        accepted = referral.get("accepted")
        section = {"title": "Referral accepted", "text": _div(
            "The social prescribing service has accepted this referral" + (f" ({accepted})" if accepted else "")
            + " and will contact the person.")}
    if coded_refs:
        section["entry"] = coded_refs
    sections.append(section)

    title = content.get("title") or ("Social prescribing discharge summary" if kind == "discharge"
                                     else "Social prescribing referral accepted")
    composition_url = doc.url("composition")
    composition = Composition(
        id=composition_url.rsplit(":", 1)[1],
        status="final",
        type=({"coding": [DISCHARGE_SUMMARY], "text": "Social prescribing discharge summary"} if kind == "discharge"
              else {"text": "Social prescribing referral acknowledgement"}),
        subject=subject,
        date=prepared,
        author=authors,
        custodian=service_ref,
        title=title,
        section=sections,
    )
    return Bundle(
        identifier={"system": "urn:ietf:rfc:3986", "value": doc.url("bundle")},
        type="document",
        timestamp=prepared,
        entry=[{"fullUrl": composition_url, "resource": composition},
               *({"fullUrl": url, "resource": resource} for url, resource in doc.entries)],
    )


def _score(value) -> str:
    return "not recorded" if value is None else str(value)


def summary_json(content: dict) -> str:
    """The document as FHIR JSON."""
    return summary_bundle(content).model_dump_json(exclude_none=True)
