"""Everything one running emulator holds: its options, the mailbox, the accounts and regions, the sends
log, faults and the export download keys. Used only from the server's event loop.
"""

from __future__ import annotations

import base64
import random
import secrets
import time
import uuid

from sesflow.emulator.config import EmulatorConfig
from sesflow.emulator.faults import Faults
from sesflow.emulator.limits import SendsLog
from sesflow.emulator.persistence import Database
from sesflow.emulator.region import Region, Regions
from sesflow.emulator.scope import DEFAULT_ACCOUNT, Scope
from sesflow.emulator.sending import Sender
from sesflow.emulator.store import Store

OBJECTS_TABLE = "s3_objects"


class EmulatorState:
    """The emulator's whole state; one per app."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.db = Database(config.data_dir, config.region) if config.data_dir is not None else None
        snapshot = self.db.load() if self.db is not None else None
        self.store = Store(self.db, snapshot)
        self.regions = Regions(config, self.db)
        if snapshot is not None:
            self.regions.restore(snapshot.records, snapshot.jobs)
        self.log = SendsLog()
        self.faults = Faults(rng=random.Random(None if config.seed is None else config.seed + 1))
        self.sender = Sender(config, self.store, self.log, self.rng)
        day_ago = time.time() - 86_400
        for message in self.store.live:  # sends kept in --data-dir still count against the 24-hour quota
            if message.sent_at > day_ago:
                self.region(Scope(message.account, message.region)).limiter.restore(
                    message.sent_at, len(message.destinations)
                )
        self.secrets: dict[str, str] | None = dict(config.credentials) if config.auth == "strict" else None
        self.url_key = config.signing_key
        self.url_generation = secrets.token_hex(4)
        self.started_at = time.time()

    def region(self, scope: Scope) -> Region:
        """The state of one account in one region."""
        return self.regions.get(scope)

    @property
    def home(self) -> Region:
        """The default account in the emulator's ``--region`` (where the test hooks act by default)."""
        return self.regions.get(Scope(DEFAULT_ACCOUNT, self.config.region))

    def new_id(self) -> str:
        """A fresh UUID (deterministic with ``--seed``)."""
        if self.config.seed is not None:
            return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        return str(uuid.uuid4())

    def put_object(self, path: str, data: bytes) -> None:
        """Keep an "S3 object" (``bucket/key``) that import jobs read from ``s3://bucket/key``."""
        self.home.save(OBJECTS_TABLE, (path,), {"Data": base64.b64encode(data).decode()})

    def get_object(self, path: str) -> bytes | None:
        """An object put with ``put_object`` (None when there is none)."""
        record = self.home.get(OBJECTS_TABLE, (path,))
        return base64.b64decode(record["Data"]) if record is not None else None

    def expire_urls(self) -> None:
        """Make every download URL handed out so far invalid."""
        self.url_generation = secrets.token_hex(4)

    def close(self) -> None:
        """Flush and close the database, if any."""
        if self.db is not None:
            self.db.close()
