"""Benchmark: message composition — sesflow vs Nodemailer 10 MailComposer vs Python's stdlib EmailMessage.

Four message kinds, the same content for every contender: a small text message; text+html; text+html with
a 30 KB PDF and an 8 KB inline image (cid); a 5 MB attachment. Each contender builds complete messages
(bytes) in a loop for about ``--seconds`` per row; contenders alternate over ``--rounds`` rounds and the
best round of each counts (the machine is shared). Messages/s is reported with the ratios. sesflow runs
twice: as a campaign would (the default encoded-attachment cache: the same attachment bytes reused) and
with ``cache=None`` (every attachment re-encoded, as the other two always do).

    .venv/bin/python bench/compose.py --with-node     # installs Nodemailer 10 into bench/.cache/node

Writes bench/results/compose.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import Any

from sesflow import Attachment, Message, compose

HERE = Path(__file__).resolve().parent
NODE_DIR = HERE / ".cache" / "node"
RESULTS = HERE / "results" / "compose.json"

KINDS = ["small text", "text+html", "text+html+30KB pdf+8KB inline", "5 MB attachment"]


def fixtures() -> dict[str, Any]:
    """Deterministic content shared by every contender."""
    rng = random.Random(42)
    words = ["alpha", "beta", "gamma", "delta", "café", "naïve", "order", "invoice", "shipping", "thanks"]
    text = "\n".join(" ".join(rng.choice(words) for _ in range(12)) for _ in range(40))
    html = "<html><body>" + "".join(f"<p>{line}</p>\n" for line in text.splitlines()) * 4
    html += '<img src="cid:logo@bench">' + "</body></html>"
    return {
        "from": "Shop Team <shop@example.com>",
        "to": "Customer Name <customer@example.org>",
        "subject": "Your order #12345 has shipped",
        "small": "Hello,\nyour code is 123456.\n",
        "text": text,
        "html": html,
        "pdf": rng.randbytes(30 * 1024),
        "png": rng.randbytes(8 * 1024),
        "big": rng.randbytes(5 * 1024 * 1024),
    }


def sesflow_builders(f: dict[str, Any], cache: bool) -> dict[str, Callable[[], bytes]]:
    """One builder per kind: build a fresh Message and compose it."""
    kw: dict[str, Any] = {} if cache else {"cache": None}
    base = {"from_": f["from"], "to": f["to"], "subject": f["subject"]}
    pdf = Attachment(filename="invoice.pdf", content=f["pdf"])
    png = Attachment(filename="logo.png", content=f["png"], cid="logo@bench")
    big = Attachment(filename="archive.bin", content=f["big"])
    return {
        KINDS[0]: lambda: compose(Message(**base, text=f["small"]), **kw).raw,
        KINDS[1]: lambda: compose(Message(**base, text=f["text"], html=f["html"]), **kw).raw,
        KINDS[2]: lambda: (
            compose(Message(**base, text=f["text"], html=f["html"], attachments=[pdf, png]), **kw).raw
        ),
        KINDS[3]: lambda: compose(Message(**base, text=f["small"], attachments=[big]), **kw).raw,
    }


def stdlib_builders(f: dict[str, Any]) -> dict[str, Callable[[], bytes]]:
    """The same messages with email.message.EmailMessage."""

    def head() -> EmailMessage:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = f["from"], f["to"], f["subject"]
        return msg

    def small() -> bytes:
        msg = head()
        msg.set_content(f["small"])
        return msg.as_bytes(policy=SMTP)

    def alternative() -> bytes:
        msg = head()
        msg.set_content(f["text"])
        msg.add_alternative(f["html"], subtype="html")
        return msg.as_bytes(policy=SMTP)

    def attachments() -> bytes:
        msg = head()
        msg.set_content(f["text"])
        msg.add_alternative(f["html"], subtype="html")
        html_part = msg.get_payload()[1]
        html_part.add_related(f["png"], "image", "png", cid="<logo@bench>", filename="logo.png")
        msg.add_attachment(f["pdf"], "application", "pdf", filename="invoice.pdf")
        return msg.as_bytes(policy=SMTP)

    def big() -> bytes:
        msg = head()
        msg.set_content(f["small"])
        msg.add_attachment(f["big"], "application", "octet-stream", filename="archive.bin")
        return msg.as_bytes(policy=SMTP)

    return dict(zip(KINDS, [small, alternative, attachments, big], strict=True))


def rate(build: Callable[[], bytes], seconds: float) -> float:
    """Messages per second of ``build`` over about ``seconds`` (at least 3 messages, after a warm-up)."""
    build()
    count, start = 0, time.perf_counter()
    while True:
        build()
        count += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds and count >= 3:
            return count / elapsed


NODE_SCRIPT = r"""
const fs = require('fs');
const path = require('path');
const MailComposer = require('nodemailer10/lib/mail-composer');
const dir = process.argv[2];
const seconds = Number(process.argv[3]);
const f = JSON.parse(fs.readFileSync(path.join(dir, 'spec.json'), 'utf8'));
const bin = name => fs.readFileSync(path.join(dir, name));
const pdf = bin('pdf'), png = bin('png'), big = bin('big');
const base = () => ({ from: f.from, to: f.to, subject: f.subject });
const kinds = {
  'small text': () => ({ ...base(), text: f.small }),
  'text+html': () => ({ ...base(), text: f.text, html: f.html }),
  'text+html+30KB pdf+8KB inline': () => ({ ...base(), text: f.text, html: f.html, attachments: [
    { filename: 'invoice.pdf', content: pdf }, { filename: 'logo.png', content: png, cid: 'logo@bench' }] }),
  '5 MB attachment': () => ({ ...base(), text: f.small,
    attachments: [{ filename: 'archive.bin', content: big }] }),
};
const build = opts => new MailComposer(opts).compile().build();
(async () => {
  const out = {};
  for (const [kind, make] of Object.entries(kinds)) {
    await build(make());
    let count = 0; const start = process.hrtime.bigint(); let elapsed = 0;
    while (true) {
      await build(make()); count++;
      elapsed = Number(process.hrtime.bigint() - start) / 1e9;
      if (elapsed >= seconds && count >= 3) break;
    }
    out[kind] = count / elapsed;
  }
  process.stdout.write(JSON.stringify(out));
})().catch(e => { console.error(e); process.exit(1); });
"""


def ensure_nodemailer() -> str:
    """Install Nodemailer 10 into bench/.cache/node (once) under the alias ``nodemailer10``; its version.

    The alias lets other benchmarks keep their own Nodemailer major (e.g. 6 for the SES transport) in the
    same cache folder.
    """
    package = NODE_DIR / "node_modules" / "nodemailer10" / "package.json"
    if not package.exists():
        NODE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--silent", "nodemailer10@npm:nodemailer@10"],
            cwd=NODE_DIR,
            check=True,
        )
    return str(json.loads(package.read_text())["version"])


def node_rates(f: dict[str, Any], seconds: float) -> dict[str, float]:
    """Messages/s of Nodemailer's MailComposer per kind, measured in one node process."""
    with tempfile.TemporaryDirectory() as tmp:
        spec = {k: f[k] for k in ("from", "to", "subject", "small", "text", "html")}
        Path(tmp, "spec.json").write_text(json.dumps(spec))
        for name in ("pdf", "png", "big"):
            Path(tmp, name).write_bytes(f[name])
        script = Path(tmp, "bench.cjs")
        script.write_text(NODE_SCRIPT)
        env = {**os.environ, "NODE_PATH": str(NODE_DIR / "node_modules")}
        done = subprocess.run(
            ["node", str(script), tmp, str(seconds)], env=env, check=True, capture_output=True, text=True
        )
    return {k: float(v) for k, v in json.loads(done.stdout).items()}


