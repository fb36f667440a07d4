"""The local SES emulator: every operation of the SES v1 and v2 wire protocols (built from botocore's
models), state per account and region, the mailbox simulator, templates, list management, Message Insights
and VDM exports, seeding, fault injection and an inspection page. Independent of sesflow's client wings
(``mime``, ``send``, ``insights``, ``connections``).

``from sesflow.emulator import Emulator``; ``with Emulator(port=0) as ses: ... ses.endpoint_url``.
"""

from __future__ import annotations

from sesflow.extras import optional_imports

with optional_imports("emulator"):  # a core install without uvicorn gets the pip command, not a traceback
    from sesflow.emulator.app import EmulatorApp, create_app
    from sesflow.emulator.config import EmulatorConfig
    from sesflow.emulator.server import Emulator, serve

__all__ = ["Emulator", "EmulatorApp", "EmulatorConfig", "create_app", "serve"]
