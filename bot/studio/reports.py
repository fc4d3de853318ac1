"""The answers to `/video` subcommands about a channel: its jobs, its settings (shown and
changed), this month's spend and the latest recorded decisions."""

from __future__ import annotations

from bot.cards import answers
from bot.request.money import usd
from bot.studio.origin import Origin
from bot.studio.routes import Routes
from storage import approvals, audit, channels
from storage import campaigns as campaigns_db
from storage import jobs as jobs_db
from storage.clock import month_start_iso
from storage.db import Store


class Reports:
    def __init__(self, store: Store, routes: Routes) -> None:
        self.store = store
        self.routes = routes

    async def jobs_text(self, origin: Origin) -> str:
        """The channel's recent shots with their jobs and versions."""
        shots = await self.store.run(jobs_db.recent_shots, origin.team_id, origin.channel_id)
        text = answers.jobs_text(
            shots, lambda shot: f"(thread {shot['card_ts']})" if shot.get("card_ts") else ""
        )
        campaigns = await self.store.run(campaigns_db.recent_campaigns, origin.team_id, origin.channel_id)
        if not campaigns:
            return text
        lines = [
            f"• C{c['id']} *{c['title']}*: {c['delivered']} of {c['shots']} delivered (`/video cancel C{c['id']}` stops it)"
            for c in campaigns
        ]
        return "*Campaigns*\n" + "\n".join(lines) + "\n\n" + text

    async def settings_text(self, origin: Origin) -> str:
        """The channel's settings and this month's spend."""
        settings = await self.store.run(channels.get_settings, origin.team_id, origin.channel_id)
        spent = await self.store.run(
            channels.month_spend, origin.team_id, origin.channel_id, month_start_iso()
        )
        return answers.settings_text(
            settings,
            default_model=settings.default_model or self.routes.catalogue.default_draft,
            final_model=self.routes.final_model(settings),
            spent=spent,
        )

    async def change_setting(self, origin: Origin, key: str, value) -> str:
        """Store one channel setting (models are checked first) and show the settings."""
        if key in ("model", "final-model"):
            model = self.routes.catalogue.get(str(value))
            if model is None:
                return f"`{value}` is not a model I know; see `/video models`."
            value = model.id
            if key == "final-model":
                avail = self.routes.availability(self.routes.backend_for(model.id), model.id)
                if not avail.ok:
                    return f"`{model.id}` can't run here: {avail.reason}."
        await self.store.run(channels.set_setting, origin.team_id, origin.channel_id, key, value)
        await self.store.run(
            audit.record, origin.team_id, origin.channel_id, origin.user_id, "settings", f"{key} = {value}"
        )
        return "Saved.\n" + await self.settings_text(origin)

    async def spend_text(self, origin: Origin) -> str:
        """This month's spend in the channel, by model and by person."""
        settings = await self.store.run(channels.get_settings, origin.team_id, origin.channel_id)
        month = await self.store.run(
            approvals.month_spend_report, origin.team_id, origin.channel_id, month_start_iso()
        )
        lines = [f"*Spend this month:* {usd(month.spent)}"]
        if settings.budget_usd is not None:
            left = max(0.0, settings.budget_usd - month.spent - month.reserved)
            lines[0] += f" of {usd(settings.budget_usd)} · remaining {usd(left)}"
        if month.reserved:
            lines.append(f"Reserved by running jobs: {usd(month.reserved)}")
        if not month.by_model:
            lines.append("Nothing delivered this month yet.")
            return "\n".join(lines)
        lines.append("*By model*")
        lines += [f"• `{m}`: {usd(spent)} ({n} clip{'s' * (n != 1)})" for m, spent, n in month.by_model]
        lines.append("*By person*")
        lines += [f"• <@{u}>: {usd(spent)} ({n} clip{'s' * (n != 1)})" for u, spent, n in month.by_user]
        return "\n".join(lines)

    async def audit_text(self, origin: Origin) -> str:
        """The channel's latest decisions, newest first."""
        rows = await self.store.run(audit.latest, origin.team_id, origin.channel_id, 20)
        if not rows:
            return "No decisions recorded in this channel yet."
        lines = ["*Latest decisions in this channel*"]
        for r in rows:
            job = f" J{r['job_id']}" if r["job_id"] else ""
            detail = f": {r['detail']}" if r["detail"] else ""
            lines.append(f"• {r['at'][:16].replace('T', ' ')} <@{r['user_id']}> {r['action']}{job}{detail}")
        return "\n".join(lines)
