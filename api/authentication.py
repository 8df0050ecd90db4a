"""``Authorization: Key <key>``: the request acts as the key's bot (and its sub-bots)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission

from api.keys import api_key_find, api_key_touch
from api.models import ApiKey


class KeyAuthenticationFailed(exceptions.AuthenticationFailed):
    def __init__(self, detail, code: str) -> None:
        super().__init__(detail, code)


class KeyAuthentication(BaseAuthentication):
    keyword = "Key"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].decode(errors="replace").lower() != self.keyword.lower():
            return None
        if len(parts) != 2:
            raise KeyAuthenticationFailed(
                _("Send the header as “Authorization: Key <your key>”."), "api_key_malformed"
            )
        key = api_key_find(clear=parts[1].decode(errors="replace"))
        if key is None:
            raise KeyAuthenticationFailed(_("This API key is not valid."), "api_key_invalid")
        if not key.is_active:
            raise KeyAuthenticationFailed(_("This API key was revoked."), "api_key_revoked")
        api_key_touch(key=key)
        return (None, key)

    def authenticate_header(self, request) -> str:
        return self.keyword


class HasApiKey(BasePermission):
    message = _("Send your API key in the header “Authorization: Key <your key>”.")
    code = "api_key_missing"

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, ApiKey)


class KeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI document describes the key header."""

    target_class = "api.authentication.KeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Key <your key>` (created per bot in the admin).",
        }
