"""The AWS SDK for JavaScript v3 (``@aws-sdk/client-sesv2`` and ``@aws-sdk/client-ses``, run by node)
against the emulator: send/export/download, and a scenario per family.

The packages are installed with npm into ``tests/.cache/node`` when missing. The test is skipped (with the
reason printed) only when node is absent.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

NODE_DIR = Path(__file__).resolve().parents[1] / ".cache" / "node"
PACKAGES = ("@aws-sdk/client-sesv2", "@aws-sdk/client-ses")

SCRIPT = r"""
const { SESv2Client, SendEmailCommand, CreateExportJobCommand, GetExportJobCommand, GetAccountCommand } =
  require('@aws-sdk/client-sesv2');
const [endpoint, key, secret] = process.argv.slice(2);
const client = new SESv2Client({
  endpoint, region: 'us-east-1', credentials: { accessKeyId: key, secretAccessKey: secret } });
(async () => {
  const raw = 'From: js@example.com\r\nTo: success@simulator.amazonses.com\r\n' +
    'Subject: From node\r\n\r\nhi\r\n';
  const data = new TextEncoder().encode(raw);
  const sent = await client.send(new SendEmailCommand({ Content: { Raw: { Data: data } } }));
  const account = await client.send(new GetAccountCommand({}));
  const now = Date.now();
  const created = await client.send(new CreateExportJobCommand({
    ExportDataSource: { MessageInsightsDataSource: {
      StartDate: new Date(now - 60000), EndDate: new Date(now + 60000) } },
    ExportDestination: { DataFormat: 'JSON' } }));
  let job;
  for (let i = 0; i < 100; i++) {
    job = await client.send(new GetExportJobCommand({ JobId: created.JobId }));
    if (job.JobStatus === 'COMPLETED') break;
    await new Promise(r => setTimeout(r, 50));
  }
  const file = await (await fetch(job.ExportDestination.S3Url)).text();
  let notFound = null;
  try { await client.send(new GetExportJobCommand({ JobId: 'missing' })); }
  catch (e) { notFound = { name: e.name, status: e.$metadata.httpStatusCode }; }
  console.log(JSON.stringify({ messageId: sent.MessageId, rate: account.SendQuota.MaxSendRate,
    status: job.JobStatus, exported: job.Statistics.ExportedRecordsCount, file, notFound }));
})().catch(e => { console.error(e); process.exit(1); });
"""


@pytest.fixture(scope="module")
def node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is absent: the AWS SDK for JavaScript v3 test needs Node.js")
    missing = [p for p in PACKAGES if not (NODE_DIR / "node_modules" / p).exists()]
    if missing:
        npm = shutil.which("npm")
        assert npm, f"node is present but npm is not: cannot install {', '.join(missing)}"
        NODE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--prefix", str(NODE_DIR), *missing],
            check=True, capture_output=True, timeout=600,
        )  # fmt: skip
    return node


def test_javascript_sdk_sends_exports_and_downloads(node: str, make_emulator: Any, tmp_path: Path) -> None:
    emulator = make_emulator(auth="strict", credentials=[("AKIDJS", "js-secret")])
    script = NODE_DIR / "sesflow-emulator-check.js"
    script.write_text(SCRIPT)
    done = subprocess.run(
        [node, str(script), emulator.endpoint_url, "AKIDJS", "js-secret"],
        capture_output=True, text=True, timeout=120, check=False, cwd=NODE_DIR,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "COMPLETED" and result["exported"] == 1 and result["rate"] == 1000
    (record,) = [json.loads(line) for line in result["file"].splitlines()]
    assert record["MessageId"] == result["messageId"] and record["Subject"] == "From node"
    assert result["notFound"] == {"name": "NotFoundException", "status": 404}


FAMILIES = Path(__file__).with_name("js") / "families.js"


def test_javascript_sdk_runs_a_scenario_per_family(node: str, make_emulator: Any) -> None:
    emulator = make_emulator(auth="strict", credentials=[("AKIDJS", "js-secret")])
    script = NODE_DIR / "sesflow-emulator-families.js"
    script.write_text(FAMILIES.read_text())
    done = subprocess.run(
        [node, str(script), emulator.endpoint_url, "AKIDJS", "js-secret"],
        capture_output=True, text=True, timeout=120, check=False, cwd=NODE_DIR,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["identities"] == ["ann@example.org", "example.com"] and result["westIdentities"] == 0
    assert result["paused"] == "SendingPausedException"
    assert "Subject: Hi Ann" in result["rendered"] and "VIP" in result["rendered"]
    assert result["missing"] == "MissingRenderingAttributeException"
    assert result["bulk"] == ["SUCCESS", "SUCCESS"]
    assert result["listEvents"] == ["SEND", "BOUNCE"]  # the topic's default is OPT_OUT
    assert result["secondList"] == "LimitExceededException"
    assert result["suppressed"] == "COMPLAINT" and result["pools"] == ["pool"] and result["vdm"] == "DISABLED"
