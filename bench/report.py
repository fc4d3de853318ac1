"""The benchmark table: one Markdown row per figure, beside its target."""

from __future__ import annotations


def _rows(result: dict) -> list[tuple[str, str, str]]:
    name = result["name"]
    if name == "campaign":
        return [row for r in result["rows"] for row in _campaign_rows(r)]
    if name == "ack":
        rows = [
            (
                f"ack p50 / p99, {r['in_flight']} jobs in flight",
                f"{r['p50_ms']} / {r['p99_ms']} ms",
                "p99 < 100 ms",
            )
            for r in result["levels"]
        ]
        rows.append(
            (
                f"RSS of the serving process, {result['rss_in_flight']} jobs in flight",
                f"{result['rss_mb']} MB (peak {result['peak_rss_mb']} MB)",
                "< 300 MB",
            )
        )
        return rows
    if name == "burst":
        return [
            (
                f"ack p50 / p99 during a burst of {result['jobs']:,} starting jobs",
                f"{result['p50_ms']} / {result['p99_ms']} ms (max {result['max_ms']} ms, "
                f"{result['probes']} probes; all started after {result['started_s']} s)",
                "p99 < 100 ms",
            )
        ]
    if name == "delivery":
        rows = []
        for r in result["rows"]:
            ratio = f", files_upload_v2 grows {r['ratio']}× more" if r["ratio"] else ""
            rows.append(
                (
                    f"RSS growth delivering a {r['clip_mb']} MB clip: bot (files_upload_v2)",
                    f"{r['bot_growth_mb']} MB ({r['sdk_growth_mb']} MB{ratio})",
                    "< 20 MB at 300 MB",
                )
            )
        rows += [
            (f"bot overhead per clip, {r['clip_mb']} MB", f"{r['overhead_ms']} ms", "< 300 ms")
            for r in result["rows"]
        ]
        return rows
    if name == "screening":
        return [
            (
                f"screening room: RSS growth serving a {result['clip_mb']} MB clip, read whole + "
                f"{result['seeks']} seeks",
                f"{result['growth_mb']} MB",
                "< 20 MB",
            ),
            (
                "screening room: time to first byte of a ranged answer, p50 / max",
                f"{result['ttfb_p50_ms']} / {result['ttfb_max_ms']} ms",
                "",
            ),
        ]
    if name == "traffic":
        methods = ", ".join(f"{m} {v:g}" for m, v in result["by_method"].items())
        return [
            (
                f"Slack calls per job, {result['render_seconds']:g} s render",
                f"{result['slack_calls_per_job']:g} ({methods})",
                "1 post + edits ≤ 1 per 3 s + 3 upload calls",
            ),
            (
                f"provider polls per job, {result['render_seconds']:g} s render",
                f"{result['provider_polls_per_job']:g}",
                "poll every 5 s, backing off",
            ),
        ]
    if name == "replicas":
        one, two = result["sustained"]
        take = result["takeover"]
        return (
            [
                (
                    f"ack p50 / p99, one process, {db}",
                    f"{result[key]['p50_ms']} / {result[key]['p99_ms']} ms",
                    "p99 < 100 ms",
                )
                for db, key in (("SQLite", "sqlite_ack"), ("PostgreSQL", "postgres_ack"))
            ]
            + [
                (
                    f"jobs started per second, {r['jobs']} commands 32 at a time, {r['replicas']} "
                    f"replica{'s' if r['replicas'] > 1 else ''} on PostgreSQL (ack p99)",
                    f"{r['jobs_per_s']} jobs/s ({r['p99_ms']} ms)",
                    "",
                )
                for r in (one, two)
            ]
            + [
                (
                    f"takeover after kill -9 of one of 2 replicas ({take['takes']} takes, "
                    f"DAILIES_LEASE_SECONDS={take['lease_s']:g}): kill → survivor's first poll",
                    f"{take['takeover_s']} s",
                    f"≤ lease + 1 poll ({take['lease_s'] + 1:g} s)",
                )
            ]
        )
    if name == "scale":
        return _scale_rows(result)
    if name == "reference_video":
        return [
            (
                f"reference video fetched and checked, {r['video_mb']} MB: extra work per job",
                f"check {r['check_ms']} ms after a {r['download_ms']} ms download "
                f"({r['time_ratio']}× the download alone); peak RSS growth {r['fetch_check_growth_mb']} MB "
                f"(download alone {r['download_growth_mb']} MB)",
                "memory flat in the size",
            )
            for r in result["rows"]
        ]
    if name == "cut":
        return [
            (
                f"the cut: peak RSS growth assembling {result['shots']} shots of {result['shot_mb']} MB "
                f"(1080p, {result['frames']} frames out), after the first shot / after all",
                f"{result['growth_first_shot_mb']} / {result['growth_mb']} MB (decoding alone "
                f"{result['decode_growth_mb']} MB)",
                "< 100 MB, flat in the shots",
            ),
            (
                "the cut: frames out a second, beside a decode-only pass of the same frames",
                f"{round(result['frames'] / result['cut_s'], 1)} fps in {result['cut_s']} s "
                f"({result['ratio']}× the decode-only pass, {result['decode_s']} s)",
                "",
            ),
        ]
    if name == "try":
        return [
            (f"`dailies try`, {result['clip_seconds']} s preview clip", f"{result['seconds']} s", "< 10 s")
        ]
    return [
        (
            f"preview renderer, {result['width']}x{result['height']}, {result['clip_seconds']} s clip",
            f"{result['speed']}× real time ({result['seconds']} s)",
            "",
        )
    ]


