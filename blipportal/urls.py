from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("blipportal")
admin.site.site_title = _("blipportal")
admin.site.index_title = _("Administration")
admin.site.site_url = "/"

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(
            extra_context={
                "site_header": admin.site.site_header,
                "site_title": admin.site.site_title,
            }
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("bots.urls")),
    path("", include("campaigns.urls")),  # Growth > Active Messages and the wizard
    path("", include("campaigns.urls_sending")),  # notifications webhook, progress
    path("", include("desk.urls_webhooks")),  # inbound message webhook
    # Active messages an attendant sends from the Desk (R27): campaigns' pages in the Desk's place.
    path("desk/active-messages/", include("campaigns.desk_sends.urls")),
    path("desk/", include("desk.urls")),  # the Desk and the contact simulator
    path("api/v1/", include("api.urls")),  # the public REST API, its OpenAPI document and docs
]

handler500 = "blipportal.ops.errors.server_error"
