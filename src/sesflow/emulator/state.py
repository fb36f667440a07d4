"""Everything one running emulator holds: its options, the store, limits, faults and export-job clock."""

from __future__ import annotations

import random
import secrets
import time
import uuid

from sesflow.emulator.config import EmulatorConfig
from sesflow.emulator.exports import ExportJob, statistics
from sesflow.emulator.faults import Faults
from sesflow.emulator.limits import SendsLog
from sesflow.emulator.persistence import Database
from sesflow.emulator.sending import Sender
from sesflow.emulator.sigv4 import presign_url
from sesflow.emulator.store import Store
from sesflow.emulator.wire import Request


class EmulatorState:
    """The emulator's whole state; one per app, used only from the server's event loop."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        db = Database(config.data_dir) if config.data_dir is not None else None
        self.store = Store(db)
        self.log = SendsLog()
        self.faults = Faults(rng=random.Random(None if config.seed is None else config.seed + 1))
        self.sender = Sender(config, self.store, self.log, self.rng)
        self.secrets: dict[str, str] | None = dict(config.credentials) if config.auth == "strict" else None
        self.url_key = config.signing_key
        self.url_generation = secrets.token_hex(4)
        self.last_export_create = 0.0
        self.started_at = time.time()

    def new_job_id(self) -> str:
        """A job id in the UUID form SES uses."""
        if self.config.seed is not None:
            return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        return str(uuid.uuid4())

    def finish(self, job: ExportJob, now: float) -> None:
        """Fix a job's statistics the first time it is seen in a final state."""
        if job.processed is None and job.status(now) == "COMPLETED":
            job.processed, job.exported = statistics(job, self.store)
            self.store.save_job(job)

    def download_url(self, job: ExportJob, request: Request, now: float) -> str:
        """A fresh pre-signed URL of the job's file on the host the client used."""
        host = request.host
        return presign_url(
            f"http://{host}",
            host,
            f"/_sesflow/exports/{job.job_id}",
            self.url_key[0],
            self.url_key[1],
            self.config.region,
            self.config.url_ttl,
            now,
            {"X-Sesflow-Generation": self.url_generation},
        )

    def expire_urls(self) -> None:
        """Make every URL handed out so far invalid."""
        self.url_generation = secrets.token_hex(4)

    def close(self) -> None:
        """Flush and close the database, if any."""
        if self.store.db is not None:
            self.store.db.close()
