"""Posting job cards and editing them in place: at most one edit per card every `interval`
seconds, each workspace's chat.update budget spent on its most urgent card first (one
`pace.CardQueue` and loop per workspace; `pace` decides what is dropped or waits), and the final
state always lands. Edits render the card's state when their token is granted, never before, so a
card whose final state is pending is never edited with an older one."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime

from slack_sdk.web.async_client import AsyncWebClient

from bot.cards.blocks import CardView, render_card
from bot.cards.board import BoardView, board_key, board_priority, render_board
from bot.cards.dm_studio import is_dm, status_line
from bot.cards.pace import CardQueue, Pending, edit_priority, nothing_new, on_its_way, state_key
from bot.slack.budget import Priority, SlackBudget
from bot.slack.clients import (
    OUTAGE,
    SLACK_RETRY_CEILING,
    SLACK_RETRY_FIRST,
    prepaid,
    single_attempt,
    slack_away,
)
from storage import approvals, channels, leases
from storage import campaigns as campaigns_db
from storage import jobs as jobs_db
from storage.db import Store
from storage.rows import ShotRow

log = logging.getLogger(__name__)
STOP_SECONDS = 5.0
CARD_EVENT = "dailies_card"  # message metadata event_type of a job card
POST_LEASE_SECONDS = 60.0  # a replica posting a card holds it this long; then another looks for it
EDIT_LEASE_SECONDS = 10.0  # a replica editing a card holds it this long after each edit
STATUS_REFRESH_SECONDS = 90.0  # a DM thread's status line is sent again before Slack drops it (2 min)


class CardHeld(Exception):
    """Another replica is editing this card; this one tries again an interval later."""


def _any_workspace(team_id: str) -> AbstractAsyncContextManager:
    return nullcontext()


@dataclass(frozen=True)
class SlackPacing:
    """Which budget card posts and edits draw on, and for whom: `team` is the one workspace's budget
    key ("" in distribution mode, where each card is its shot's workspace's), and Slack calls for a
    workspace are made inside `serving(team_id)` (with its token)."""

    budget: SlackBudget = field(default_factory=SlackBudget)
    team: str = ""
    serving: Callable[[str], AbstractAsyncContextManager] = _any_workspace


@dataclass(frozen=True)
class CardFacts:
    """What a card shows that its rows do not hold, asked of those who know it: how long a model
    usually takes, how the backend is named (and its note about the model), the screening room's link."""

    typical_seconds: Callable[[str], int] = lambda model: 0
    backend_label: Callable[[str, str], tuple[str, str]] = lambda backend, model: (backend, "")
    screening_link: Callable[[ShotRow], str] | None = None


