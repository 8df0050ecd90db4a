"""Routes of the sending engine: the delivery-notification webhook and campaign progress."""

urlpatterns: list = []
