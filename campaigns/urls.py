from django.urls import path, register_converter

from campaigns import views, views_controls, views_report
from campaigns.wizard import CampaignWizard

app_name = "campaigns"


class ExportFormat:
    regex = "csv|xlsx"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ExportFormat, "export_format")

urlpatterns = [
    path("campaigns/", views.CampaignListView.as_view(), name="list"),
    path("bots/<slug:bot_slug>/campaigns/", views.CampaignListView.as_view(), name="bot_list"),
    path("campaigns/new/", CampaignWizard.as_view(), name="new"),
    path("campaigns/<int:pk>/", views.CampaignDetailView.as_view(), name="detail"),
]

# The report (issue 11): figures, recipients, exports and a recipient's conversation.
urlpatterns += [
    path("campaigns/<int:pk>/report/", views_report.CampaignReportView.as_view(), name="report"),
    path(
        "campaigns/<int:pk>/report/recipients.<export_format:fmt>",
        views_report.CampaignExportView.as_view(),
        name="export",
    ),
    path(
        "campaigns/<int:pk>/recipients/<int:recipient_pk>/conversation/",
        views_report.RecipientConversationView.as_view(),
        name="recipient_conversation",
    ),
]

# The operator's controls (issue 11): cancel, reschedule, duplicate.
urlpatterns += [
    path("campaigns/<int:pk>/cancel/", views_controls.CampaignCancelView.as_view(), name="cancel"),
    path(
        "campaigns/<int:pk>/reschedule/",
        views_controls.CampaignRescheduleView.as_view(),
        name="reschedule",
    ),
    path(
        "campaigns/<int:pk>/duplicate/",
        views_controls.CampaignDuplicateView.as_view(),
        name="duplicate",
    ),
]
