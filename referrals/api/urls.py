"""The referral API's routes: /api/v1/referrals/..., a referral named by its reference."""

from django.urls import path

from referrals.api.views import (
    CASEWORK_APIS,
    STEP_APIS,
    CarePlanActionAddApi,
    CarePlanActionApi,
    CarePlanApi,
    CarePlanGoalAddApi,
    CarePlanGoalApi,
    CarePlanHistoryApi,
    CarePlanWhatMattersApi,
    ReferralCreateApi,
    ReferralDetailApi,
    ReferralListApi,
)

urlpatterns = [
    path("api/v1/referrals/", ReferralListApi.as_view(), name="api-referral-list"),
    path("api/v1/referrals/create/", ReferralCreateApi.as_view(), name="api-referral-create"),
    path("api/v1/referrals/<str:reference>/", ReferralDetailApi.as_view(), name="api-referral-detail"),
    *[
        path(f"api/v1/referrals/<str:reference>/{segment}/", api.as_view(), name=f"api-referral-{segment}")
        for segment, api in STEP_APIS.items()
    ],
    *[
        path(f"api/v1/referrals/<str:reference>/{route}", api.as_view(), name=name)
        for route, (api, name) in CASEWORK_APIS.items()
    ],
    # The care and support plan.
    path("api/v1/referrals/<str:reference>/plan/", CarePlanApi.as_view(), name="api-referral-plan"),
    path("api/v1/referrals/<str:reference>/plan/what-matters/", CarePlanWhatMattersApi.as_view(),
         name="api-referral-plan-what-matters"),
    path("api/v1/referrals/<str:reference>/plan/goals/", CarePlanGoalAddApi.as_view(), name="api-referral-plan-goals"),
    path("api/v1/referrals/<str:reference>/plan/goals/<id:goal_id>/", CarePlanGoalApi.as_view(),
         name="api-referral-plan-goal"),
    path("api/v1/referrals/<str:reference>/plan/actions/", CarePlanActionAddApi.as_view(),
         name="api-referral-plan-actions"),
    path("api/v1/referrals/<str:reference>/plan/actions/<id:action_id>/", CarePlanActionApi.as_view(),
         name="api-referral-plan-action"),
    path("api/v1/referrals/<str:reference>/plan/history/", CarePlanHistoryApi.as_view(),
         name="api-referral-plan-history"),
]
