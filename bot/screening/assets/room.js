// The sync player: one play/pause/scrub for every version ticked "in sync", kept within a frame
// or two of the longest clip. Without this script each player still plays on its own.
(() => {
  "use strict";
  document.documentElement.classList.add("js");
  const transport = document.getElementById("transport");
  const all = Array.from(document.querySelectorAll("video[data-version]"));
  if (!transport || all.length === 0) return;
  const play = document.getElementById("play");
  const scrub = document.getElementById("scrub");
  const clock = document.getElementById("clock");
  const mute = document.getElementById("mute");
  const FRAME = 1 / 24;
  const DRIFT = 0.04; // seconds a follower may drift before it is put back in step
  let playing = false;

  const picked = () => all.filter((v) => document.querySelector(`[data-sync="v${v.dataset.version}"]`)?.checked);
  const length = (v) => (Number.isFinite(v.duration) ? v.duration : 0);
  const leader = () => picked().reduce((a, b) => (length(b) > length(a) ? b : a), picked()[0]);
  const longest = () => Math.max(0, ...picked().map(length));
  const fmt = (t) => `${Math.floor(t / 60)}:${(t % 60).toFixed(2).padStart(5, "0")}`;

  function seekAll(t) {
    for (const v of picked()) v.currentTime = Math.min(t, Math.max(0, length(v) - 0.001));
    show(t);
  }
  function show(t) {
    const total = longest();
    clock.value = fmt(t);
    if (total > 0 && document.activeElement !== scrub) scrub.value = String(Math.round((t / total) * 1000));
  }
  function setPlaying(on) {
    playing = on;
    play.textContent = on ? "❚❚ Pause" : "▶ Play in sync";
    play.setAttribute("aria-label", on ? "Pause" : "Play");
  }
  async function start() {
    const lead = leader();
    if (!lead) return;
    if (lead.ended || lead.currentTime >= length(lead) - 0.01) seekAll(0);
    const t = lead.currentTime;
    for (const v of picked()) {
      v.muted = mute.checked || v !== lead;
      if (t < length(v)) v.currentTime = t;
    }
    setPlaying(true);
    await Promise.all(picked().filter((v) => t < length(v)).map((v) => v.play().catch(() => {})));
    requestAnimationFrame(follow);
  }
  function stop() {
    for (const v of all) v.pause();
    const lead = leader();
    if (lead) seekAll(lead.currentTime);
    setPlaying(false);
  }
  function follow() {
    if (!playing) return;
    const lead = leader();
    if (!lead) return setPlaying(false);
    const t = lead.currentTime;
    for (const v of picked()) {
      if (v === lead || t >= length(v)) continue;
      if (Math.abs(v.currentTime - t) > DRIFT) v.currentTime = t;
      if (v.paused && !lead.paused) v.play().catch(() => {});
    }
    show(t);
    if (lead.ended) return setPlaying(false);
    requestAnimationFrame(follow);
  }

  for (const v of all) {
    v.removeAttribute("controls"); // the transport drives them; a click on a picture plays or pauses
    v.addEventListener("click", () => (playing ? stop() : start()));
    v.addEventListener("loadedmetadata", () => show(leader()?.currentTime || 0));
  }
  document.querySelectorAll("[data-sync]").forEach((box) =>
    box.addEventListener("change", () => {
      const v = document.getElementById(box.dataset.sync);
      if (!box.checked) {
        v.setAttribute("controls", "");
        v.pause();
      } else {
        v.removeAttribute("controls");
        v.currentTime = leader()?.currentTime || 0;
        if (playing) v.play().catch(() => {});
      }
    }),
  );
  play.addEventListener("click", () => (playing ? stop() : start()));
  scrub.addEventListener("input", () => seekAll((Number(scrub.value) / 1000) * longest()));
  document.getElementById("back").addEventListener("click", () => {
    stop();
    seekAll(Math.max(0, (leader()?.currentTime || 0) - FRAME));
  });
  document.getElementById("fwd").addEventListener("click", () => {
    stop();
    seekAll((leader()?.currentTime || 0) + FRAME);
  });
  mute.addEventListener("change", () => {
    const lead = leader();
    for (const v of all) v.muted = mute.checked || v !== lead;
  });
  document.addEventListener("keydown", (e) => {
    if (e.target instanceof HTMLInputElement && e.target.type !== "range") return;
    if (e.key === " ") {
      e.preventDefault();
      playing ? stop() : start();
    } else if (e.key === "ArrowLeft" || e.key === "ArrowRight") {
      e.preventDefault();
      stop();
      seekAll(Math.max(0, (leader()?.currentTime || 0) + (e.key === "ArrowLeft" ? -FRAME : FRAME)));
    }
  });
  transport.hidden = false;
})();
