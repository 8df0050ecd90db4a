"""Campaign models, one module per aggregate; import them from here."""

from campaigns.models.campaign import (
    CAMPAIGN_TRANSITIONS,
    Campaign,
    CampaignStatus,
    ImportStatus,
)
from campaigns.models.desk_sends import DeskSend, DeskSender, DeskSendSettings
from campaigns.models.heartbeat import SchedulerHeartbeat
from campaigns.models.recipients import (
    RECIPIENT_RANK,
    RECIPIENT_TRANSITIONS,
    Recipient,
    RecipientStatus,
)
from campaigns.models.results import CampaignResults
from campaigns.models.templates import (
    MAX_QUICK_REPLIES,
    TEMPLATE_NAME_RE,
    VARIABLE_RE,
    MessageTemplate,
    template_variables,
)

__all__ = [
    "CAMPAIGN_TRANSITIONS",
    "MAX_QUICK_REPLIES",
    "RECIPIENT_RANK",
    "RECIPIENT_TRANSITIONS",
    "TEMPLATE_NAME_RE",
    "VARIABLE_RE",
    "Campaign",
    "CampaignResults",
    "CampaignStatus",
    "DeskSend",
    "DeskSendSettings",
    "DeskSender",
    "ImportStatus",
    "MessageTemplate",
    "Recipient",
    "RecipientStatus",
    "SchedulerHeartbeat",
    "template_variables",
]
