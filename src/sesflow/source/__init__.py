"""The dlt source for Amazon SES: one resource per SES stream, configured by name as every dlt source is.

Owns the export-job client (``exports``, ``jobs``), the export windows (``windows``, ``intervals``) and the
parsing of export files into Arrow (``records``). Imports nothing of sesflow but ``errors``: configuration
arrives as plain values, never as a sesflow connection.
"""
