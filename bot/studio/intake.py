"""The collaborators the studio's features share, grouped once: what turns a request into a job
(`Intake`) and how the studio shows what happened in the channel (`Telling`)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.cards.publisher import CardPublisher
from bot.cards.thread_notes import ThreadNotes
from bot.studio.inputs import Inputs
from bot.studio.routes import Routes
from bot.studio.start import Starter
from bot.studio.subjects import Library
from storage.db import Store


@dataclass(frozen=True)
class Intake:
    """What every feature that starts a job uses: the database, the routes (which backend renders a
    model), the channel's subjects, the images and audio fetched from Slack, and the Starter."""

    store: Store
    routes: Routes
    library: Library
    inputs: Inputs
    starter: Starter


@dataclass(frozen=True)
class Telling:
    """How a decision or a cancellation shows: the job card repainted and notes in its thread."""

    cards: CardPublisher
    notes: ThreadNotes
