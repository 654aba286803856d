"""Staff and public pages for referrals. Each area's views module owns its own URL patterns."""

from django.urls import include, path

from primarycare import views as practices
from referrals.views import (
    account,
    care_plan,
    caseload,
    casework,  # contacts and safeguarding on the team's referral page
    connections,  # connections on the team's referral page
    discharge,  # discharge from the team's referral page
    gp_messages,  # the message back to the GP practice: the letter to print and the PDF
    outcomes,
    people,  # same person: joining two records, from triage
    provider,
    self_referral,
    self_referral_steps,  # the self-referral in short steps, started by self_referral
    staff_home,  # the role home: each member of staff's work after signing in
    subject_access,
    triage,
)

app_name = "referrals"

urlpatterns = [
    path("refer-yourself/", include(self_referral.urlpatterns)),
    path("refer-yourself/", include(self_referral_steps.urlpatterns)),
    # Public: residents choosing their GP practice use it too (it answers nothing personal).
    path("referrals/practices/", include(practices.urlpatterns)),
    path("referrals/residents/", include(subject_access.urlpatterns)),
    path("referrals/", include(caseload.urlpatterns)),
    path("referrals/", include(casework.urlpatterns)),
    path("referrals/", include(connections.urlpatterns)),
    path("referrals/", include(discharge.urlpatterns)),
    path("referrals/", include(gp_messages.urlpatterns)),
    path("referrals/triage/", include(triage.urlpatterns)),
    path("referrals/triage/", include(people.urlpatterns)),
    path("referrals/provider/", include(provider.urlpatterns)),
    path("account/", include(account.urlpatterns)),
    path("staff/", include(staff_home.urlpatterns)),
    path("answers/", include(outcomes.urlpatterns)),
    path("referrals/", include(outcomes.referral_urlpatterns)),
    path("referrals/", include(care_plan.referral_urlpatterns)),
    path("your-plan/", include(care_plan.public_urlpatterns)),
]
