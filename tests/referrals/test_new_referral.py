"""Staff key in a referral that came by phone, email or letter: into their own service, into the
triage queue, with the referrer, the needs and the person's consent and how it was given.
"""

import re

import pytest
from django.utils.html import escape

from factories import referrals as factories
from referrals.choices import (
    SNOMED_REFERRED,
    ConsentMethod,
    ConsentPurpose,
    NotificationKind,
    ReferralStatus,
    Source,
)
from referrals.models import Consent, Notification, Referral, Resident

URL = "/referrals/triage/new/"


@pytest.fixture
def form_data(needs):
    def _data(**overrides):
        data = {
            "source": "primary_care",
            "referrer_name": "Dr A Patel",
            "referrer_role": "GP",
            "referrer_organisation": "Harbour Surgery",
            "referrer_email": "referrals@harbour-surgery.example.nhs.uk",
            "referrer_phone": "01202 000111",
            "first_name": "Ben",
            "last_name": "Carter",
            "date_of_birth_day": "3",
            "date_of_birth_month": "4",
            "date_of_birth_year": "1948",
            "nhs_number": "9434765919",
            "postcode": "BH15 1AB",
            "address": "2 Quay Road, Poole",
            "gp_practice": "Harbour Surgery",
            "preferred_contact": "phone",
            "email": "",
            "phone": "07700 900789",
            "language": "Polish",
            "interpreter_needed": "yes",
            "accessibility_needs": "Hard of hearing.",
            "priority": "urgent",
            "needs": [str(needs["walking"].pk), str(needs["loneliness"].pk)],
            "what_matters": "Wants to get fit again after his wife died.",
            "notes": "Recently bereaved; low mood.",
            "consent_referral": "yes",
            "consent_share_with_provider": "yes",
            "consent_feedback_to_referrer": "yes",
            "consent_share_with_gp": "yes",
            "consent_method": "written",
            "consent_given_by": "The person themselves",
        }
        for key, value in overrides.items():
            if value is None:
                data.pop(key, None)
            else:
                data[key] = value
        return data

    return _data


def test_triage_keys_in_a_gp_referral(sign_in, triage, service, other_service, needs, form_data):
    client = sign_in(triage)

    response = client.post(URL, form_data())

    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/referrals/{referral.pk}/"
    assert referral.service == service
    assert referral.status == ReferralStatus.RECEIVED
    assert referral.snomed_code == SNOMED_REFERRED
    assert referral.source == Source.PRIMARY_CARE
    assert referral.priority == "urgent"
    assert referral.referred_by == triage
    assert (referral.referrer_name, referral.referrer_role, referral.referrer_organisation) == (
        "Dr A Patel", "GP", "Harbour Surgery",
    )
    assert referral.referrer_email == "referrals@harbour-surgery.example.nhs.uk"
    assert referral.referrer_phone == "01202 000111"
    assert set(referral.needs.all()) == {needs["walking"], needs["loneliness"]}
    assert referral.what_matters == "Wants to get fit again after his wife died."
    assert referral.notes == "Recently bereaved; low mood."

    resident = referral.resident
    assert resident.service == service
    assert (resident.first_name, resident.last_name, str(resident.date_of_birth)) == ("Ben", "Carter", "1948-04-03")
    assert (resident.language, resident.interpreter_needed) == ("Polish", True)
    assert resident.preferred_contact == "phone"

    consents = {c.purpose: c for c in Consent.objects.filter(referral=referral)}
    assert set(consents) == set(ConsentPurpose.values)
    assert all(c.given and c.method == ConsentMethod.WRITTEN for c in consents.values())
    assert all(c.recorded_by == triage for c in consents.values())
    # A professional's referral is not acknowledged to the person like a self-referral.
    assert not Notification.objects.filter(kind=NotificationKind.SELF_REFERRAL_RECEIVED).exists()

    page = client.get(response["Location"]).content.decode()
    assert f"Referral {referral.reference} saved" in page


def test_a_link_workers_referral_still_goes_to_triage(sign_in, link_worker, service, form_data):
    client = sign_in(link_worker)

    response = client.post(URL, form_data(source="other_professional", referrer_name="Lee Worker"))

    referral = Referral.objects.get()
    assert response["Location"] == f"/referrals/{referral.pk}/"
    assert referral.service == service
    assert referral.status == ReferralStatus.RECEIVED
    assert referral.link_worker is None and referral.tier == ""
    assert referral.referred_by == link_worker
    # They can still see the referral they made.
    assert client.get(response["Location"]).status_code == 200


