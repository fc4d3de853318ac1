// The sync player: one play/pause/scrub for every version ticked "in sync", kept within a frame
// or two of the longest clip. Without this script each player still plays on its own.
(() => {
  "use strict";
  document.documentElement.classList.add("js");
  // places on a timeline (a cut's shots, notes' marks) come as data: the page's policy (style-src
  // 'self') drops inline style attributes, while styles set from this script apply
  document.querySelectorAll("[data-left]").forEach((el) => {
    el.style.left = `${Number(el.dataset.left) || 0}%`;
    if (el.dataset.width) el.style.width = `${Number(el.dataset.width) || 0}%`;
  });
  const transport = document.getElementById("transport");
  const all = Array.from(document.querySelectorAll("video[data-version]"));
  if (!transport || all.length === 0) return;
  const play = document.getElementById("play");
  const scrub = document.getElementById("scrub");
  const clock = document.getElementById("clock");
  const mute = document.getElementById("mute");
  const FRAME = 1 / 24;
  const DRIFT = 0.015; // seconds a follower may drift before its speed is nudged
  const JUMP = 0.09; // seconds off beyond which it seeks instead (kept under the 0.1 s a viewer notices)
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
  // resolves once a player can play from where it stands (or after a while, so nothing hangs)
  const ready = (v) =>
    new Promise((done) => {
      const events = ["seeked", "canplay", "canplaythrough"];
      const check = (force) => {
        if (force !== true && (v.seeking || v.readyState < 3)) return;
        for (const e of events) v.removeEventListener(e, check);
        done();
      };
      for (const e of events) v.addEventListener(e, check);
      setTimeout(() => check(true), 2000);
      check(false);
    });
  async function start() {
    const lead = leader();
    if (!lead) return;
    if (lead.ended || lead.currentTime >= length(lead) - 0.01) seekAll(0);
    const t = lead.currentTime;
    const group = picked().filter((v) => t < length(v));
    for (const v of group) {
      v.muted = mute.checked || v !== lead;
      v.playbackRate = 1;
      v.currentTime = t;
    }
    setPlaying(true);
    await Promise.all(group.map(ready)); // start together, not each as soon as it can
    if (!playing) return;
    await Promise.all(group.map((v) => v.play().catch(() => {})));
    requestAnimationFrame(follow);
  }
  function stop() {
    setPlaying(false);
    for (const v of all) {
      v.pause();
      v.playbackRate = 1;
    }
    const lead = leader();
    if (lead) seekAll(lead.currentTime);
  }
  function follow() {
    if (!playing) return;
    const lead = leader();
    if (!lead) return setPlaying(false);
    const t = lead.currentTime;
    for (const v of picked()) {
      if (v === lead || t >= length(v)) continue;
      const ahead = v.currentTime - t;
      if (Math.abs(ahead) > JUMP) {
        v.currentTime = t; // far off (a stall, a scrub): jump back in step
        v.playbackRate = 1;
      } else if (Math.abs(ahead) > DRIFT) {
        v.playbackRate = Math.min(1.5, Math.max(0.5, 1 - ahead * 6)); // close: catch up smoothly
      } else {
        v.playbackRate = 1;
      }
      if (v.paused && !lead.paused) v.play().catch(() => {});
    }
    show(t);
    if (lead.ended) return setPlaying(false);
    requestAnimationFrame(follow);
  }

  for (const v of all) {
    // the transport drives the players ticked "in sync" (on a campaign's page, each shot's latest
    // to begin with); a click on one of their pictures plays or pauses them all
    if (picked().includes(v)) v.removeAttribute("controls");
    v.addEventListener("click", () => picked().includes(v) && (playing ? stop() : start()));
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
  // a note's timecode (beside its version, or its marker on the timeline) seeks every synced player
  document.querySelectorAll("[data-seek]").forEach((button) =>
    button.addEventListener("click", () => {
      stop();
      seekAll(Math.max(0, Number(button.dataset.seek) || 0));
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
