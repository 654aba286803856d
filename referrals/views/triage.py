"""triage pages (being built)."""

urlpatterns = []
