from django.urls import path

from campaigns.desk_sends import views

app_name = "desk_sends"

urlpatterns = [
    path("", views.DeskSentListView.as_view(), name="list"),
    path("new/", views.DeskSendNewView.as_view(), name="new"),
]
