from django.conf import settings


def portal(request) -> dict:
    """Values every page's layout needs; kept cheap because the admin renders it too."""
    return {"WHATSAPP_GATEWAY": settings.WHATSAPP_GATEWAY}
