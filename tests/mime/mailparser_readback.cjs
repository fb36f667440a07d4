// Parse every .eml file named on stdin (one path a line) with mailparser's simpleParser and print one JSON
// object per message (JSON Lines, same order): the decoded fields the corpus test compares.
'use strict';
const fs = require('fs');
const crypto = require('crypto');
const { simpleParser } = require('mailparser');

const addresses = field => {
  if (!field) return [];
  const out = [];
  for (const list of [].concat(field)) {
    for (const entry of list.value || []) {
      if (entry.group) {
        out.push({ group: entry.name || '', members: entry.group.map(m => [m.name || '', m.address || '']) });
      } else {
        out.push([entry.name || '', entry.address || '']);
      }
    }
  }
  return out;
};

(async () => {
  const paths = fs.readFileSync(0, 'utf8').split('\n').filter(Boolean);
  for (const path of paths) {
    const parsed = await simpleParser(fs.readFileSync(path), {
      skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true, keepCidLinks: true,
    });
    const contentType = parsed.headers.get('content-type');
    process.stdout.write(JSON.stringify({
      from: addresses(parsed.from),
      to: addresses(parsed.to),
      cc: addresses(parsed.cc),
      reply_to: addresses(parsed.replyTo),
      subject: parsed.subject === undefined ? null : parsed.subject,
      text: parsed.text === undefined ? null : parsed.text,
      html: parsed.html === false || parsed.html === undefined ? null : parsed.html,
      message_id: parsed.messageId || null,
      top_type: contentType ? contentType.value : null,
      attachments: parsed.attachments.map(a => ({
        filename: a.filename === undefined ? null : a.filename,
        content_type: a.contentType,
        // text and message parts are compared with LF newlines (compose sends CRLF by design)
        sha256: crypto.createHash('sha256').update(/^(text|message)\//i.test(a.contentType)
          ? Buffer.from(a.content.toString('latin1').replace(/\r\n?/g, '\n'), 'latin1') : a.content).digest('hex'),
        size: a.content.length,
        cid: a.cid || null,
        disposition: a.contentDisposition || null,
        related: !!a.related,
        method: ((a.headers && a.headers.get('content-type')) || { params: {} }).params.method || null,
      })),
    }) + '\n');
  }
})().catch(err => { console.error(err && err.stack || err); process.exit(1); });