def _scale_rows(r: dict) -> list[tuple[str, str, str]]:
    ack, resume, (one, two) = r["ack"], r["resume"], r["cost"]
    idle, busy = ack["idle"], ack["busy"]
    return [
        (
            "ack p50 / p99 / max, 2 replicas on PostgreSQL, nothing in flight (baseline)",
            f"{idle['p50_ms']} / {idle['p99_ms']} / {idle['max_ms']} ms ({ack['probes']} probes)",
            "p99 < 100 ms",
        ),
        (
            f"ack p50 / p99 / max, 2 replicas on PostgreSQL, {ack['jobs']:,} jobs in flight "
            f"({' + '.join(str(n) for n in ack['in_flight'])} on each)",
            f"{busy['p50_ms']} / {busy['p99_ms']} / {busy['max_ms']} ms (p99 ×{ack['p99_ratio']} the "
            f"baseline; all started in {ack['started_s']} s)",
            "p99 < 100 ms",
        ),
        (
            f"PostgreSQL restarted under {resume['takes']} takes in flight on 2 replicas (away "
            f"{resume['away_s']:g} s): database answering → every take's state stored again / "
            "/healthz 200 / every take polled again (p50)",
            f"{resume['written_s']} / {resume['healthy_s']} / {resume['resumed_s']} s "
            f"({resume['resumed_p50_s']} s); steady poll cycle {resume['steady_cycle_s']} s "
            f"(×{resume['ratio']}); {resume['failed']} failed, {resume['creates'] - resume['takes']} "
            "submitted twice",
            "≤ reconnect (2 s) + one poll cycle",
        ),
        (
            f"CPU-seconds of the bot per delivered job ({one['jobs']} jobs): 1 replica / 2 replicas",
            f"{one['cpu_s_per_job']} / {two['cpu_s_per_job']} s (×{r['cpu_ratio']}; "
            f"{' + '.join(str(c) for c in two['cpu_s_each'])} s on the two); idle "
            f"{one['idle_cpu_s_per_min']} / {two['idle_cpu_s_per_min']} CPU-s a minute",
            "flat in the replicas",
        ),
        (
            f"SQL statements per delivered job ({one['jobs']} jobs): 1 replica / 2 replicas",
            f"{one['statements_per_job']} / {two['statements_per_job']} (×{r['statements_ratio']}; "
            f"{' + '.join(str(c) for c in two['statements_each'])} on the two); idle "
            f"{one['idle_statements_per_min']} / {two['idle_statements_per_min']} a minute",
            "flat in the replicas",
        ),
    ]


def _campaign_rows(r: dict) -> list[tuple[str, str, str]]:
    lag, least = r["lag_s"], r["least_lag_s"]
    what = f"campaign, {r['jobs']} jobs in {r.get('channels', 4)} channels" + (
        f" (clock ×{r['scale']:g})" if r["scale"] != 1 else ""
    )
    return [
        (
            f"{what}: clip landed → card final, p50 / p95 / max",
            f"{lag['p50']} / {lag['p95']} / {lag['max']} s; floor {least['p50']} / {least['p95']} / "
            f"{least['max']} s (p95 {r['p95_of_goal']}× the goal)",
            f"p95 ≤ 1.5× floor + 5 s = {r['p95_goal_s']} s",
        ),
        (
            f"{what}: 429s received",
            f"{r['rate_limited']} of {r['slack_calls']} Slack calls ({r['rate_limited_pct']} %)",
            "< 1 %",
        ),
        (
            f"{what}: card edits sent / dropped (per card); every card final after",
            f"{r['edits_sent']} / {r['edits_dropped']} ({r['edits_per_card']}); {r['all_final_s']} s",
            "",
        ),
        (
            f"{what}: ack p99 (max)",
            f"{r['ack_p99_ms']} ms ({r['ack_max_ms']} ms, {r['acks']} acks; the bench process's own "
            f"loop lag p99 {r.get('bench_loop_lag_p99_ms', '?')} ms)",
            "p99 < 100 ms",
        ),
    ]


def table(results: list[dict]) -> str:
    lines = ["| measure | result | target |", "|---|---|---|"]
    for result in results:
        lines += [f"| {a} | {b} | {c} |" for a, b, c in _rows(result)]
    return "\n".join(lines)
