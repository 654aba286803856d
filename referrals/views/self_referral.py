"""self_referral pages (being built)."""

urlpatterns = []
