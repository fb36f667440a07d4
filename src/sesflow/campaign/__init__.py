"""Campaigns: a recipient list and templates in, every recipient sent exactly once or honestly reported.

::

    from sesflow.campaign import Campaign

    campaign = Campaign.from_file("november.yaml")
    summary = campaign.send()          # validate every row, load the ledger, send
    print(summary.counts.to_dict())    # {'pending': 0, 'sending': 0, 'sent': 998, 'failed': 1, ...}
    campaign.reconcile()               # settle rows whose outcome is unknown from SES's own exports

The pieces: ``spec`` (the campaign file), ``recipients`` (CSV, JSON Lines, SQL, iterables), ``render``
(sandboxed Jinja2, the Message of each row), ``loading`` (validation + ledger load), ``ledger`` (SQLite and
PostgreSQL), ``writer`` + ``transport`` (durable claims before requests), ``runner`` (one worker),
``reconcile`` + ``exports`` (unknown rows settled from Message Insights), ``outcomes`` (the
``campaign_outcomes`` view), ``status``.
"""

from __future__ import annotations

from sesflow.campaign.campaign import Campaign, ProgressCallback, list_campaigns
from sesflow.campaign.ledger import CampaignRecord, LedgerCounts, LedgerLocation
from sesflow.campaign.loading import Validation
from sesflow.campaign.outcomes import Published
from sesflow.campaign.recipients import Problem
from sesflow.campaign.reconcile import ReconcileSummary
from sesflow.campaign.runner import Progress, RunSummary
from sesflow.campaign.spec import CampaignSpec, load_spec
from sesflow.campaign.status import CampaignStatus

__all__ = [
    "Campaign",
    "CampaignRecord",
    "CampaignSpec",
    "CampaignStatus",
    "LedgerCounts",
    "LedgerLocation",
    "Problem",
    "Progress",
    "ProgressCallback",
    "Published",
    "ReconcileSummary",
    "RunSummary",
    "Validation",
    "list_campaigns",
    "load_spec",
]