class CardPublisher:
    def __init__(
        self,
        client: AsyncWebClient,
        store: Store,
        *,
        interval: float = 3.0,
        pacing: SlackPacing | None = None,
        facts: CardFacts | None = None,
    ) -> None:
        pacing = pacing or SlackPacing()
        self.client = client
        self._once = single_attempt(client)  # card edits: Slack failing to answer comes back to _edit
        self.serving = pacing.serving  # Slack calls made inside are for that workspace, with its token
        self.store = store
        self.interval = interval
        self.facts = facts or CardFacts()
        self.budget = pacing.budget  # card edits and every other call of the app share it
        # With its own bot token the client serves one workspace, whose budget key is `team`;
        # without (distribution mode) each card is its shot's team's.
        self.team = pacing.team
        self.one_workspace = bool(client.token)
        self._lanes: dict[str, Lane] = {}  # team -> its cards' edits (each team its own budget)
        self._dirty: set[int] = set()
        self._ranking = 0  # changed cards being read right now
        self._shown: dict[int, tuple] = {}  # state_key of each card's last edit
        self._failures: dict[int, int] = {}
        self._wake = asyncio.Event()
        self._ranker: asyncio.Task | None = None
        self._sends: set[asyncio.Task] = set()
        self._post_locks: dict[int, asyncio.Lock] = {}
        # DM cards whose thread shows a status line: its text and when it was last sent
        self._statuses: dict[int, tuple[str, float]] = {}
        self._boards: dict[int, int | None] = {}  # shot -> its campaign's board (None: its own card)
        self.sent = 0  # card edits that reached Slack
        self.dropped = 0  # progress edits not sent: stale, superseded by finals, or nothing new

    async def view(self, shot_id: int) -> CardView | BoardView:
        shot, jobs, takes = await self.store.run(jobs_db.shot_view, shot_id)
        if shot is None:
            raise LookupError(f"no shot {shot_id}")
        if shot.get("campaign_id") and shot.get("campaign_shot") is None:
            return await self._board_view(shot)
        decisions = await self.store.run(approvals.latest_for_shot, shot_id)
        settings = await self.store.run(channels.get_settings, shot["team_id"] or "", shot["channel_id"])
        return CardView(
            shot,
            jobs,
            takes,
            datetime.now(UTC),
            self.facts.typical_seconds(jobs[-1]["model"]),
            *self.facts.backend_label(jobs[-1]["backend"], jobs[-1]["model"]),
            decisions=tuple(decisions),
            approvers=settings.approvers,
            rule=settings.approval_rule,
            screening_url=self.facts.screening_link(shot) if self.facts.screening_link else "",
        )

    async def _board_view(self, board: ShotRow) -> BoardView:
        campaign_id = board.get("campaign_id")
        campaign = await self.store.run(campaigns_db.campaign_view, campaign_id)
        if campaign is None:
            raise LookupError(f"no campaign {campaign_id} for board {board['id']}")
        settings = await self.store.run(channels.get_settings, board["team_id"] or "", board["channel_id"])
        link = self.facts.screening_link
        shown = (*campaign.shots, *([campaign.cut] if campaign.cut else []))  # the cut's room too
        rooms = {s.number: link(s.shot) for s in shown} if link else {}
        return BoardView(campaign, settings.approvers, rooms)

    async def ensure_posted(self, shot_id: int) -> str:
        """The card's ts, posting the card first if it has not been posted yet (also after a restart)."""
        lock = self._post_locks.setdefault(shot_id, asyncio.Lock())
        async with lock:
            while True:
                # one replica posts a card; another that needs it meanwhile waits for its ts
                claim, value = await self.store.run(
                    leases.claim_card_post, shot_id, self.store.replica, time.time(), POST_LEASE_SECONDS
                )
                if claim != "wait":
                    break
                await asyncio.sleep(0.2)
            if claim == "posted" and value is not None:
                return value
            shot = await self.store.run(jobs_db.get_shot, shot_id)
            if shot is None:
                raise LookupError(f"no shot {shot_id}")
            if shot.get("campaign_shot") is not None:
                # a campaign's shot posts nothing of its own: its thread is the board's
                board = await self.store.run(campaigns_db.board_of, shot_id)
                if board is None:
                    raise LookupError(f"shot {shot_id} is a campaign's, but its board is gone")
                ts = await self.ensure_posted(board)
                await self.store.run(jobs_db.set_card_ts, shot_id, ts)
                return ts
            if claim == "recover":
                # an earlier attempt (a process that died, a replica gone) may have posted it
                async with self.serving(shot.get("team_id") or ""):
                    found = await self._find_posted(shot)
                if found:
                    await self.store.run(jobs_db.set_card_ts, shot_id, found)
                    if shot.get("campaign_id"):
                        await self.store.run(campaigns_db.share_board, shot["campaign_id"], found)
                    return found
            view = await self.view(shot_id)
            text, blocks = _render(view)
            metadata = {
                "event_type": CARD_EVENT,
                "event_payload": {"shot": shot_id, "nonce": shot["card_nonce"]},
            }
            team = shot.get("team_id") or ""
            await self.budget.acquire(self._team_of(shot), "chat.postMessage", channel=shot["channel_id"])
            async with self.serving(team):
                with prepaid():
                    resp = await self.client.chat_postMessage(
                        channel=shot["channel_id"], text=text, blocks=blocks, metadata=metadata
                    )
            await self.store.run(jobs_db.set_card_ts, shot_id, resp["ts"])
            if shot.get("campaign_id"):  # a board: its shots' thread from now on
                await self.store.run(campaigns_db.share_board, shot["campaign_id"], resp["ts"])
            await self.store.run(jobs_db.set_card_state, shot_id, text)
            self._lane(self._team_of(shot)).queue.finished(shot_id, time.monotonic())
            self._shown[shot_id] = _state(view)
            return resp["ts"]

    async def _find_posted(self, shot: ShotRow) -> str | None:
        """The ts of this shot's card if an earlier attempt did post it (matched by nonce), else None."""
        # Only on this rare recovery path: conversations.history is Tier 3, and for non-Marketplace
        # apps limited to 1 request a minute and 15 messages. A failed lookup means posting again:
        # a duplicate card is better than no card.
        try:
            resp = await self.client.conversations_history(
                channel=shot["channel_id"],
                oldest=f"{(shot['card_posting_at'] or 0) - 60:.6f}",
                limit=15,
                include_all_metadata=True,
            )
        except Exception as exc:
            log.warning(
                "card %s: looking for an earlier post failed (%s); posting it", shot["id"], _describe(exc)
            )
            return None
        for message in resp.get("messages") or []:
            meta = message.get("metadata") or {}
            payload = meta.get("event_payload") or {}
            if (
                meta.get("event_type") == CARD_EVENT
                and payload.get("shot") == shot["id"]
                and payload.get("nonce") == shot["card_nonce"]
            ):
                log.info("card %s: adopted the card posted before the restart", shot["id"])
                return str(message["ts"])
        return None

    def touch(self, shot_id: int) -> None:
        """The shot changed: its card gets an edit when it is due and the budget allows (coalesced)."""
        self._dirty.add(shot_id)
        self._wake.set()
        if self._ranker is None or self._ranker.done():
            self._ranker = asyncio.create_task(self._rank(), name="card-ranks")

    async def _board_of(self, shot_id: int) -> int | None:
        """The board a campaign's shot is shown on (None for any other shot); a shot never changes
        campaign, so each is looked up once."""
        if shot_id not in self._boards:
            self._boards[shot_id] = await self.store.run(campaigns_db.board_of, shot_id)
        return self._boards[shot_id]

    def _team_of(self, shot: ShotRow) -> str:
        """The workspace whose budget and token a card's calls use."""
        return self.team if self.one_workspace else shot.get("team_id") or ""

    def _lane(self, team: str) -> Lane:
        lane = self._lanes.get(team)
        if lane is None:
            lane = self._lanes[team] = Lane(team, CardQueue(self.interval))
        return lane

    async def _rank(self) -> None:
        """Read each changed card and queue its edit in its workspace's lane, ranked by what
        changed since the card's last edit."""
        while True:
            self._wake.clear()
            while self._dirty:
                shot_id = self._dirty.pop()
                self._ranking += 1
                try:
                    board = await self._board_of(shot_id)
                    if board is not None:
                        # a campaign's shot changed: its board shows it, one edit for every shot
                        self._dirty.add(board)
                        continue
                    view = await self.view(shot_id)
                except Exception:  # the shot is gone (or the database is closing): nothing to show
                    log.exception("card %s: could not read its state", shot_id)
                    continue
                finally:
                    self._ranking -= 1
                lane = self._lane(self._team_of(view.shot))
                priority = _priority(view, self._shown.get(shot_id))
                if priority == Priority.PROGRESS and nothing_new(
                    priority, _signature(view), view.shot.get("card_state")
                ):
                    self.dropped += 1  # only its seconds counter moved: not worth a token
                    continue
                settling = isinstance(view, CardView) and on_its_way(view)
                self.dropped += len(lane.queue.add(shot_id, priority, time.monotonic(), settling=settling))
                self.dropped += len(lane.queue.drop_stale_progress(time.monotonic()))
                lane.wake.set()
                if lane.task is None or lane.task.done():
                    lane.task = asyncio.create_task(self._dispatch(lane), name=f"card-edits-{lane.team}")
            await self._wake.wait()

    async def _dispatch(self, lane: Lane) -> None:
        """One loop per workspace spends its chat.update budget: it waits for a token at the rank of
        the most urgent due card, and only then picks the card (a final state that arrived meanwhile
        goes first). A workspace whose budget is short never holds up another's cards."""
        while True:
            lane.wake.clear()
            best = lane.queue.best(time.monotonic())
            if best is None:
                due = lane.queue.next_due()
                timeout = None if due is None else max(0.0, due - time.monotonic())
                await _nap(lane.wake, timeout)
                continue
            if lane.credit:
                lane.credit -= 1  # an edit that Slack failed to answer left its token unspent
            elif not await self._token(lane, best.priority):
                continue
            chosen = lane.queue.best(time.monotonic()) or best
            if chosen.shot_id not in lane.queue.pending:  # sent meanwhile; the token is spent
                continue
            entry = lane.queue.start(chosen.shot_id)
            task = asyncio.create_task(self._edit(lane, entry), name=f"card-{entry.shot_id}")
            self._sends.add(task)
            task.add_done_callback(self._sends.discard)

    async def _token(self, lane: Lane, priority: Priority) -> bool:
        """Wait for a chat.update token of the lane's workspace at `priority`; False when a more
        urgent card turned up first (the caller asks again at that card's rank)."""
        grant = asyncio.create_task(self.budget.acquire(lane.team, "chat.update", priority=priority))
        try:
            while not grant.done():
                woke = asyncio.create_task(lane.wake.wait())
                await asyncio.wait({grant, woke}, return_when=asyncio.FIRST_COMPLETED)
                woke.cancel()
                if grant.done():
                    break
                lane.wake.clear()
                better = lane.queue.best(time.monotonic())
                if better is not None and better.priority < priority:
                    return False
            grant.result()
            return True
        finally:
            if not grant.done():
                grant.cancel()

    async def _edit(self, lane: Lane, entry: Pending) -> None:
        shot_id, sent_at = entry.shot_id, None
        try:
            sent_at = await self._send(shot_id, entry.priority)
            self._failures.pop(shot_id, None)
            if sent_at is None:
                lane.credit += 1  # nothing to change after all: the token is the next edit's
        except CardHeld:
            sent_at = time.monotonic()  # the holder shows the stored state too; look again later
            lane.queue.add(shot_id, entry.priority, entry.since)
        except Exception as exc:
            failures = self._failures[shot_id] = self._failures.get(shot_id, 0) + 1
            if slack_away(exc):
                # Slack did not answer: the token is unspent, and the edit is retried only if it
                # shows a state (a progress tick is dropped: the next one says more)
                lane.credit += 1
                OUTAGE.failed("card edits", exc)
                if entry.priority == Priority.PROGRESS:
                    self._failures.pop(shot_id, None)
                    sent_at = time.monotonic()
                else:
                    wait = min(SLACK_RETRY_CEILING, SLACK_RETRY_FIRST * 2 ** (failures - 1))
                    sent_at = time.monotonic() + wait - self.interval  # due again after `wait`
                    lane.queue.add(shot_id, entry.priority, entry.since)
            elif not _transient(exc) or failures >= 30:
                # e.g. the card was deleted or the bot left the channel: nothing to edit any more
                log.warning("card %s cannot be updated (%s); giving up", shot_id, _describe(exc))
                self._failures.pop(shot_id, None)
            else:
                log.warning("card %s could not be updated (%s); trying again", shot_id, _describe(exc))
                sent_at = time.monotonic()  # try again one interval later
                lane.queue.add(shot_id, entry.priority, entry.since)
        finally:
            lane.queue.finished(shot_id, sent_at)
            lane.wake.set()

    async def _send(self, shot_id: int, priority: Priority) -> float | None:
        """Edit the card to its state now; when the edit went out, or None when nothing changed."""
        ts = await self.ensure_posted(shot_id)
        view = await self.view(shot_id)
        if isinstance(view, CardView) and is_dm(view.shot["channel_id"]):
            status = status_line(view.jobs[-1]["state"], view.takes)
            if status is not None or shot_id in self._statuses:
                # a DM thread shows Slack's status line while it renders, not card edits
                await self._status(view, ts, status or "")
                if status is not None:
                    return time.monotonic()
        text, blocks = _render(view)
        signature = _signature(view, (text, blocks))
        if view.shot.get("card_state") == signature:
            return None
        if not await self.store.run(
            leases.claim_card_edit, shot_id, self.store.replica, time.time(), EDIT_LEASE_SECONDS
        ):
            raise CardHeld(shot_id)
        async with self.serving(view.shot.get("team_id") or ""):
            with prepaid(priority):  # the lane's token for the card's team was taken for this edit
                # one attempt: a failure comes back to _edit, which retries a state and drops a tick
                await self._once.chat_update(channel=view.shot["channel_id"], ts=ts, text=text, blocks=blocks)
        OUTAGE.answered()
        self.sent += 1
        sent_at = time.monotonic()
        self._shown[shot_id] = _state(view)
        await self.store.run(jobs_db.set_card_state, shot_id, signature)
        return sent_at

    async def _status(self, view: CardView, ts: str, status: str) -> None:
        """Set (or with "" clear) the status line of a DM card's thread: again when it changes, or
        when it is due to lapse (Slack drops a status two minutes after it was set)."""
        shot_id = view.shot["id"]
        shown, at = self._statuses.get(shot_id, ("", 0.0))
        if shown == status and (not status or time.monotonic() - at < STATUS_REFRESH_SECONDS):
            return
        try:
            async with self.serving(view.shot.get("team_id") or ""):  # its own method's budget, not prepaid
                await self.client.api_call(
                    "assistant.threads.setStatus",
                    json={"channel_id": view.shot["channel_id"], "thread_ts": ts, "status": status},
                )
        except Exception as exc:  # a status line is a courtesy: the card's own state still lands
            log.warning("card %s: status line not set (%s)", shot_id, _describe(exc))
        if status:
            self._statuses[shot_id] = (status, time.monotonic())
        else:
            self._statuses.pop(shot_id, None)

    async def drain(self, timeout: float = 30.0) -> None:
        """Wait until every pending card edit has landed (used at shutdown and by `dailies try`)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            posting = any(lock.locked() for lock in self._post_locks.values())
            idle = all(lane.queue.idle for lane in self._lanes.values())
            if idle and not self._dirty and not self._ranking and not posting and not self._sends:
                return
            await asyncio.sleep(0.05)

    async def stop(self) -> None:
        log.info("card edits: %d sent, %d dropped", self.sent, self.dropped)
        loops = [self._ranker, *(lane.task for lane in self._lanes.values())]
        tasks = [*self._sends, *(task for task in loops if task is not None)]
        for task in tasks:
            task.cancel()
        if not tasks:
            return
        # bounded: a send caught mid-call must not hold up shutdown (the database keeps its state)
        _, stuck = await asyncio.wait(tasks, timeout=STOP_SECONDS)
        if stuck:
            log.warning("%d card tasks did not stop within %s s", len(stuck), STOP_SECONDS)


@dataclass
class Lane:
    """One workspace's card edits: its queue, and the loop that spends its chat.update budget."""

    team: str
    queue: CardQueue
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task | None = None
    credit: int = 0  # tokens taken for edits Slack never answered, spent before taking more


