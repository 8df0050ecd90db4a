"""The sending engine: fan-out, chunked claims, concurrent sends, retries and statuses.

``start_sending`` fans a campaign already in Sending out to the workers in batches of ids;
``campaigns.sending.engine`` sends them, ``scheduling`` dispatches due campaigns and
``recovery`` settles what crashed workers left behind.
"""

from django.conf import settings

# Recipients per task. A task works its batch in chunks (``engine.chunk_size``), the next chunk
# going out while the one before is recorded; a batch of a few chunks would leave its last
# record unhidden and pay the task's fixed costs (loading the campaign, starting the senders,
# the "finished?" check) every couple of hundred messages; a batch of thousands would leave one
# worker finishing a campaign alone while the others idle. Claims make a redelivered batch
# harmless whatever its size.
BATCH_SIZE = 500


def start_sending(*, campaign_id: int) -> int:
    """Enqueue one task per batch of Pending recipients; returns the number of batches.

    Recipients deferred by the bot's messaging limit (R26) wait until their slot should free:
    recovery enqueues them then. Safe to call again for the same campaign: each recipient is
    claimed by compare-and-set, so a batch enqueued twice sends nothing twice.
    """
    from django.db.models import Q
    from django.utils import timezone

    from campaigns import jobs
    from campaigns.models import Recipient
    from campaigns.sending.engine import campaign_finish_if_done

    due = Q(deferred_until__isnull=True) | Q(deferred_until__lte=timezone.now())
    ids = list(
        Recipient.objects.filter(due, campaign_id=campaign_id, status=Recipient.Status.PENDING)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    size = getattr(settings, "SENDING_BATCH_SIZE", BATCH_SIZE)
    batches = [ids[i : i + size] for i in range(0, len(ids), size)]
    for batch in batches:
        jobs.send_batch(campaign_id=campaign_id, recipient_ids=batch)
    if not batches:
        campaign_finish_if_done(campaign_id=campaign_id)
    return len(batches)
