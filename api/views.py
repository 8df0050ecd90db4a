"""The API's endpoints: parse, call one service or selector, answer. No rule lives here."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api import idempotency, selectors, sends
from api import serializers as s
from api.errors import ApiError
from campaigns.models import Campaign, CampaignStatus, MessageTemplate, Recipient
from campaigns.services import campaign_cancel
from desk.models import Attendant

CAMPAIGN_NOT_CANCELABLE = "campaign_not_cancelable"
ERRORS = {
    400: OpenApiResponse(s.ErrorOut, description=_("Malformed request.")),
    401: OpenApiResponse(s.ErrorOut, description=_("Missing, invalid or revoked API key.")),
    404: OpenApiResponse(
        s.ErrorOut, description=_("Not found: an unknown id, a page past the end.")
    ),
    429: OpenApiResponse(s.ErrorOut, description=_("Rate limit reached: see Retry-After.")),
}
SEND_ERRORS = {
    **ERRORS,
    422: OpenApiResponse(s.ErrorOut, description=_("Refused by a rule (R-codes, row errors).")),
}


def _query(name: str, description: str, enum=None) -> OpenApiParameter:
    return OpenApiParameter(name, str, OpenApiParameter.QUERY, description=description, enum=enum)


BOT_QUERY = _query("bot", _("Only this (sub-)bot, by identifier."))


def campaign_detail(campaign: Campaign, **extra) -> dict:
    return {
        **s.CampaignOut(campaign).data,
        "counts": selectors.campaign_counts(campaign=campaign),
        "warnings": sends.attendant_warnings(campaign=campaign),
        **extra,
    }


class BotsView(generics.ListAPIView):
    serializer_class = s.BotOut
    pagination_class = None

    @extend_schema(
        summary=_("The key's bot and its sub-bots"), responses={200: s.BotOut(many=True), **ERRORS}
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.bots_list(key=self.request.auth)


class TemplatesView(generics.ListAPIView):
    serializer_class = s.TemplateOut

    @extend_schema(
        summary=_("Message templates"),
        parameters=[_query("status", _("Only this status."), MessageTemplate.Status.values)],
        responses={200: s.TemplateOut(many=True), **ERRORS},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.templates_list(
            key=self.request.auth, status=_choice(self.request, "status", MessageTemplate.Status)
        )


class TeamsView(generics.ListAPIView):
    serializer_class = s.TeamOut

    @extend_schema(
        summary=_("Desk teams"),
        parameters=[BOT_QUERY],
        responses={200: s.TeamOut(many=True), **ERRORS},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.teams_list(key=self.request.auth, bot_slug=_param(self.request, "bot"))


class AttendantsView(generics.ListAPIView):
    serializer_class = s.AttendantOut

    @extend_schema(
        summary=_("Desk attendants with their status"),
        parameters=[BOT_QUERY, _query("status", _("Only this status."), Attendant.Status.values)],
        responses={200: s.AttendantOut(many=True), **ERRORS},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.attendants_list(
            key=self.request.auth,
            bot_slug=_param(self.request, "bot"),
            status=_choice(self.request, "status", Attendant.Status),
        )


class FlowBlocksView(generics.ListAPIView):
    serializer_class = s.FlowBlockOut

    @extend_schema(
        summary=_("Flow blocks (human-attendance blocks have kind human)"),
        parameters=[BOT_QUERY, _query("kind", _("Only this kind."), ["standard", "human"])],
        responses={200: s.FlowBlockOut(many=True), **ERRORS},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        kind = _param(self.request, "kind")
        return selectors.flow_blocks_list(
            key=self.request.auth,
            bot_slug=_param(self.request, "bot"),
            kind=kind if kind in ("standard", "human") else ("none" if kind else ""),
        )


class MessagesView(APIView):
    @extend_schema(
        summary=_("Send an active message to one contact"),
        request=s.MessageIn,
        parameters=[idempotency.PARAMETER],
        responses={201: s.CampaignDetailOut, **SEND_ERRORS},
    )
    @idempotency.idempotent
    def post(self, request):
        data = _valid(s.MessageIn, request)
        campaign = sends.message_send(key=request.auth, data=data)
        return Response(campaign_detail(campaign), status=status.HTTP_201_CREATED)


class CampaignsView(generics.ListAPIView):
    serializer_class = s.CampaignOut

    @extend_schema(
        summary=_("Campaigns of the bot, newest first"),
        parameters=[
            _query("status", _("Only this status."), CampaignStatus.values),
            _query("kind", _("Only this kind."), Campaign.Kind.values),
        ],
        responses={200: s.CampaignOut(many=True), **ERRORS},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.campaigns_list(
            key=self.request.auth,
            status=_choice(self.request, "status", CampaignStatus),
            kind=_choice(self.request, "kind", Campaign.Kind),
        )

    @extend_schema(
        summary=_("Create a bulk campaign from a list of rows"),
        request=s.BulkIn,
        parameters=[idempotency.PARAMETER],
        responses={201: s.CampaignDetailOut, **SEND_ERRORS},
    )
    @idempotency.idempotent
    def post(self, request):
        data = _valid(s.BulkIn, request)
        result = sends.bulk_create(key=request.auth, data=data)
        body = campaign_detail(result.campaign, skipped_rows_errors=result.skipped)
        return Response(body, status=status.HTTP_201_CREATED)


class CampaignView(APIView):
    @extend_schema(
        summary=_("A campaign with its counts"),
        responses={200: s.CampaignDetailOut, **ERRORS},
    )
    def get(self, request, pk: int):
        return Response(campaign_detail(selectors.campaign_get(key=request.auth, pk=pk)))


class CampaignCancelView(APIView):
    @extend_schema(
        summary=_("Cancel a scheduled campaign"),
        request=None,
        parameters=[idempotency.PARAMETER],
        responses={
            200: s.CampaignDetailOut,
            409: OpenApiResponse(s.ErrorOut, description=_("Not scheduled (any more).")),
            **ERRORS,
        },
    )
    @idempotency.idempotent
    def post(self, request, pk: int):
        campaign = selectors.campaign_get(key=request.auth, pk=pk)
        canceled = campaign.status == CampaignStatus.SCHEDULED and campaign_cancel(
            campaign=campaign
        )
        if not canceled:
            raise ApiError(
                _("Only a scheduled campaign can be canceled; this one is %(status)s.")
                % {"status": campaign.get_status_display()},
                code=CAMPAIGN_NOT_CANCELABLE,
                status_code=409,
            )
        return Response(campaign_detail(campaign))


class RecipientsView(generics.ListAPIView):
    serializer_class = s.RecipientOut

    @extend_schema(
        summary=_("Recipients of a campaign, paginated"),
        parameters=[
            _query("status", _("Only this status."), Recipient.Status.values),
            _query("phone", _("Only this phone (E.164).")),
        ],
        responses={200: s.RecipientOut(many=True), **ERRORS},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        campaign = selectors.campaign_get(key=self.request.auth, pk=self.kwargs["pk"])
        return selectors.recipients_list(
            campaign=campaign,
            status=_choice(self.request, "status", Recipient.Status),
            phone=_param(self.request, "phone"),
        )


def _param(request, name: str) -> str:
    value = (request.query_params.get(name) or "").strip()
    if "\x00" in value:  # no database stores it; PostgreSQL refuses the query outright
        raise ApiError(
            _("The filter %(name)s has a null character.") % {"name": name},
            code="invalid_filter",
            field=name,
            status_code=400,
        )
    return value


def _choice(request, name: str, choices) -> str:
    value = _param(request, name)
    if value and value not in choices.values:
        raise ApiError(
            _("Unknown %(name)s %(value)s.") % {"name": name, "value": value},
            code="invalid_filter",
            field=name,
            status_code=400,
        )
    return value


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