def _render(view: CardView | BoardView) -> tuple[str, list[dict]]:
    return render_board(view) if isinstance(view, BoardView) else render_card(view)


def _signature(view: CardView | BoardView, rendered: tuple[str, list[dict]] | None = None) -> str:
    """What a card's edit shows, as stored after it (`card_state`) to tell whether anything changed."""
    text, blocks = rendered or _render(view)
    return text + repr(blocks)


def _state(view: CardView | BoardView) -> tuple:
    return board_key(view) if isinstance(view, BoardView) else state_key(view)


def _priority(view: CardView | BoardView, last_sent: tuple | None) -> Priority:
    if isinstance(view, BoardView):
        return board_priority(view, last_sent)
    return edit_priority(view, last_sent)


async def _nap(wake: asyncio.Event, timeout: float | None) -> None:
    try:
        await asyncio.wait_for(wake.wait(), timeout)
    except TimeoutError:
        pass


def _describe(exc: Exception) -> str:
    from slack_sdk.errors import SlackApiError

    if isinstance(exc, SlackApiError):
        return f"Slack said {exc.response.get('error')}"
    return type(exc).__name__


def permanent_slack_error(exc: Exception) -> str | None:
    """Slack's error code when retrying cannot help (the bot is not in the channel, …), else None."""
    from slack_sdk.errors import SlackApiError

    if isinstance(exc, SlackApiError) and not _transient(exc):
        return str(exc.response.get("error") or "error")
    return None


def _transient(exc: Exception) -> bool:
    from aiohttp import ClientError
    from slack_sdk.errors import SlackApiError

    if isinstance(exc, SlackApiError):
        status = getattr(exc.response, "status_code", 200)
        return status == 429 or status >= 500
    return isinstance(exc, ClientError | asyncio.TimeoutError | OSError)
