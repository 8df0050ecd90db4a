"""Django REST Framework and drf-spectacular settings, imported by blipportal/settings.py.

Kept here, beside the API they configure, so the project settings only gain one import line.
Plain values (and lazy translations) only: this module is read before the apps are loaded.
"""

from django.utils.translation import gettext_lazy as _

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.KeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.authentication.HasApiKey"],
    "DEFAULT_THROTTLE_CLASSES": ["api.ratelimit.ApiKeyThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "UNAUTHENTICATED_USER": None,
    "DATETIME_FORMAT": "iso-8601",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "blipportal API",
    "DESCRIPTION": _(
        "Send WhatsApp active messages with reply routing (flow block, Desk team or one "
        "attendant) from your own systems. Authenticate with `Authorization: Key <key>` (keys "
        "are created per bot in the admin). Every POST accepts an `Idempotency-Key` header: a "
        "retried request returns the first result and never sends twice. Errors are JSON "
        "`{code, message, field}` with the same codes as the portal's wizard; messages follow "
        "`Accept-Language` (pt-BR by default, or en)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "CampaignStatusEnum": "campaigns.models.CampaignStatus",
        "RecipientStatusEnum": "campaigns.models.RecipientStatus",
    },
}