def test_staff_create_only_into_their_own_service(sign_in, service, other_service, form_data):
    halton_triage = factories.make_triage(service=other_service, username="hal")
    client = sign_in(halton_triage)

    client.post(URL, form_data(postcode="BH15 1AB"))

    referral = Referral.objects.get()
    # The postcode does not move it: staff refer into the service they work for.
    assert referral.service == other_service
    assert referral.resident.service == other_service


def test_a_person_who_rang_in_is_recorded_as_a_self_referral(sign_in, triage, service, form_data):
    client = sign_in(triage)

    client.post(URL, form_data(source="self", referrer_name="", consent_method="verbal",
                               consent_feedback_to_referrer="yes"))

    referral = Referral.objects.get()
    assert referral.source == Source.SELF
    assert referral.referrer_name == "" and referral.referrer_email == ""
    # No referrer to feed back to; their GP practice is still asked about (it is told unless they refuse).
    assert set(referral.consents.values_list("purpose", flat=True)) == {
        ConsentPurpose.REFERRAL, ConsentPurpose.SHARE_WITH_PROVIDER, ConsentPurpose.SHARE_WITH_GP,
    }
    assert set(referral.consents.values_list("method", flat=True)) == {ConsentMethod.VERBAL}
    # Acknowledged like any self-referral: here a phone call, a task for the team.
    assert Notification.objects.filter(referral=referral, kind=NotificationKind.SELF_REFERRAL_RECEIVED).exists()


def test_consent_given_by_someone_else_is_recorded(sign_in, triage, service, form_data):
    sign_in(triage).post(URL, form_data(consent_given_by="Mary Carter (daughter, lasting power of attorney)",
                                        consent_share_with_provider=None))

    referral = Referral.objects.get()
    share = referral.consents.get(purpose=ConsentPurpose.SHARE_WITH_PROVIDER)
    assert share.given is False
    assert share.given_by == "Mary Carter (daughter, lasting power of attorney)"


def test_the_form_groups_every_need_under_its_top_level_term(sign_in, triage, service, needs):
    page = sign_in(triage).get(URL).content.decode()

    assert "<title>New referral" in page
    physical = page.index(">Physical activity</label>")
    walking = page.index(">Walking</label>")
    group_end = page.index('<div class="signpost-need-group">', physical)
    assert physical < walking < group_end


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"consent_referral": None}, "consent_referral", "The person must agree to being referred"),
        ({"referrer_name": ""}, "referrer_name", "Enter the name of the professional making the referral"),
        ({"preferred_contact": "email"}, "email", "Enter an email address, or choose another way to be contacted."),
        ({"nhs_number": "9434765918"}, "nhs_number", "This is not a valid NHS number"),
        ({"date_of_birth_month": "13"}, "date_of_birth", "Date of birth must be a real date"),
        ({"source": None}, "source", "Choose where the referral comes from"),
        ({"first_name": ""}, "first_name", "Enter the person's first name"),
        ({"consent_given_by": ""}, "consent_given_by", "Say who agreed"),
    ],
)
def test_each_mistake_is_shown_and_nothing_is_saved(sign_in, triage, service, form_data, overrides, field, message):
    response = sign_in(triage).post(URL, form_data(**overrides))

    assert response.status_code == 200
    page = response.content.decode()
    assert "<title>Error: New referral" in page
    summary = re.search(r'<div class="nhsuk-error-summary".*?</ul>', page, re.S).group(0)
    assert escape(message) in summary
    assert f'id="id_{field}-error"' in page
    assert Referral.objects.count() == 0
    assert Resident.objects.count() == 0


def test_a_provider_editor_is_refused(sign_in, provider_editor, service, form_data):
    client = sign_in(provider_editor)

    assert client.get(URL).status_code == 403
    assert client.post(URL, form_data()).status_code == 403
    assert Referral.objects.count() == 0


def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in(client, service, form_data):
    response = client.post(URL, form_data())

    assert response.status_code == 302
    assert "login" in response["Location"] and "next=" in response["Location"]
    assert Referral.objects.count() == 0


def test_staff_without_a_second_factor_are_sent_to_prove_one(sign_in, triage, service, form_data):
    client = sign_in(triage, verified=False)

    response = client.post(URL, form_data())

    assert response.status_code == 302
    assert response["Location"].startswith("/account/two-factor/")
    assert Referral.objects.count() == 0


def test_staff_who_work_for_no_service_cannot_key_in_a_referral(sign_in, service, form_data):
    from django.contrib.auth.models import Group

    from referrals.roles import TRIAGE_GROUP, ensure_staff_groups

    ensure_staff_groups()
    drifter = factories.make_user("drifter")
    drifter.groups.add(Group.objects.get(name=TRIAGE_GROUP))

    assert sign_in(drifter).post(URL, form_data()).status_code == 403
    assert Referral.objects.count() == 0
