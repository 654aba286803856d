"""The message back to the GP practice: emailed with a PDF to NHSmail, a letter to print without one, not sent
without consent or a practice; previewed before discharge, kept as sent and shown on the referral.

Emails go to a real SMTP server on 127.0.0.1 (``tests/referrals/smtp.py``). The PDF's text is read by
inflating its content streams (reportlab writes each line of text as a ``(...) Tj`` string).
"""

import base64
import re
import zlib
from datetime import date, timedelta

import pytest
from django.utils import timezone

from factories.primarycare import make_practice
from factories.referrals import (
    ALL_CONSENTS,
    discharge,
    hold_review,
    make_link_worker,
    make_provider_editor,
    make_referral,
    make_resident,
    make_triage,
)
from referrals import gp_messages
from referrals.choices import (
    Channel,
    ConsentPurpose,
    DeliveryStatus,
    DischargeReason,
    GpMessageKind,
    GpMessageRoute,
    NotificationKind,
    Source,
)
from referrals.choices import ConnectionStatus as C
from referrals.models import AuditEntry, GpMessage
from referrals.roles import actor_for_user
from referrals.tasks import deliver_due_notifications

NHSMAIL = "harbour.surgery@nhs.net"
NHS_NUMBER = "9434765919"


@pytest.fixture
def harbour(db):
    return make_practice("Harbour Surgery", ods_code="J81001", nhsmail=NHSMAIL, postcode="BH15 1AB")


@pytest.fixture
def person(service, harbour):
    return make_resident(service=service, first_name="Ada", last_name="O'Brien", practice=harbour,
                         nhs_number=NHS_NUMBER, date_of_birth=date(1950, 3, 4))


@pytest.fixture
def in_support(service, triage, link_worker, activity, django_capture_on_commit_callbacks):
    """A referral whose person went to their first session and had their review: ready to discharge."""

    def _make(resident, **fields):
        with django_capture_on_commit_callbacks(execute=True):
            referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                                     resident=resident, status=C.ATTENDED, **fields)
            hold_review(referral)
        return referral

    return _make


def discharged(referral, capture, **kwargs):
    with capture(execute=True):
        return discharge(referral, **kwargs)


def pdf_text(data: bytes) -> str:
    """The text drawn in a PDF made by reportlab: each content stream decoded, the strings it shows joined."""
    assert data.startswith(b"%PDF")
    text = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", data, re.DOTALL):
        stream = stream.strip()
        if stream.endswith(b"~>"):  # reportlab's default: ASCII85, then Flate
            stream = zlib.decompress(base64.a85decode(stream[:-2]))
        for string in re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", stream):
            text.append(re.sub(rb"\\(.)", rb"\1", string).decode("latin-1"))
    return " ".join(text)


def gp_emails(smtp):
    return [m for m, env in zip(smtp.messages, smtp.envelopes) if env["to"] == [NHSMAIL]]


# Delivered --------------------------------------------------------------------------------------------------


