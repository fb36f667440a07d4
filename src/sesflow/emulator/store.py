"""The emulator's mailbox: every message (sent through the API, seeded, or an auto-reply) and its events,
with time-ordered access for exports, insights and the inspection endpoints. Messages of every account and
region live here, each tagged with its scope; readers that belong to one scope filter by it.

Everything lives in memory; ``persistence`` mirrors it to SQLite when a data directory is given.
"""

from __future__ import annotations

import heapq
from array import array
from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable, Iterator

from sesflow.emulator.messages import Event, LiveMessage, MessageView
from sesflow.emulator.persistence import Database, Snapshot
from sesflow.emulator.scope import Scope
from sesflow.emulator.seeding import SeedBatch, parse_seeded_id


def _in_scope(message: LiveMessage, scope: Scope) -> bool:
    return message.account == scope[0] and message.region == scope[1]


def _keyed(times: array[float], number: int, indexes: Iterable[int]) -> Iterator[tuple[float, int, int]]:
    """(send time, source number, index) for the given indexes of one time-sorted source."""
    for i in indexes:
        yield times[i], number, i


class Store:
    """Every message, with time-ordered access for exports and the inspection endpoints."""

    def __init__(self, db: Database | None = None, snapshot: Snapshot | None = None) -> None:
        self.db = db
        self.live: list[LiveMessage] = []
        self.live_times: array[float] = array("d")
        self.by_id: dict[str, LiveMessage] = {}
        self.replies: list[LiveMessage] = []  # inbound simulator auto-replies, by arrival time
        self.reply_times: array[float] = array("d")
        self.replies_by_id: dict[str, LiveMessage] = {}
        self.batches: list[SeedBatch] = []
        self.extra_events: dict[str, list[Event]] = {}
        if snapshot is not None:
            self._restore(snapshot)

    def _restore(self, snapshot: Snapshot) -> None:
        for message in snapshot.messages:
            self.live.append(message)
            self.live_times.append(message.sent_at)
            self.by_id[message.message_id] = message
        for reply in snapshot.replies:
            self.replies.append(reply)
            self.reply_times.append(reply.sent_at)
            self.replies_by_id[reply.message_id] = reply
        self.batches = list(snapshot.batches)
        self.extra_events = dict(snapshot.extra_events)

    # messages -----------------------------------------------------------------------------------------

    def add_message(self, message: LiveMessage) -> None:
        """Store a sent message (kept ordered by send time)."""
        if self.live_times and message.sent_at < self.live_times[-1]:
            index = bisect_right(self.live_times, message.sent_at)
            self.live.insert(index, message)
            self.live_times.insert(index, message.sent_at)
        else:
            self.live.append(message)
            self.live_times.append(message.sent_at)
        self.by_id[message.message_id] = message
        if self.db is not None:
            self.db.save_message(message)

    def add_reply(self, reply: LiveMessage) -> None:
        """Store an inbound auto-reply of the mailbox simulator (kept ordered by arrival time)."""
        index = bisect_right(self.reply_times, reply.sent_at)
        self.replies.insert(index, reply)
        self.reply_times.insert(index, reply.sent_at)
        self.replies_by_id[reply.message_id] = reply
        if self.db is not None:
            self.db.save_reply(reply)

    def stored(self, message_id: str) -> LiveMessage | None:
        """A message kept whole (sent through the API, or an auto-reply) by its id, or None."""
        return self.by_id.get(message_id) or self.replies_by_id.get(message_id)

    def add_batch(self, batch: SeedBatch) -> None:
        """Store a batch of seeded history."""
        self.batches.append(batch)
        if self.db is not None:
            self.db.save_batch(batch)

    def next_batch_number(self) -> int:
        """The number the next seeded batch gets."""
        return len(self.batches)

    def count(self) -> int:
        """How many messages are stored (sent and seeded)."""
        return len(self.live) + sum(len(b.times) for b in self.batches)

    def clear_messages(self) -> None:
        """Forget every message and event (``DELETE /_sesflow/messages``)."""
        self.live, self.live_times, self.by_id = [], array("d"), {}
        self.replies, self.reply_times, self.replies_by_id = [], array("d"), {}
        self.batches, self.extra_events = [], {}
        if self.db is not None:
            self.db.clear_messages()

    def _seeded_view(self, batch: SeedBatch, index: int) -> MessageView:
        view = batch.view(index)
        extra = self.extra_events.get(view.message_id)
        if extra:
            view.events = sorted(view.events + extra, key=lambda e: e[0])
        return view

    def find(self, message_id: str) -> MessageView | None:
        """A message by its SES id, or None."""
        live = self.by_id.get(message_id)
        if live is not None:
            return live.view()
        located = parse_seeded_id(message_id)
        if located is None:
            return None
        number, index = located
        if number >= len(self.batches) or index >= len(self.batches[number].times):
            return None
        batch = self.batches[number]
        if batch.message_id(index) != message_id:
            return None
        return self._seeded_view(batch, index)

    def add_event(self, message_id: str, event: Event) -> bool:
        """Add a (late) event to a stored message; False when the message is unknown."""
        live = self.by_id.get(message_id)
        if live is not None:
            insort(live.events, event, key=lambda e: e[0])
            if self.db is not None:
                self.db.save_events(live)
            return True
        if self.find(message_id) is None:
            return False
        self.extra_events.setdefault(message_id, []).append(event)
        if self.db is not None:
            self.db.save_extra_event(message_id, event)
        return True

    def _keys(self, start: float, end: float, scope: Scope | None) -> list[Iterator[tuple[float, int, int]]]:
        lo, hi = bisect_left(self.live_times, start), bisect_right(self.live_times, end)
        live: Iterable[int] = range(lo, hi)
        if scope is not None:
            live = [i for i in live if _in_scope(self.live[i], scope)]
        sources = [_keyed(self.live_times, -1, live)]
        for number, batch in enumerate(self.batches):
            if scope is not None and (batch.account, batch.region) != scope:
                continue
            b_lo, b_hi = bisect_left(batch.times, start), bisect_right(batch.times, end)
            sources.append(_keyed(batch.times, number, range(b_lo, b_hi)))
        return sources

    def count_window(self, start: float, end: float, scope: Scope | None = None) -> int:
        """How many messages (of ``scope``, when given) were sent in [start, end]."""
        lo, hi = bisect_left(self.live_times, start), bisect_right(self.live_times, end)
        total = hi - lo
        if scope is not None:
            total = sum(1 for i in range(lo, hi) if _in_scope(self.live[i], scope))
        for batch in self.batches:
            if scope is None or (batch.account, batch.region) == scope:
                total += bisect_right(batch.times, end) - bisect_left(batch.times, start)
        return total

    def window(self, start: float, end: float, scope: Scope | None = None) -> Iterator[MessageView]:
        """Messages (of ``scope``, when given) sent in [start, end], both ends inclusive, in time order."""
        for _, number, index in heapq.merge(*self._keys(start, end, scope)):
            if number < 0:
                yield self.live[index].view()
            else:
                yield self._seeded_view(self.batches[number], index)

    def newest_first(
        self,
        since: float | None = None,
        recipient: str | None = None,
        *,
        sent: bool = True,
        replies_until: float | None = None,
    ) -> Iterator[MessageView]:
        """Messages sent at or after ``since`` to ``recipient`` (both optional), newest first.

        ``sent`` includes the account's messages (sent and seeded); auto-replies are included when
        ``replies_until`` is given, those arrived by then. The recipient of a seeded message is checked
        before its view is built, so filtering a large seeded history stays cheap.
        """
        low = since if since is not None else float("-inf")
        wanted = recipient.lower() if recipient else None
        sources = []
        if sent:
            sources.append(
                _keyed(
                    self.live_times,
                    -1,
                    range(len(self.live_times) - 1, bisect_left(self.live_times, low) - 1, -1),
                )
            )
            for number, batch in enumerate(self.batches):
                stop = bisect_left(batch.times, low) - 1
                sources.append(_keyed(batch.times, number, range(len(batch.times) - 1, stop, -1)))
        if replies_until is not None:
            top = bisect_right(self.reply_times, replies_until) - 1
            stop = bisect_left(self.reply_times, low) - 1
            sources.append(_keyed(self.reply_times, -2, range(top, stop, -1)))
        for _, number, index in heapq.merge(*sources, reverse=True):
            if number < 0:
                live = self.live[index] if number == -1 else self.replies[index]
                if wanted is None or wanted in (d.lower() for d in live.destinations):
                    yield live.view()
            elif wanted is None or self.batches[number].destination(index) == wanted:
                yield self._seeded_view(self.batches[number], index)
