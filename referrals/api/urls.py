"""The referral API's routes: /api/v1/referrals/..., a referral named by its reference."""

from django.urls import path

from referrals.api.views import CASEWORK_APIS, STEP_APIS, ReferralCreateApi, ReferralDetailApi, ReferralListApi

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
]