def test_discharge_emails_the_practice_with_the_summary_as_a_pdf(smtp, person, in_support,
                                                                django_capture_on_commit_callbacks):
    smtp.start()
    referral = in_support(person)
    discharged(referral, django_capture_on_commit_callbacks, reason=DischargeReason.GOALS_MET,
               note="Walking twice a week <b>now</b>")

    message = GpMessage.objects.get(referral=referral)
    assert message.kind == GpMessageKind.DISCHARGE and message.route == GpMessageRoute.NHSMAIL
    assert message.recipient == NHSMAIL and message.practice.ods_code == "J81001"
    assert message.notification.kind == NotificationKind.GP_DISCHARGE_SUMMARY
    assert message.notification.status == DeliveryStatus.SENT
    content = message.content
    assert content["kind"] == "discharge" and content["practice"]["name"] == "Harbour Surgery"
    assert {"code": "871731000000106", "display": "Referral to social prescribing service",
            "system": "http://snomed.info/sct"} in content["codes"]
    assert "871711000000103" not in [code["code"] for code in content["codes"]]
    assert content["outcome_measures"][0]["code"] is None
    assert "no SNOMED CT code" in content["outcome_measures"][0]["coding_note"]
    assert content["discharge"]["reason_text"] == "Goals met" and content["person"]["nhs_number"] == NHS_NUMBER

    [email] = gp_emails(smtp)
    assert referral.reference in email["Subject"] and "O'Brien" not in email["Subject"]
    body = email.get_body(("plain",)).get_content()
    # Plain text, escaped never: the name reads as written.
    assert "Ada O'Brien" in body and "&#x27;" not in body and "&amp;" not in body
    assert "Reason for discharge: Goals met" in body and "871731000000106" in body
    [attachment] = list(email.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"{referral.reference}-discharge-summary.pdf"
    text = pdf_text(attachment.get_content())
    assert "Ada O'Brien" in text and NHS_NUMBER in text and "Goals met" in text
    # The note's markup is shown as text, not taken as formatting (reportlab draws "<" and ">" as pieces of their own).
    assert "Walkingtwiceaweek<b>now</b>" in text.replace(" ", "")
    assert "Harbour Surgery" in text and "871731000000106" in text


def test_a_person_who_declined_is_coded_as_declined(smtp, person, in_support, django_capture_on_commit_callbacks):
    smtp.start()
    referral = in_support(person)
    discharged(referral, django_capture_on_commit_callbacks, reason=DischargeReason.PERSON_DECLINED)
    codes = [code["code"] for code in GpMessage.objects.get(referral=referral).content["codes"]]
    assert codes == ["871731000000106", "871711000000103"]
    [email] = gp_emails(smtp)
    assert "871711000000103 Social prescribing declined" in email.get_body(("plain",)).get_content()


def test_a_practice_without_nhsmail_gets_a_letter_to_print(client, sign_in, service, link_worker, in_support,
                                                          django_capture_on_commit_callbacks):
    practice = make_practice("Quay Surgery", nhsmail="", postcode="BH15 1AA")
    referral = in_support(make_resident(service=service, first_name="Bea", last_name="Letterly", practice=practice))
    discharged(referral, django_capture_on_commit_callbacks)

    message = GpMessage.objects.get(referral=referral)
    assert message.route == GpMessageRoute.LETTER and message.recipient == ""
    task = message.notification
    assert task.channel == Channel.LETTER_TASK and task.recipient_user == link_worker
    assert task.status == DeliveryStatus.PENDING and "Quay Surgery" in task.body and "1 Quay Road" in task.body

    sign_in(link_worker)
    page = client.get(f"/referrals/{referral.pk}/")
    assert "Messages to the GP practice" in page.content.decode() and "Not yet posted" in page.content.decode()
    letter = client.get(f"/referrals/{referral.pk}/gp-message/discharge/letter/")
    html = letter.content.decode()
    assert letter.status_code == 200 and "Bea Letterly" in html and "Quay Surgery" in html
    assert "gp_letter_print.css" in html and "I have posted the letter" in html
    pdf = client.get(f"/referrals/{referral.pk}/gp-message/discharge/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert "Bea Letterly" in pdf_text(pdf.content)
    assert AuditEntry.objects.filter(referral_id=referral.pk, what="message to the GP practice: letter").exists()
    assert AuditEntry.objects.filter(referral_id=referral.pk, what="message to the GP practice: PDF").exists()

    # Posted: the task's own "Done".
    done = client.post(f"/referrals/tasks/{task.pk}/done/", {"next": f"/referrals/{referral.pk}/"})
    assert done.status_code == 302
    task.refresh_from_db()
    assert task.status == DeliveryStatus.DONE
    assert "Posted" in client.get(f"/referrals/{referral.pk}/").content.decode()


# Not sent ---------------------------------------------------------------------------------------------------


def test_not_sent_when_the_person_refused_consent(smtp, person, in_support, django_capture_on_commit_callbacks):
    smtp.start()
    referral = in_support(person, consents={**ALL_CONSENTS, ConsentPurpose.SHARE_WITH_GP: False})
    discharged(referral, django_capture_on_commit_callbacks)
    message = GpMessage.objects.get(referral=referral)
    assert message.route == GpMessageRoute.NOT_SENT and message.notification is None
    assert message.not_sent_reason == "The person refused consent to tell their GP practice."
    assert message.content["person"]["name"] == "Ada O'Brien"  # kept: what would have been sent
    assert gp_emails(smtp) == []
    assert not referral.notifications.filter(kind=NotificationKind.GP_DISCHARGE_SUMMARY).exists()


def test_not_sent_when_the_person_withdrew_consent(person, in_support, django_capture_on_commit_callbacks):
    referral = in_support(person)
    referral.consents.filter(purpose=ConsentPurpose.SHARE_WITH_GP).update(withdrawn_at=timezone.now())
    discharged(referral, django_capture_on_commit_callbacks)
    message = GpMessage.objects.get(referral=referral)
    assert message.route == GpMessageRoute.NOT_SENT and "withdrew" in message.not_sent_reason


def test_a_self_referrers_practice_is_told_unless_they_said_no(person, service, harbour, in_support,
                                                               django_capture_on_commit_callbacks):
    """The form says "If you do not answer, we will tell them": only a refusal stops the message."""
    no_answer = {purpose: True for purpose in ALL_CONSENTS if purpose != ConsentPurpose.SHARE_WITH_GP}
    quiet = in_support(person, source=Source.SELF, consents=no_answer)
    discharged(quiet, django_capture_on_commit_callbacks)
    assert GpMessage.objects.get(referral=quiet).route == GpMessageRoute.NHSMAIL

    refused = in_support(make_resident(service=service, practice=harbour), source=Source.SELF,
                         consents={**no_answer, ConsentPurpose.SHARE_WITH_GP: False})
    discharged(refused, django_capture_on_commit_callbacks)
    message = GpMessage.objects.get(referral=refused)
    assert message.route == GpMessageRoute.NOT_SENT and message.not_sent_reason == gp_messages.REFUSED


def test_a_professional_referral_without_an_answer_is_sent(person, in_support, django_capture_on_commit_callbacks):
    no_answer = {purpose: True for purpose in ALL_CONSENTS if purpose != ConsentPurpose.SHARE_WITH_GP}
    referral = in_support(person, consents=no_answer)
    discharged(referral, django_capture_on_commit_callbacks)
    assert GpMessage.objects.get(referral=referral).route == GpMessageRoute.NHSMAIL


def test_not_sent_without_a_practice(service, in_support, django_capture_on_commit_callbacks):
    written = in_support(make_resident(service=service, gp_practice="The surgery by the park"))
    none = in_support(make_resident(service=service, has_no_gp=True))
    for referral in (written, none):
        discharged(referral, django_capture_on_commit_callbacks)
    assert GpMessage.objects.get(referral=written).not_sent_reason == gp_messages.NO_PRACTICE
    assert GpMessage.objects.get(referral=none).not_sent_reason == gp_messages.NOT_REGISTERED
    assert not GpMessage.objects.exclude(route=GpMessageRoute.NOT_SENT).exists()


# Acknowledgement --------------------------------------------------------------------------------------------


def test_the_practice_hears_of_an_accepted_referral_only_when_the_service_asks(smtp, service, person, triage,
                                                                               link_worker,
                                                                               django_capture_on_commit_callbacks):
    smtp.start()
    with django_capture_on_commit_callbacks(execute=True):
        quiet = make_referral(service=service, resident=person, triage=triage, link_worker=link_worker,
                              status="triaged")
    assert not quiet.gp_messages.exists() and gp_emails(smtp) == []

    service.acknowledge_to_gp = True
    service.save(update_fields=["acknowledge_to_gp"])
    other = make_resident(service=service, first_name="Cy", last_name="Acker", practice=person.practice)
    with django_capture_on_commit_callbacks(execute=True):
        told = make_referral(service=service, resident=other, triage=triage, link_worker=link_worker,
                             status="triaged")
    message = told.gp_messages.get()
    assert message.kind == GpMessageKind.ACKNOWLEDGEMENT and message.route == GpMessageRoute.NHSMAIL
    assert message.content["referral"]["accepted"] and message.content["referral"]["link_worker"]
    assert [code["code"] for code in message.content["codes"]] == ["871731000000106"]
    [email] = gp_emails(smtp)
    assert "referral accepted" in email["Subject"] and "Cy Acker" in email.get_body(("plain",)).get_content()
    [attachment] = list(email.iter_attachments())
    assert "Cy Acker" in pdf_text(attachment.get_content())


# Preview ----------------------------------------------------------------------------------------------------


def _preview(client, referral) -> str:
    response = client.post(f"/referrals/{referral.pk}/discharge/", {"discharge-reason": DischargeReason.GOALS_MET,
                                                                    "discharge-note": ""})
    assert response.status_code == 200
    return " ".join(response.content.decode().split())


def test_the_preview_says_where_the_summary_will_go(client, sign_in, service, person, link_worker, in_support):
    sign_in(link_worker)
    emailed = in_support(person)
    assert (f"Will be emailed to Harbour Surgery at {NHSMAIL} with the summary attached as a PDF."
            in _preview(client, emailed))

    letter = in_support(make_resident(service=service, practice=make_practice("Quay Surgery", nhsmail="")))
    assert "A letter to print: Quay Surgery has no NHSmail address on record." in _preview(client, letter)

    refused = in_support(make_resident(service=service, practice=person.practice),
                         consents={**ALL_CONSENTS, ConsentPurpose.SHARE_WITH_GP: False})
    assert ("Will not be sent. The person refused consent to tell their GP practice."
            in _preview(client, refused).replace("&#x27;", "'"))

    unknown = in_support(make_resident(service=service))
    assert "No GP practice recorded" in _preview(client, unknown)
    assert not GpMessage.objects.exists()  # a preview sends nothing


# Retries ----------------------------------------------------------------------------------------------------


def test_a_failed_send_is_retried_and_the_message_stays_one(smtp, person, in_support,
                                                           django_capture_on_commit_callbacks):
    referral = in_support(person)  # the mail server is down
    discharged(referral, django_capture_on_commit_callbacks)
    message = GpMessage.objects.get(referral=referral)
    email = message.notification
    email.refresh_from_db()
    assert email.status == DeliveryStatus.PENDING and email.attempts == 1

    smtp.start()
    counts = deliver_due_notifications(now=timezone.now() + timedelta(days=1))
    assert counts["sent"] >= 1
    email.refresh_from_db()
    assert email.status == DeliveryStatus.SENT
    assert GpMessage.objects.filter(referral=referral).count() == 1
    [sent] = gp_emails(smtp)
    assert "Ada O'Brien" in pdf_text(next(sent.iter_attachments()).get_content())

    # The page shows it went.
    assert referral.gp_messages.get().notification.status == DeliveryStatus.SENT


def test_a_repeated_hook_keeps_one_message_of_each_kind(person, in_support, link_worker,
                                                        django_capture_on_commit_callbacks):
    referral = in_support(person)
    discharged(referral, django_capture_on_commit_callbacks)
    again = gp_messages.send_discharge_message(referral, actor=actor_for_user(link_worker))
    assert GpMessage.objects.filter(referral=referral).count() == 1 and again.route == GpMessageRoute.NHSMAIL


# Access -----------------------------------------------------------------------------------------------------


def test_only_the_referral_s_team_sees_the_letter_and_pdf(client, sign_in, service, other_service, organisation,
                                                          person, in_support, triage, link_worker,
                                                          django_capture_on_commit_callbacks):
    referral = in_support(person)
    discharged(referral, django_capture_on_commit_callbacks)
    paths = [f"/referrals/{referral.pk}/gp-message/discharge/{what}/" for what in ("letter", "pdf")]
    outsiders = [
        make_link_worker(service=other_service, username="gp-out-lw"),
        make_triage(service=other_service, username="gp-out-triage"),
        make_link_worker(service=service, username="gp-colleague"),
        make_provider_editor(organisation=organisation, username="gp-provider"),  # the case's own provider
    ]
    for user in outsiders:
        client.logout()
        sign_in(user)
        for path in paths:
            response = client.get(path)
            assert response.status_code in (403, 404), (user.username, path, response.status_code)
            assert b"O'Brien" not in response.content and b"O&#x27;Brien" not in response.content
    for user in (link_worker, triage):
        client.logout()
        sign_in(user)
        assert all(client.get(path).status_code == 200 for path in paths)
    # A message not sent has nothing to print.
    assert client.get(f"/referrals/{referral.pk}/gp-message/acknowledgement/letter/").status_code == 404


# The person's data ------------------------------------------------------------------------------------------


def test_the_message_is_in_the_person_s_data_and_goes_with_it(person, in_support, link_worker, triage,
                                                             django_capture_on_commit_callbacks):
    from referrals import subject_access

    referral = in_support(person)
    discharged(referral, django_capture_on_commit_callbacks)
    export = subject_access.subject_access_export(actor_for_user(triage), person)
    [message] = [m for r in export["referrals"] for m in r["gp_messages"]]
    assert message["practice"] == "Harbour Surgery" and message["sent_to"] == NHSMAIL

    subject_access.erase_resident(actor_for_user(triage), person, "Asked to be forgotten.")
    kept = GpMessage.objects.get(referral=referral)
    assert kept.content == {"anonymised": True} and kept.route == GpMessageRoute.NHSMAIL
