"""Shapes of the API's requests and answers; they also make the OpenAPI document."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from campaigns.models import Campaign, MessageTemplate, Recipient
from desk.models import Attendant

BULK_MAX_ROWS = 100_000


# --- Requests ------------------------------------------------------------------------------


class RoutingIn(serializers.Serializer):
    type = serializers.ChoiceField(
        choices=Campaign.Routing.choices, help_text=_("Where the contact's reply goes.")
    )
    bot = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=64,
        help_text=_("Identifier (slug) of the sub-bot taking the reply; required under a router."),
    )
    flow_block = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=120,
        help_text=_("Block id: the target block (flow) or the human-attendance block (attendant)."),
    )
    team = serializers.CharField(
        required=False, allow_blank=True, max_length=80, help_text=_("Desk team name (team).")
    )
    attendant_email = serializers.EmailField(
        required=False, allow_blank=True, help_text=_("The attendant's e-mail (attendant).")
    )
    fallback_minutes = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text=_(
            "Attendant routing (R22): after this many minutes without being attended, the reply "
            "goes to the attendant's team; absent: it waits for the attendant."
        ),
    )


class ParametersIn(serializers.Serializer):
    body = serializers.ListField(
        child=serializers.CharField(allow_blank=True, max_length=1000, trim_whitespace=False),
        required=False,
        default=list,
        help_text=_("Values of {{1}}, {{2}}, … (bulk: the names of the columns holding them)."),
    )
    header = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=1000
    )
    button = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=1000
    )


class _SendIn(serializers.Serializer):
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    template = serializers.CharField(max_length=120, help_text=_("Name of an approved template."))
    language = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=10,
        help_text=_("Template language (e.g. pt_BR) when the name exists in several."),
    )
    parameters = ParametersIn(required=False)
    routing = RoutingIn()
    scheduled_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text=_("Send at this time (ISO 8601 with offset); absent: send now."),
    )


class MessageIn(_SendIn):
    phone = serializers.CharField(
        required=False,
        max_length=40,
        allow_blank=True,
        trim_whitespace=False,
        help_text=_("Any notation: +55 11 98765-4321… (or give identity instead)."),
    )
    identity = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=120,
        help_text=_("The contact's WhatsApp identity, e.g. 5511987654321@wa.gw.msging.net."),
    )
    contact_name = serializers.CharField(required=False, allow_blank=True, max_length=200)


class BulkIn(_SendIn):
    name = serializers.CharField(max_length=200)
    rows = serializers.ListField(
        child=serializers.DictField(
            child=serializers.CharField(allow_blank=True, max_length=1000, trim_whitespace=False)
        ),
        min_length=1,
        max_length=BULK_MAX_ROWS,
        help_text=_(
            'One object per contact, as the lines of an audience CSV: "phone" plus columns '
            "(letters, digits and _) that become contact extras and fill the variables."
        ),
    )
    skip_invalid_rows = serializers.BooleanField(
        default=False, help_text=_("Create the campaign without the rows that have errors.")
    )


# --- Answers -------------------------------------------------------------------------------


class ErrorItem(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    field = serializers.CharField(allow_null=True)
    index = serializers.IntegerField(required=False, help_text=_("Row index (bulk rows)."))


class ErrorOut(ErrorItem):
    errors = ErrorItem(many=True)


class BotOut(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    router = serializers.CharField(source="router.slug", allow_null=True, default=None)
    service_name = serializers.CharField()
    connected_to_whatsapp = serializers.BooleanField(source="is_connected_to_whatsapp")
    desk_enabled = serializers.BooleanField()
    uses_router_context = serializers.BooleanField()


class TemplateOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    language = serializers.CharField()
    category = serializers.ChoiceField(choices=MessageTemplate.Category.choices)
    status = serializers.ChoiceField(choices=MessageTemplate.Status.choices)
    header_type = serializers.CharField()
    header_text = serializers.CharField()
    body = serializers.CharField()
    footer = serializers.CharField()
    variables = serializers.IntegerField(source="variable_count")
    needs_header = serializers.BooleanField(source="has_media_header")
    needs_button = serializers.SerializerMethodField()

    def get_needs_button(self, template) -> bool:
        return template.url_button_index is not None


class TeamOut(serializers.Serializer):
    id = serializers.IntegerField()
    bot = serializers.CharField(source="bot.slug")
    name = serializers.CharField()


class AttendantOut(serializers.Serializer):
    id = serializers.IntegerField()
    bot = serializers.CharField(source="bot.slug")
    email = serializers.EmailField()
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=Attendant.Status.choices)
    teams = serializers.SerializerMethodField()

    def get_teams(self, attendant) -> list[str]:
        return [team.name for team in attendant.teams.all()]


class FlowBlockOut(serializers.Serializer):
    bot = serializers.CharField(source="bot.slug")
    block_id = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()


class RoutingOut(serializers.Serializer):
    type = serializers.CharField(source="routing")
    bot = serializers.CharField(source="routing_bot.slug")
    flow_block = serializers.CharField(source="flow_block.block_id", allow_null=True, default=None)
    team = serializers.CharField(source="team.name", allow_null=True, default=None)
    attendant_email = serializers.CharField()


class CountsOut(serializers.Serializer):
    total = serializers.IntegerField()
    pending = serializers.IntegerField()
    sent = serializers.IntegerField()
    delivered = serializers.IntegerField()
    read = serializers.IntegerField()
    replied = serializers.IntegerField()
    failed = serializers.IntegerField()


class CampaignOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=Campaign.Kind.choices)
    status = serializers.ChoiceField(choices=Campaign.Status.choices)
    template = serializers.CharField(source="template.name")
    language = serializers.CharField(source="template.language")
    routing = RoutingOut(source="*")
    audience_size = serializers.IntegerField()
    skipped_rows = serializers.IntegerField()
    opted_out_count = serializers.IntegerField()
    import_status = serializers.CharField()
    scheduled_at = serializers.DateTimeField(allow_null=True)
    dispatched_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    failure_code = serializers.CharField()
    failure_reason = serializers.CharField()


class CampaignDetailOut(CampaignOut):
    counts = CountsOut()
    warnings = ErrorItem(many=True, required=False)


class RecipientOut(serializers.Serializer):
    id = serializers.IntegerField()
    phone = serializers.CharField(source="contact.phone")
    name = serializers.CharField(source="contact.name")
    status = serializers.ChoiceField(choices=Recipient.Status.choices)
    failure_code = serializers.CharField()
    failure_reason = serializers.CharField()
    sent_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    read_at = serializers.DateTimeField(allow_null=True)
    replied_at = serializers.DateTimeField(allow_null=True)
