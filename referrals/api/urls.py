"""The referral API's routes: /api/v1/referrals/..., a referral named by its reference, a connection
by its number within the referral."""

from django.urls import path, register_converter

from referrals.api.summary import ReferralSummaryApi
from referrals.api.views import (
    CASEWORK_APIS,
    CONNECTION_STEP_APIS,
    MAX_CONNECTION_NUMBER,
    STEP_APIS,
    CarePlanActionAddApi,
    CarePlanActionApi,
    CarePlanApi,
    CarePlanGoalAddApi,
    CarePlanGoalApi,
    CarePlanHistoryApi,
    CarePlanWhatMattersApi,
    ConnectionApi,
    ConnectionsApi,
    DischargeApi,
    DischargePreviewApi,
    DischargeSummaryApi,
    ReferralCloseApi,
    ReferralCreateApi,
    ReferralDetailApi,
    ReferralListApi,
)


class ConnectionNumberConverter:
    """``<connection_number:number>``: 1 to ``MAX_CONNECTION_NUMBER`` (anything else is a 404)."""

    regex = "[0-9]{1,4}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_CONNECTION_NUMBER:
            raise ValueError(value)
        return number

    def to_url(self, value) -> str:
        return str(value)


register_converter(ConnectionNumberConverter, "connection_number")

REFERRAL = "api/v1/referrals/<str:reference>/"
CONNECTION = REFERRAL + "connections/<connection_number:number>/"

urlpatterns = [
    path("api/v1/referrals/", ReferralListApi.as_view(), name="api-referral-list"),
    path("api/v1/referrals/create/", ReferralCreateApi.as_view(), name="api-referral-create"),
    path(REFERRAL, ReferralDetailApi.as_view(), name="api-referral-detail"),
    *[path(f"{REFERRAL}{segment}/", api.as_view(), name=f"api-referral-{segment}") for segment, api in STEP_APIS.items()],
    # Closing was replaced by discharge: a 410 that says how to discharge.
    path(f"{REFERRAL}close/", ReferralCloseApi.as_view(), name="api-referral-close"),
    # Connections, each named by its number.
    path(f"{REFERRAL}connections/", ConnectionsApi.as_view(), name="api-referral-connections"),
    path(CONNECTION, ConnectionApi.as_view(), name="api-referral-connection"),
    *[path(f"{CONNECTION}{segment}/", api.as_view(), name=f"api-referral-connection-{segment}")
      for segment, api in CONNECTION_STEP_APIS.items()],
    # Discharge: check the summary, then discharge; then the final summary.
    path(f"{REFERRAL}discharge/preview/", DischargePreviewApi.as_view(), name="api-referral-discharge-preview"),
    path(f"{REFERRAL}discharge/", DischargeApi.as_view(), name="api-referral-discharge"),
    path(f"{REFERRAL}discharge-summary/", DischargeSummaryApi.as_view(), name="api-referral-discharge-summary"),
    # The message back to the GP and referrer, as JSON or a FHIR document.
    path(f"{REFERRAL}summary/", ReferralSummaryApi.as_view(), name="api-referral-summary"),
    *[path(f"{REFERRAL}{route}", api.as_view(), name=name) for route, (api, name) in CASEWORK_APIS.items()],
    # The care and support plan.
    path(f"{REFERRAL}plan/", CarePlanApi.as_view(), name="api-referral-plan"),
    path(f"{REFERRAL}plan/what-matters/", CarePlanWhatMattersApi.as_view(), name="api-referral-plan-what-matters"),
    path(f"{REFERRAL}plan/goals/", CarePlanGoalAddApi.as_view(), name="api-referral-plan-goals"),
    path(f"{REFERRAL}plan/goals/<id:goal_id>/", CarePlanGoalApi.as_view(), name="api-referral-plan-goal"),
    path(f"{REFERRAL}plan/actions/", CarePlanActionAddApi.as_view(), name="api-referral-plan-actions"),
    path(f"{REFERRAL}plan/actions/<id:action_id>/", CarePlanActionApi.as_view(), name="api-referral-plan-action"),
    path(f"{REFERRAL}plan/history/", CarePlanHistoryApi.as_view(), name="api-referral-plan-history"),
]
