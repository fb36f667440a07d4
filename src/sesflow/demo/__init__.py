"""The whole loop on embedded defaults: emulate SES, compose and send a campaign batch, sync, report.

``run_demo()`` is what ``sesflow demo`` and ``make demo`` run (``run.py``); ``content.py`` holds what it
sends, drawn in code so the demo needs no files.
"""

from sesflow.demo.content import demo_messages, invitation_ics, logo_png, simple_pdf
from sesflow.demo.run import DB_NAME, REPORT_NAME, DemoResult, run_demo, summary_table

__all__ = [
    "DB_NAME",
    "REPORT_NAME",
    "DemoResult",
    "demo_messages",
    "invitation_ics",
    "logo_png",
    "run_demo",
    "simple_pdf",
    "summary_table",
]
