"""caseload pages (being built)."""

urlpatterns = []
