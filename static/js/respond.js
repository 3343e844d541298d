/* The child's pages work without this script. It adds three things:
   - every answer is saved the moment it is given, and kept in the tab while the tablet
     is offline, then sent again (with backoff) until the server has it;
   - read aloud: a recorded file where there is one, otherwise the device's voice for
     the page's language, and a plain message whenever neither is possible;
   - reading each question aloud automatically, if the child asked for it. */
(function () {
  "use strict";

  var html = document.documentElement;
  var lang = html.lang || "en";
  var form = document.querySelector("form[data-autosave]");
  var note = document.querySelector("[data-speech-note]");
  var connection = document.querySelector("[data-connection]");
  var STORE = "viewpoint-pending";
  var messages = {
    saving: text("data-msg-saving", "Saving…"),
    saved: text("data-msg-saved", "Saved"),
    waiting: text("data-msg-waiting", "Saved on this tablet. It will be sent when you're back online."),
    offline: text("data-msg-offline", "You're offline. Your answers are kept on this tablet and will be saved when you're back online."),
    online: text("data-msg-online", "You're back online. Your answers are saved."),
    hold: text("data-msg-hold", "Please wait until you're back online, then tap again. Your answers are kept."),
    signedOut: text("data-msg-signed-out", "Your time ran out, so we closed your questions to keep them private. Type your code again to carry on."),
    invalid: text("data-msg-invalid", "That answer couldn't be saved. Please choose again."),
    noVoice: text("data-msg-no-voice", "Sorry, this tablet can't read aloud in this language. You could ask someone to read it to you."),
    tapToHear: text("data-msg-tap", "Tap the speaker button to hear the question.")
  };

  function text(attr, fallback) {
    var holder = document.querySelector("[" + attr + "]");
    return holder ? holder.getAttribute(attr) : fallback;
  }

  function show(element, message) {
    if (!element) { return; }
    element.textContent = message;
    element.hidden = !message;
  }

  /* ---------- read aloud ---------- */

  var voice = null;
  function pickVoice() {
    if (!("speechSynthesis" in window)) { return null; }
    var base = lang.toLowerCase().split("-")[0];
    var voices = window.speechSynthesis.getVoices();
    for (var i = 0; i < voices.length; i++) {
      if (voices[i].lang && voices[i].lang.toLowerCase().split(/[-_]/)[0] === base) { return voices[i]; }
    }
    return null;
  }
  if ("speechSynthesis" in window) {
    voice = pickVoice();
    window.speechSynthesis.addEventListener("voiceschanged", function () { voice = pickVoice(); });
  }

  var playing = null;
  function stopSpeaking() {
    if (playing) { playing.pause(); playing = null; }
    if ("speechSynthesis" in window) { window.speechSynthesis.cancel(); }
    document.querySelectorAll("button.speak.speaking").forEach(function (b) { b.classList.remove("speaking"); });
  }

  function speak(button) {
    stopSpeaking();
    var audio = button.getAttribute("data-audio");
    var target = document.getElementById(button.getAttribute("data-speak"));
    if (audio) {
      playing = new Audio(audio);
      button.classList.add("speaking");
      playing.addEventListener("ended", stopSpeaking);
      playing.play().catch(function () { speakText(button, target); });
      return;
    }
    speakText(button, target);
  }

  function speakText(button, target) {
    if (!target) { return; }
    voice = voice || pickVoice();
    if (!voice) { speechNote(button, messages.noVoice); return; }
    var utterance = new SpeechSynthesisUtterance(target.innerText);
    utterance.lang = voice.lang;
    utterance.voice = voice;
    utterance.onend = stopSpeaking;
    utterance.onerror = function (event) {
      stopSpeaking();
      speechNote(button, event.error === "not-allowed" ? messages.tapToHear : messages.noVoice);
    };
    button.classList.add("speaking");
    window.speechSynthesis.speak(utterance);
  }

  // Why nothing was read aloud, shown right beside the button that was tapped (where the
  // child is looking, even at the top of a long page); made here on pages without a place
  // for it.
  function speechNote(button, message) {
    if (!note) {
      note = document.createElement("p");
      note.className = "speech-note";
      note.setAttribute("data-speech-note", "");
      note.setAttribute("aria-live", "polite");
    }
    var anchor = button.closest("legend, .answer, .scale, .heading-row") || button;
    anchor.insertAdjacentElement("afterend", note);
    show(note, message);
  }

  document.querySelectorAll("button.speak").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { speak(button); });
  });

  var setting = document.querySelector("[data-read-aloud-setting]");
  if (setting) {
    setting.hidden = false;
    setting.querySelectorAll("[data-no-js-only]").forEach(function (e) { e.hidden = true; });
    setting.addEventListener("change", function () {
      fetch(setting.action, { method: "POST", body: new FormData(setting), credentials: "same-origin" });
    });
  }

  if (form && form.getAttribute("data-auto-read") === "on") {
    var first = form.querySelector("fieldset button.speak");
    if (first) { window.setTimeout(function () { speak(first); }, 400); }
  }

  /* ---------- saving every answer ---------- */

  if (!form) { return; }
  var endpoint = form.getAttribute("data-endpoint");
  var token = form.getAttribute("data-token");
  var csrf = form.querySelector("input[name=csrf_token]").value;

  function newId() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function load() {
    try { return JSON.parse(window.sessionStorage.getItem(STORE) || "[]"); } catch (e) { return []; }
  }
  function store(queue) {
    try { window.sessionStorage.setItem(STORE, JSON.stringify(queue)); } catch (e) { /* storage full or blocked: the in-page queue still works */ }
  }

  // Answers queued by another child on this tablet are never sent into this one's questions.
  var queue = load().filter(function (item) { return item.token === token; });
  store(queue);

  function stateFor(key, message) {
    show(form.querySelector('[data-save-state="' + key + '"]'), message);
  }

  function valueOf(fieldset) {
    var type = fieldset.getAttribute("data-type");
    var name = "q-" + fieldset.getAttribute("data-question");
    var inputs = fieldset.querySelectorAll('[name="' + name + '"]');
    if (type === "free_text") {
      var declinedBox = fieldset.querySelector('input[value="_declined"]');
      if (declinedBox && declinedBox.checked) { return { declined: true, value: null }; }
      return { declined: false, value: fieldset.querySelector("textarea").value.trim() || null };
    }
    if (type === "choose_many") {
      var chosen = [];
      var declined = false;
      inputs.forEach(function (input) {
        if (!input.checked) { return; }
        if (input.value === "_declined") { declined = true; } else { chosen.push(input.value); }
      });
      return declined ? { declined: true, value: null } : { declined: false, value: chosen.length ? chosen : null };
    }
    var picked = fieldset.querySelector('[name="' + name + '"]:checked');
    if (!picked) { return { declined: false, value: null }; }
    if (picked.value === "_declined") { return { declined: true, value: null }; }
    return { declined: false, value: type === "scale" ? parseInt(picked.value, 10) : picked.value };
  }

  function enqueue(fieldset) {
    var key = fieldset.getAttribute("data-question");
    var answer = valueOf(fieldset);
    // Only the newest answer to a question matters: an older one still waiting is replaced.
    queue = queue.filter(function (item) { return item.question !== key; });
    queue.push({ question: key, value: answer.value, declined: answer.declined, save_id: newId(), token: token });
    store(queue);
    stateFor(key, messages.saving);
    flush();
  }

  var sending = false;
  var delay = 1000;
  var retryTimer = null;

  function flush() {
    if (sending || !queue.length) { return; }
    if (!navigator.onLine) { waiting(); return; }
    sending = true;
    var item = queue[0];
    fetch(endpoint, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(item)
    }).then(function (reply) {
      sending = false;
      if (reply.ok) {
        delay = 1000;
        done(item, messages.saved);
        if (connection && !connection.hidden && !queue.length) { show(connection, messages.online); }
        flush();
      } else if (reply.status === 401) {
        // Keep the answer in this tab: it is sent once the child types their code again.
        show(connection, messages.signedOut);
      } else if (reply.status === 409 || reply.status === 422 || reply.status === 400) {
        done(item, reply.status === 422 ? messages.invalid : "");
        flush();
      } else {
        retry();
      }
    }).catch(function () {
      sending = false;
      retry();
    });
  }

  function done(item, message) {
    queue = queue.filter(function (other) { return other.save_id !== item.save_id; });
    store(queue);
    if (!queue.some(function (other) { return other.question === item.question; })) {
      stateFor(item.question, message);
    }
  }

  function waiting() {
    queue.forEach(function (item) { stateFor(item.question, messages.waiting); });
    show(connection, messages.offline);
  }

  function retry() {
    waiting();
    window.clearTimeout(retryTimer);
    retryTimer = window.setTimeout(flush, delay);
    delay = Math.min(delay * 2, 30000);
  }

  window.addEventListener("online", function () { delay = 1000; flush(); });
  window.addEventListener("offline", waiting);

  form.querySelectorAll("fieldset[data-question]").forEach(function (fieldset) {
    var timer = null;
    fieldset.addEventListener("change", function (event) {
      var input = event.target;
      if (fieldset.getAttribute("data-type") === "choose_many" && input.checked) {
        // "I'd rather not say" and real answers exclude each other.
        fieldset.querySelectorAll('input[type="checkbox"]').forEach(function (other) {
          if (other !== input && (input.value === "_declined" || other.value === "_declined")) { other.checked = false; }
        });
      }
      if (fieldset.getAttribute("data-type") === "free_text" && input.type === "checkbox" && input.checked) {
        fieldset.querySelector("textarea").value = "";
      }
      enqueue(fieldset);
    });
    var area = fieldset.querySelector("textarea");
    if (area) {
      area.addEventListener("input", function () {
        window.clearTimeout(timer);
        timer = window.setTimeout(function () { enqueue(fieldset); }, 800);
      });
    }
  });

  // An answer given before this script started (a quick tap while a slow page was still
  // loading) had no one listening for it: save it now rather than only when the page is sent.
  form.querySelectorAll("fieldset[data-question]").forEach(function (fieldset) {
    var changed = Array.prototype.some.call(fieldset.querySelectorAll("input[type=radio], input[type=checkbox]"),
      function (input) { return input.checked !== input.defaultChecked; });
    var area = fieldset.querySelector("textarea");
    if (changed || (area && area.value !== area.defaultValue)) { enqueue(fieldset); }
  });

  form.addEventListener("submit", function (event) {
    if (!navigator.onLine) {
      event.preventDefault();
      show(connection, messages.hold);
      return;
    }
    // The page's own form carries every answer on it, so nothing waiting for this page
    // needs sending separately.
    var onPage = {};
    form.querySelectorAll("fieldset[data-question]").forEach(function (f) { onPage[f.getAttribute("data-question")] = true; });
    queue = queue.filter(function (item) { return !onPage[item.question]; });
    store(queue);
    form.querySelectorAll("button[type=submit]").forEach(function (b) {
      window.setTimeout(function () { b.disabled = true; }, 0);
    });
  });

  flush();
})();
