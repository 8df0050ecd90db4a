from django.urls import path, re_path
from drf_spectacular.renderers import OpenApiJsonRenderer
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from api import views
from api.errors import not_found

app_name = "api"

urlpatterns = [
    path("bots", views.BotsView.as_view(), name="bots"),
    path("templates", views.TemplatesView.as_view(), name="templates"),
    path("teams", views.TeamsView.as_view(), name="teams"),
    path("attendants", views.AttendantsView.as_view(), name="attendants"),
    path("flow-blocks", views.FlowBlocksView.as_view(), name="flow_blocks"),
    path("messages", views.MessagesView.as_view(), name="messages"),
    path("campaigns", views.CampaignsView.as_view(), name="campaigns"),
    path("campaigns/<int:pk>", views.CampaignView.as_view(), name="campaign"),
    path("campaigns/<int:pk>/cancel", views.CampaignCancelView.as_view(), name="campaign_cancel"),
    path("campaigns/<int:pk>/recipients", views.RecipientsView.as_view(), name="recipients"),
    path(
        "openapi.json",
        SpectacularAPIView.as_view(
            renderer_classes=[OpenApiJsonRenderer],
            authentication_classes=[],
            permission_classes=[],
            throttle_classes=[],
        ),
        name="schema",
    ),
    path(
        "docs",
        SpectacularSwaggerView.as_view(
            url_name="api:schema",
            authentication_classes=[],
            permission_classes=[],
            throttle_classes=[],
        ),
        name="docs",
    ),
    re_path(r"^.*$", not_found),
]
