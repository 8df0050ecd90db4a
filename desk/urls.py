from django.urls import path

from desk import views, views_simulator, views_tools, views_workspace

app_name = "desk"

ticket = "<slug:bot_slug>/tickets/<int:pk>/"
urlpatterns = [
    path("", views_workspace.HomeView.as_view(), name="home"),
    path("queue/", views_workspace.HomeFragmentView.as_view(), name="home_fragment"),
    path("status/", views.StatusView.as_view(), name="status"),
    path("attend/", views.AttendNextView.as_view(), name="attend_next"),
    path("heartbeat/", views_tools.HeartbeatView.as_view(), name="heartbeat"),
    path("supervisor/", views.SupervisorView.as_view(), name="supervisor"),
    path("supervisor/board/", views.SupervisorFragmentView.as_view(), name="supervisor_board"),
    path(ticket, views_workspace.TicketView.as_view(), name="ticket"),
    path(f"{ticket}messages/", views.TicketMessagesView.as_view(), name="ticket_messages"),
    path(f"{ticket}reply/", views.TicketReplyView.as_view(), name="ticket_reply"),
    path(f"{ticket}transfer/", views.TicketTransferView.as_view(), name="ticket_transfer"),
    path(f"{ticket}close/", views.TicketCloseView.as_view(), name="ticket_close"),
    path(f"{ticket}hold/", views_tools.TicketHoldView.as_view(), name="ticket_hold"),
    path(f"{ticket}notes/", views_tools.TicketNoteView.as_view(), name="ticket_note"),
    path("simulator/", views_simulator.SimulatorView.as_view(), name="simulator"),
    path("simulator/log/", views_simulator.SimulatorLogView.as_view(), name="simulator_log"),
    path("simulator/send/", views_simulator.SimulatorSendView.as_view(), name="simulator_send"),
]
