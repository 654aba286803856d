"""account pages (being built)."""

urlpatterns = []
