"""Routes of the inbound pipeline: the message webhook."""

urlpatterns: list = []
