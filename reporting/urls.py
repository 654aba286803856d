"""The commissioners' dashboard and its exports, at /reports/, and the report by GP practice and PCN."""

from django.urls import path

from reporting import practice_views, views

app_name = "reporting"

urlpatterns = [
    path("reports/", views.dashboard, name="reports"),
    path("reports/export.csv", views.export, {"file_format": "csv"}, name="reports_export_csv"),
    path("reports/export.xlsx", views.export, {"file_format": "xlsx"}, name="reports_export_xlsx"),
    path("reports/practices/", practice_views.practices, name="reports_practices"),
    path("reports/practices/export.csv", practice_views.practices_export, {"file_format": "csv"},
         name="reports_practices_export_csv"),
    path("reports/practices/export.xlsx", practice_views.practices_export, {"file_format": "xlsx"},
         name="reports_practices_export_xlsx"),
]
