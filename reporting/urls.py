"""The commissioners' dashboard and its exports, at /reports/."""

from django.urls import path

from reporting import views

app_name = "reporting"

urlpatterns = [
    path("reports/", views.dashboard, name="reports"),
    path("reports/export.csv", views.export, {"file_format": "csv"}, name="reports_export_csv"),
    path("reports/export.xlsx", views.export, {"file_format": "xlsx"}, name="reports_export_xlsx"),
]
