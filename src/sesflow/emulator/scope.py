"""Whose state a request touches: the AWS account (from the access key) and the region (from the SigV4
credential scope). SES keeps identities, templates, configuration sets, quotas and exports per account and
region; so does the emulator.
"""

from __future__ import annotations

import re
from typing import NamedTuple

DEFAULT_ACCOUNT = "123456789012"
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
_ACCOUNT_KEY = re.compile(r"^\d{12}$")


class Scope(NamedTuple):
    """An (account id, region) pair: one SES "account in a region"."""

    account: str
    region: str


def account_for_key(access_key: str) -> str:
    """The account an access key belongs to: a 12-digit key names its account (as LocalStack does), any
    other key is the emulator's default account ``123456789012``."""
    return access_key if _ACCOUNT_KEY.match(access_key) else DEFAULT_ACCOUNT


def valid_region(name: str) -> bool:
    """True for a region name of AWS's form (``us-east-1``, ``ap-southeast-2``, ``us-gov-west-1``)."""
    return bool(_REGION.match(name))
