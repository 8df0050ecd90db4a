"""WebSocket routes of the Desk (mounted by ``blipportal.asgi``)."""

from django.urls import path

from desk.live import consumers

websocket_urlpatterns = [
    path(
        "ws/desk/<slug:bot_slug>/attendant/<int:attendant_id>/",
        consumers.AttendantConsumer.as_asgi(),
        name="desk_socket_attendant",
    ),
    path(
        "ws/desk/<slug:bot_slug>/supervisor/",
        consumers.SupervisorConsumer.as_asgi(),
        name="desk_socket_supervisor",
    ),
]


def attendant_socket_path(*, bot_slug: str, attendant_id: int) -> str:
    return f"/ws/desk/{bot_slug}/attendant/{attendant_id}/"


def supervisor_socket_path(*, bot_slug: str) -> str:
    return f"/ws/desk/{bot_slug}/supervisor/"
