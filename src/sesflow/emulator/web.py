"""The inspection page at ``/``: sent messages (time, from, to, subject, outcome, events); clicking one
shows its HTML body in a sandboxed iframe and links its attachments. Static HTML + a little JavaScript
that reads ``/_sesflow/messages``.
"""

from __future__ import annotations

from sesflow.emulator.wire import Response

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sesflow emulator</title>
<style>
*{box-sizing:border-box}
body{font:14px system-ui,sans-serif;margin:0;color:#222}
header{background:#232f3e;color:#fff;padding:10px 16px;display:flex;gap:16px;align-items:center}
header h1{font-size:16px;margin:0}
/* Two columns that never overlap: each is a grid cell that may shrink (min-width 0) and scrolls what does not
   fit, so a long address or a long event chain wraps or scrolls inside its own column. */
main{display:grid;grid-template-columns:minmax(0,3fr) minmax(320px,2fr);gap:16px;padding:12px;
  align-items:start}
#list{min-width:0;overflow-x:auto}
#detail{min-width:0;position:sticky;top:0;max-height:100vh;overflow:auto;border-left:1px solid #ddd;
  padding-left:16px}
@media (max-width:900px){main{grid-template-columns:minmax(0,1fr)}
  #detail{position:static;max-height:none;border-left:0;padding-left:0;border-top:1px solid #ddd}}
table{border-collapse:collapse;width:100%;table-layout:fixed}
th,td{text-align:left;padding:4px 6px;border-bottom:1px solid #ddd;vertical-align:top;
  overflow-wrap:anywhere}
col.time{width:7.5em}col.outcome{width:7.5em}col.events{width:10em}
td.time{white-space:pre-line;overflow-wrap:normal;font-variant-numeric:tabular-nums}
tr.msg{cursor:pointer} tr.msg:hover{background:#f3f6fa} tr.sel{background:#e6eefb}
.o-DELIVERY{color:#137333}.o-PERMANENT_BOUNCE,.o-TRANSIENT_BOUNCE{color:#b3261e}.o-COMPLAINT{color:#b06000}
.ev{display:inline-block;font-size:11px;line-height:16px;padding:0 5px;margin:0 3px 3px 0;border-radius:8px;
  background:#eef1f4;white-space:nowrap}
.ev-BOUNCE{background:#fbe3e1}.ev-COMPLAINT{background:#fdeccc}.ev-DELIVERY{background:#dff3e4}
iframe{width:100%;height:420px;border:1px solid #ccc;background:#fff}
#detail h2{font-size:15px;margin:4px 0;overflow-wrap:anywhere} small{color:#666;overflow-wrap:anywhere}
#detail div{overflow-wrap:anywhere}
table.events{font-size:12px;margin:8px 0}table.events td{padding:2px 4px}
table.events td:first-child{width:11.5em}table.events td:nth-child(2){width:7.5em}
pre{white-space:pre-wrap;overflow-wrap:anywhere}
</style></head>
<body>
<header><h1>sesflow emulator</h1><span id="count"></span>
<button id="refresh" type="button">Refresh</button></header>
<main>
<section id="list"><table id="table"><colgroup><col class="time"><col class="from"><col class="to">
<col class="subject"><col class="outcome"><col class="events"></colgroup>
<thead><tr><th>Time (UTC)</th><th>From</th><th>To</th><th>Subject</th><th>Outcome</th>
<th>Events</th></tr></thead><tbody id="messages"></tbody></table></section>
<section id="detail"><p><small>Select a message to open it.</small></p></section>
</main>
<script>
const el = (tag, text, cls) => { const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = text; if (cls) e.className = cls; return e; };
// The distinct event types in order of first appearance, as chips that wrap inside the cell.
function eventChips(events) {
  const td = el('td', null, 'events'); const seen = new Set();
  for (const e of events) {
    if (seen.has(e.Type)) continue; seen.add(e.Type);
    td.append(el('span', e.Type, 'ev ev-' + e.Type));
  }
  return td;
}
async function load() {
  const r = await fetch('/_sesflow/messages?limit=200');
  const data = await r.json();
  document.getElementById('count').textContent = data.total + ' message(s)';
  const body = document.getElementById('messages'); body.replaceChildren();
  for (const m of data.messages) {
    const tr = el('tr', null, 'msg'); tr.dataset.id = m.MessageId;
    tr.append(el('td', m.SendTimestamp.replace('T', '\\n').replace('Z', ''), 'time'), el('td', m.From),
      el('td', m.Destination.join(', ')), el('td', m.Subject),
      el('td', m.AutoReplyTo ? 'AUTO-REPLY' : (m.Outcome || '').replaceAll('_', ' '), 'o-' + m.Outcome),
      eventChips(m.Events));
    tr.addEventListener('click', () => open(m.MessageId, tr));
    body.append(tr);
  }
}
async function open(id, row) {
  document.querySelectorAll('tr.sel').forEach(r => r.classList.remove('sel'));
  if (row) row.classList.add('sel');
  const r = await fetch('/_sesflow/messages/' + encodeURIComponent(id));
  const m = await r.json();
  const d = document.getElementById('detail'); d.replaceChildren();
  d.append(el('h2', m.Subject, 'subject'), el('div', 'From: ' + m.From),
    el('div', 'To: ' + m.Destination.join(', ')), el('small', m.MessageId));
  const events = el('table', null, 'events');
  for (const e of m.Events) {
    const tr = el('tr');
    const when = e.Timestamp.replace('T', ' ').replace('Z', '');
    tr.append(el('td', when), el('td', e.Type), el('td', e.Destination));
    events.append(tr);
  }
  d.append(events);
  if (m.Html !== null) {
    const frame = document.createElement('iframe');
    frame.setAttribute('sandbox', ''); frame.title = 'message body'; frame.srcdoc = m.Html; d.append(frame);
  } else if (m.Text !== null) { d.append(el('pre', m.Text)); }
  if (m.Attachments.length) {
    const list = el('ul', null, 'attachments');
    for (const a of m.Attachments) {
      const li = el('li'); const link = el('a', a.filename);
      link.href = '/_sesflow/messages/' + encodeURIComponent(id) + '/attachments/' + a.index;
      link.setAttribute('download', a.filename);
      li.append(link, el('small', ' ' + a.contentType)); list.append(li);
    }
    d.append(el('h3', 'Attachments'), list);
  }
  if (window.matchMedia('(max-width:900px)').matches) d.scrollIntoView();  // stacked: the detail is below
  if (!m.Seeded) {
    const raw = el('a', 'Download .eml'); raw.href = '/_sesflow/messages/' + encodeURIComponent(id) + '/raw';
    d.append(el('p')); d.lastChild.append(raw);
  }
}
document.getElementById('refresh').addEventListener('click', load);
load();
</script>
</body></html>
"""


def page() -> Response:
    """The page (no caching: it is the live view of the emulator)."""
    return Response(
        200, PAGE.encode(), content_type="text/html; charset=utf-8", headers=[(b"cache-control", b"no-store")]
    )