def main() -> int:
    """Run the benchmark, print the table, write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--with-node", action="store_true", help="also run Nodemailer 10 (installs it)")
    parser.add_argument("--seconds", type=float, default=1.0, help="time per row, contender and round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds; the best round of each cell counts")
    args = parser.parse_args()
    f = fixtures()
    rows: dict[str, dict[str, float]] = {kind: {} for kind in KINDS}
    nodemailer_version = None
    if args.with_node:
        if shutil.which("node") is None or shutil.which("npm") is None:
            print("node/npm not found: run without --with-node", file=sys.stderr)
            return 2
        nodemailer_version = ensure_nodemailer()

    def keep_best(kind: str, name: str, value: float) -> None:
        rows[kind][name] = max(value, rows[kind].get(name, 0.0))

    # contenders alternate within each round, so a busy moment on the machine hits all of them alike
    for _ in range(args.rounds):
        if args.with_node:
            for kind, value in node_rates(f, args.seconds).items():
                keep_best(kind, "nodemailer", value)
        for name, builders in (
            ("sesflow", sesflow_builders(f, cache=True)),
            ("sesflow_nocache", sesflow_builders(f, cache=False)),
            ("stdlib", stdlib_builders(f)),
        ):
            for kind, build in builders.items():
                keep_best(kind, name, rate(build, args.seconds))
    header = f"{'message':<32}{'sesflow/s':>11}{'no cache/s':>12}{'nodemailer/s':>14}{'stdlib/s':>10}"
    header += f"{'vs node':>9}{'nocache vs node':>17}{'vs stdlib':>11}"
    print(header)
    for kind, r in rows.items():
        node = r.get("nodemailer")
        print(
            f"{kind:<32}{r['sesflow']:>11.0f}{r['sesflow_nocache']:>12.0f}"
            + (f"{node:>14.0f}" if node else f"{'-':>14}")
            + f"{r['stdlib']:>10.0f}"
            + (f"{r['sesflow'] / node:>8.1f}x" if node else f"{'-':>9}")
            + (f"{r['sesflow_nocache'] / node:>16.1f}x" if node else f"{'-':>17}")
            + f"{r['sesflow'] / r['stdlib']:>10.1f}x"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "compose",
                "unit": "messages/s",
                "seconds_per_row": args.seconds,
                "rounds": args.rounds,
                "cpu_count": os.cpu_count(),
                "python": platform.python_version(),
                "node": subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
                if args.with_node
                else None,
                "nodemailer": nodemailer_version,
                "rows": rows,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {RESULTS.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
