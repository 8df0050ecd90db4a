from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

admin.site.site_header = _("blipportal")
admin.site.site_title = _("blipportal")
admin.site.index_title = _("Administration")


def home(request):
    return redirect("admin:index")


urlpatterns = [
    path("", home, name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
