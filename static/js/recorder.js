// Reading a questionnaire's words aloud on the authors' language page.
//
// Without this script (or without a microphone the browser may use) each text has a plain
// form that takes a recording made on the device. With it, each text gets Record, Stop and
// Save buttons: the recording is heard back before it is saved, can be made again, and is
// kept on the page until the server says it is saved, so a dropped connection loses nothing
// (Save again sends it again).
(() => {
  "use strict";
  const words = document.getElementById("recorder-words");
  if (!words || !window.MediaRecorder || !navigator.mediaDevices
      || !navigator.mediaDevices.getUserMedia) {
    return;
  }
  const say = words.dataset;
  // What this browser records in: Chromium and Firefox WebM/Opus, Safari MP4/AAC.
  const TYPES = [["audio/webm;codecs=opus", ".webm"], ["audio/webm", ".webm"],
                 ["audio/mp4", ".m4a"], ["audio/ogg;codecs=opus", ".ogg"]];
  const chosen = TYPES.find(([type]) => MediaRecorder.isTypeSupported(type)) || ["", ".webm"];

  const button = (label, kind) => {
    const made = document.createElement("button");
    made.type = "button";
    made.className = `button ${kind}`;
    made.textContent = label;
    return made;
  };

  let busy = null;  // the one recorder running: a second Record stops the first

  for (const box of document.querySelectorAll(".recorder")) {
    const form = box.querySelector(".record-form");
    const fallback = form && form.querySelector(".file-fallback");
    if (!form || !fallback) {
      continue;
    }
    const record = button(say.record, "secondary");
    const stop = button(say.stop, "warning");
    const save = button(say.save, "");
    const heard = document.createElement("audio");
    heard.controls = true;
    heard.setAttribute("aria-label", say.heard);
    const status = document.createElement("p");
    status.className = "small record-status";
    status.setAttribute("role", "status");
    const controls = document.createElement("div");
    controls.className = "record-controls";
    controls.append(record, stop, heard, save);
    stop.hidden = save.hidden = heard.hidden = true;
    form.append(controls, status);
    fallback.hidden = true;

    let recorder = null;
    let stream = null;
    let chunks = [];
    let made = null;

    const finish = () => {
      if (stream) {
        stream.getTracks().forEach((track) => track.stop());
        stream = null;
      }
    };

    record.addEventListener("click", async () => {
      if (busy && busy !== stop) {
        busy.click();
      }
      try {
        stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      } catch (refused) {
        status.textContent = say.noMicrophone;
        fallback.hidden = false;
        return;
      }
      chunks = [];
      recorder = new MediaRecorder(stream, chosen[0] ? { mimeType: chosen[0] } : undefined);
      recorder.addEventListener("dataavailable", (event) => {
        if (event.data && event.data.size) {
          chunks.push(event.data);
        }
      });
      recorder.addEventListener("stop", () => {
        finish();
        busy = null;
        made = new Blob(chunks, { type: recorder.mimeType || chosen[0] });
        if (heard.src) {
          URL.revokeObjectURL(heard.src);
        }
        heard.src = URL.createObjectURL(made);
        heard.hidden = save.hidden = record.hidden = false;
        stop.hidden = true;
        record.textContent = say.again;
        status.textContent = say.listen;
        save.focus();
      });
      recorder.start();
      busy = stop;
      record.hidden = save.hidden = heard.hidden = true;
      stop.hidden = false;
      status.textContent = say.recording;
      stop.focus();
    });

    stop.addEventListener("click", () => {
      if (recorder && recorder.state !== "inactive") {
        recorder.stop();
      }
    });

    save.addEventListener("click", async () => {
      if (!made) {
        return;
      }
      const data = new FormData(form);
      data.delete("recording");
      data.append("recording", made, `recording${chosen[1]}`);
      save.disabled = true;
      status.textContent = say.saving;
      try {
        const response = await fetch(form.action, {
          method: "POST", body: data, credentials: "same-origin",
          headers: { Accept: "application/json" },
        });
        if (!(response.headers.get("Content-Type") || "").includes("application/json")) {
          // Signed out meanwhile (the sign-in page came back): the recording stays here.
          status.textContent = say.signedOut;
          return;
        }
        const answer = await response.json();
        if (!response.ok || answer.status !== "saved") {
          status.textContent = answer.message || say.failed;
          return;
        }
        const kept = box.querySelector(".recorded");
        if (kept) {
          kept.querySelector("audio").src = answer.audio;
          kept.hidden = false;
        }
        status.textContent = answer.message;
        save.hidden = heard.hidden = true;
        made = null;
      } catch (lost) {
        status.textContent = say.failed;  // kept: Save sends it again
      } finally {
        save.disabled = false;
      }
    });
  }
})();
