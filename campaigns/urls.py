from django.urls import path

from campaigns import views
from campaigns.wizard import CampaignWizard

app_name = "campaigns"

urlpatterns = [
    path("campaigns/", views.CampaignListView.as_view(), name="list"),
    path("bots/<slug:bot_slug>/campaigns/", views.CampaignListView.as_view(), name="bot_list"),
    path("campaigns/new/", CampaignWizard.as_view(), name="new"),
    path("campaigns/<int:pk>/", views.CampaignDetailView.as_view(), name="detail"),
]
