from django.urls import path

from bots import views

urlpatterns = [
    path("", views.home, name="home"),
    path("portal/bot/", views.switch_bot, name="switch_bot"),
]
