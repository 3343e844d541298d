/* The child's pages work without this script. It adds three things:
   - every answer is saved the moment it is given, and kept on the tablet (in the tab, and
     encrypted with a key from the child's code, through a closed tab) while the server
     cannot be reached, then sent again (with backoff, several in one request, in the
     child's order) until the server has it;
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
  var sayEndpoint = html.getAttribute("data-say-endpoint") || "/respond/say";
  var messages = {
    saving: text("data-msg-saving", "Saving…"),
    saved: text("data-msg-saved", "Saved"),
    waiting: text("data-msg-waiting", "Saved on this tablet. It will be sent when you're back online."),
    offline: text("data-msg-offline", "You're offline. Your answers are kept on this tablet and will be saved when you're back online."),
    online: text("data-msg-online", "You're back online. Your answers are saved."),
    hold: text("data-msg-hold", "Please wait until you're back online, then tap again. Your answers are kept."),
    signedOut: text("data-msg-signed-out", "Your time ran out, so we closed your questions to keep them private. Type your code again to carry on."),
    elsewhere: text("data-msg-elsewhere", "Your code was typed on another tablet or phone, so we closed your questions here. Any answer not saved yet is kept on this tablet: type your code here again to send it."),
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

  var voices = {};
  function pickVoice(wanted) {
    if (!("speechSynthesis" in window)) { return null; }
    var base = (wanted || lang).toLowerCase().split("-")[0];
    if (voices[base]) { return voices[base]; }
    var all = window.speechSynthesis.getVoices();
    for (var i = 0; i < all.length; i++) {
      if (all[i].lang && all[i].lang.toLowerCase().split(/[-_]/)[0] === base) { voices[base] = all[i]; return all[i]; }
    }
    return null;
  }
  if ("speechSynthesis" in window) {
    window.speechSynthesis.addEventListener("voiceschanged", function () { voices = {}; });
  }

  var playing = null;
  function stopSpeaking() {
    if (playing) { playing.pause(); playing = null; }
    if ("speechSynthesis" in window) { window.speechSynthesis.cancel(); }
    document.querySelectorAll("button.speak.speaking").forEach(function (b) { b.classList.remove("speaking"); });
  }

  function play(button, address) {
    playing = new Audio(address);
    button.classList.add("speaking");
    playing.addEventListener("ended", stopSpeaking);
    return playing.play();
  }

  // Words with no file yet are made by the server on first need, from the words and the
  // signature the page carries (see rendering.spoken); the result is kept for this page.
  function made(button) {
    if (button.viewpointAudio) { return Promise.resolve(button.viewpointAudio); }
    return fetch(sayEndpoint, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        language: button.getAttribute("data-say-lang"),
        text: button.getAttribute("data-say-text"),
        keep: parseInt(button.getAttribute("data-say-keep"), 10),
        sig: button.getAttribute("data-say")
      })
    }).then(function (reply) {
      if (!reply.ok) { throw new Error("no audio: " + reply.status); }
      return reply.blob();
    }).catch(function (error) {
      // Offline: the words made when the questionnaire was kept on the tablet.
      if (!window.caches) { throw error; }
      return window.caches.match("/offline/say/" + button.getAttribute("data-say")).then(function (found) {
        if (!found) { throw error; }
        return found.blob();
      });
    }).then(function (blob) {
      button.viewpointAudio = URL.createObjectURL(blob);
      return button.viewpointAudio;
    });
  }

  function speak(button) {
    stopSpeaking();
    var audio = button.getAttribute("data-audio");
    var target = document.getElementById(button.getAttribute("data-speak"));
    if (audio) {
      play(button, audio).catch(function () { speakText(button, target); });
      return;
    }
    if (button.hasAttribute("data-say")) {
      button.classList.add("speaking");
      made(button).then(function (address) {
        return play(button, address);
      }).catch(function () { speakText(button, target); });
      return;
    }
    speakText(button, target);
  }

  function speakText(button, target) {
    if (!target) { return; }
    var voice = pickVoice(button.getAttribute("data-lang"));
    if (!voice) { stopSpeaking(); speechNote(button, messages.noVoice); return; }
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

  /* ---------- follow-ups and answers that exclude the others ---------- */

  // A follow-up question waits, hidden, beneath the question that opens it, and appears
  // the moment the answer is given (the same rule the server keeps: snapshot.is_shown).
  // Answers given on other pages, as this tab knows them (filled in by the answers' part).
  var knownAnswer = function () { return null; };
  function answerOf(key) {
    var fieldset = document.querySelector('fieldset[data-question="' + key + '"]');
    if (!fieldset) { return knownAnswer(key); }
    var picked = fieldset.querySelectorAll('[name="q-' + key + '"]:checked');
    var values = [];
    picked.forEach(function (input) { if (input.value !== "_declined") { values.push(input.value); } });
    if (!values.length) { return null; }
    return fieldset.getAttribute("data-type") === "choose_many" ? values : values[0];
  }
  function opens(rule, value) {
    if (value === null) { return false; }
    if (rule.any_of) {
      var given = Array.isArray(value) ? value : [value];
      return given.some(function (v) { return rule.any_of.indexOf(v) !== -1; });
    }
    var number = parseInt(value, 10);
    if (isNaN(number)) { return false; }
    if (rule.at_least !== undefined && number < rule.at_least) { return false; }
    return !(rule.at_most !== undefined && number > rule.at_most);
  }
  function showFollowUps() {
    document.querySelectorAll("[data-show-if]").forEach(function (holder) {
      var rule = JSON.parse(holder.getAttribute("data-show-if"));
      var open = opens(rule, answerOf(rule.question));
      if (holder.hidden === open) { holder.hidden = !open; }
      // Shown here, so the child has seen it: Next moves on (see flow.opened_on_page).
      var waiting = holder.querySelector("[data-waiting]");
      if (waiting) { waiting.disabled = open; }
    });
  }
  document.querySelectorAll("fieldset[data-question]").forEach(function (fieldset) {
    fieldset.addEventListener("change", function (event) {
      var input = event.target;
      // "None of these" and the other answers exclude each other.
      if (input.type === "checkbox" && input.checked && input.value !== "_declined") {
        var exclusive = input.hasAttribute("data-exclusive");
        fieldset.querySelectorAll('input[type="checkbox"]').forEach(function (other) {
          if (other !== input && other.value !== "_declined" && (exclusive || other.hasAttribute("data-exclusive"))) { other.checked = false; }
        });
      }
      showFollowUps();
    });
  });
  showFollowUps();

  /* ---------- keeping waiting answers through a closed tab, readable only with the code ---------- */

  // Answers the server has not got yet are also kept in IndexedDB, encrypted (AES-GCM) with
  // a key made from the child's code (PBKDF2 with this tablet's own salt). The key lives
  // only in this tab (sessionStorage): once the tab is closed, the answers wait, unreadable,
  // until the child types their code here again. Each record is filed under a name made
  // from the same key, so another child's page never finds them, let alone sends them.
  var subtle = window.crypto && window.crypto.subtle;
  var KEY_SLOT = "viewpoint-key";
  var SALT_SLOT = "viewpoint-salt";
  var ROUNDS = 210000;

  function toBase64(bytes) { return btoa(String.fromCharCode.apply(null, new Uint8Array(bytes))); }
  function fromBase64(text) { return Uint8Array.from(atob(text), function (c) { return c.charCodeAt(0); }); }

  function tabletSalt() {
    var salt = null;
    try { salt = window.localStorage.getItem(SALT_SLOT); } catch (e) { return null; }
    if (!salt) {
      salt = toBase64(window.crypto.getRandomValues(new Uint8Array(16)));
      try { window.localStorage.setItem(SALT_SLOT, salt); } catch (e) { return null; }
    }
    return fromBase64(salt);
  }

  // The code as the server reads it: capitals, spaces and dashes don't matter.
  function keepKeyFor(typed) {
    var salt = tabletSalt();
    if (!subtle || !salt || !window.TextEncoder) { return Promise.resolve(); }
    var code = typed.toUpperCase().replace(/[^A-Z0-9]/g, "");
    return subtle.importKey("raw", new TextEncoder().encode(code), "PBKDF2", false, ["deriveBits"]).then(function (base) {
      return subtle.deriveBits({ name: "PBKDF2", salt: salt, iterations: ROUNDS, hash: "SHA-256" }, base, 512);
    }).then(function (bits) {
      var bytes = new Uint8Array(bits);
      window.sessionStorage.setItem(KEY_SLOT, JSON.stringify({ key: toBase64(bytes.slice(0, 32)), owner: toBase64(bytes.slice(32, 48)) }));
    }).catch(function () { /* without a key, answers wait in this tab only */ });
  }

  // Stopping or finishing: the site's storage is not cleared (that would destroy answers
  // still waiting, this child's or another's), so this tab's own storage is: the key and
  // anything kept in clear. What waits stays on the tablet, encrypted.
  if (document.querySelector("[data-clear-tab]")) {
    try { window.sessionStorage.clear(); } catch (e) { /* nothing to clear */ }
  }

  var codeForm = document.querySelector("form.code-form");
  if (codeForm) {
    codeForm.addEventListener("submit", function (event) {
      if (codeForm.getAttribute("data-keyed") === "yes" || !subtle) { return; }
      event.preventDefault();
      var go = function () { codeForm.setAttribute("data-keyed", "yes"); codeForm.submit(); };
      var late = window.setTimeout(go, 3000);  // never keep a child waiting on a slow tablet
      keepKeyFor(codeForm.querySelector("#code").value).then(function () { window.clearTimeout(late); go(); });
    });
  }

  function tabKey() {
    var kept = null;
    try { kept = JSON.parse(window.sessionStorage.getItem(KEY_SLOT) || "null"); } catch (e) { return Promise.resolve(null); }
    if (!subtle || !kept || !kept.key || !kept.owner) { return Promise.resolve(null); }
    return subtle.importKey("raw", fromBase64(kept.key), "AES-GCM", false, ["encrypt", "decrypt"]).then(function (key) {
      return { key: key, owner: kept.owner };
    }).catch(function () { return null; });
  }

  // The tablet's database: "waiting" holds answers sealed with the child's code; "outbox"
  // holds what was done offline sealed for the server alone (see offline.py).
  function kept(storeName, mode, work) {
    return new Promise(function (resolve) {
      if (!window.indexedDB) { resolve(null); return; }
      var opening;
      try { opening = window.indexedDB.open("viewpoint", 2); } catch (e) { resolve(null); return; }
      opening.onupgradeneeded = function () {
        var database = opening.result;
        if (!database.objectStoreNames.contains("waiting")) {
          database.createObjectStore("waiting", { keyPath: "id" }).createIndex("owner", "owner");
        }
        if (!database.objectStoreNames.contains("outbox")) {
          database.createObjectStore("outbox", { keyPath: "id" });
        }
      };
      opening.onerror = function () { resolve(null); };
      opening.onsuccess = function () {
        var database = opening.result;
        var done = database.transaction(storeName, mode);
        var result = work(done.objectStore(storeName));
        done.oncomplete = function () { database.close(); resolve(result && result.result); };
        done.onerror = done.onabort = function () { database.close(); resolve(null); };
      };
    });
  }
  function waitingStore(mode, work) { return kept("waiting", mode, work); }

  var sealed = tabKey();
  // Every seal still being written: leaving the page waits for them.
  var sealing = Promise.resolve();

  function seal(item) {
    var writing = sealed.then(function (tab) {
      if (!tab) { return; }
      var iv = window.crypto.getRandomValues(new Uint8Array(12));
      var plain = new TextEncoder().encode(JSON.stringify(item));
      return subtle.encrypt({ name: "AES-GCM", iv: iv }, tab.key, plain).then(function (secret) {
        return waitingStore("readwrite", function (store) {
          return store.put({ id: tab.owner + ":" + item.save_id, owner: tab.owner, iv: iv, data: secret });
        });
      });
    }).catch(function () { /* still kept in this tab */ });
    sealing = Promise.all([sealing, writing]);
    return writing;
  }

  function unseal(item) {
    return sealed.then(function (tab) {
      if (!tab) { return; }
      return waitingStore("readwrite", function (store) { return store.delete(tab.owner + ":" + item.save_id); });
    }).catch(function () { return null; });
  }

  function sealedAnswers() {
    return sealed.then(function (tab) {
      if (!tab) { return []; }
      return waitingStore("readonly", function (store) { return store.index("owner").getAll(tab.owner); }).then(function (records) {
        return Promise.all((records || []).map(function (record) {
          return subtle.decrypt({ name: "AES-GCM", iv: record.iv }, tab.key, record.data).then(function (plain) {
            return JSON.parse(new TextDecoder().decode(plain));
          }).catch(function () { return null; });
        }));
      });
    }).then(function (items) { return items.filter(function (item) { return item; }); })
      .catch(function () { return []; });
  }

  /* ---------- answering with no connection ---------- */

  // What this tab downloaded to answer offline (offline.py's pack): the pages, the rules that
  // decide which are shown, and the key that seals what is done offline for the server.
  var PACK_SLOT = "viewpoint-pack";
  var AT_SLOT = "viewpoint-at";
  function readSlot(name, fallback) {
    try { return JSON.parse(window.sessionStorage.getItem(name) || "null") || fallback; } catch (e) { return fallback; }
  }
  function writeSlot(name, value) {
    try { window.sessionStorage.setItem(name, JSON.stringify(value)); } catch (e) { /* full or blocked */ }
  }
  var pack = readSlot(PACK_SLOT, null);
  var LOADING_SLOT = "viewpoint-pack-loading";
  // A copy kept for offline holds no CSRF token and no page token: this tab's are put in.
  if (pack) {
    document.querySelectorAll('input[name="csrf_token"]').forEach(function (input) {
      if (!input.value) { input.value = pack.csrf; }
    });
    var keptForm = document.querySelector("form[data-autosave]");
    if (keptForm && !keptForm.getAttribute("data-token")) { keptForm.setAttribute("data-token", pack.token); }
  }
  // A request to the server failed although the tablet says it is online (Wi-Fi with no
  // internet behind it): treated as offline until a request gets through.
  var unreachable = false;
  function offlineNow() { return !navigator.onLine || unreachable; }
  // The tablet's copies are reached only through the service worker that keeps them.
  // Only in the language the copies were kept in: a child who has just chosen another goes
  // on with the server's pages until that language's copies are kept too.
  function copiesServed() {
    return !!(pack && pack.language === lang && navigator.serviceWorker && navigator.serviceWorker.controller);
  }

  // Run before the page is left offline, to keep what is being typed (set by the answers'
  // part below).
  var beforeLeave = function () { return Promise.resolve([]); };

  function keptLanguages() {
    if (!window.caches) { return Promise.resolve([]); }
    return window.caches.keys().then(function (names) {
      return names.filter(function (name) { return name.indexOf("viewpoint-offline-") === 0 && name !== "viewpoint-offline-state"; })
        .map(function (name) { return name.slice("viewpoint-offline-".length); });
    }).catch(function () { return []; });
  }
  function chooseLanguage(code) {
    if (!window.caches) { return Promise.resolve(); }
    return window.caches.open("viewpoint-offline-state").then(function (cache) {
      return cache.put("/offline/state", new Response(JSON.stringify({ language: code }), { headers: { "Content-Type": "application/json" } }));
    }).catch(function () { /* the page's own language stays */ });
  }
  function forgetPages() {
    if (!window.caches) { return Promise.resolve(); }
    return window.caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) { return name.indexOf("viewpoint-offline-") === 0; })
        .map(function (name) { return window.caches.delete(name); }));
    }).catch(function () { /* nothing kept */ });
  }

  // A waiting answer as the autosave sends it, with how long it waited here, by this
  // tablet's own clock (right even if the clock is set wrong): an answer given offline
  // keeps when it was given.
  function asSent(item) {
    var waited = item.given ? Math.max(0, Date.now() - item.given) : undefined;
    return { question: item.question, value: item.value, declined: item.declined, save_id: item.save_id, seq: item.seq, waited: waited };
  }

  // Seal what was done offline (every answer still waiting, and the step) with the key only
  // the server and this tab know; keep it in the outbox; forget the key with the tab.
  function sealForServer(step, saves, extra) {
    if (!pack || !pack.seal || !subtle || !window.TextEncoder) { return Promise.reject(new Error("no pack")); }
    var record = { step: step, device: pack.seal.device, saves: saves.map(function (item) {
      return { question: item.question, value: item.value, declined: item.declined, save_id: item.save_id, seq: item.seq, given: item.given };
    }) };
    Object.keys(extra || {}).forEach(function (name) { record[name] = extra[name]; });
    var iv = window.crypto.getRandomValues(new Uint8Array(12));
    return subtle.importKey("raw", fromBase64(pack.seal.key), "AES-GCM", false, ["encrypt"]).then(function (key) {
      return subtle.encrypt({ name: "AES-GCM", iv: iv, additionalData: new TextEncoder().encode(pack.seal.ref) }, key,
        new TextEncoder().encode(JSON.stringify(record)));
    }).then(function (secret) {
      var made = Date.now();
      return kept("outbox", "readwrite", function (store) {
        return store.put({ id: pack.seal.ref + ":" + step + ":" + made, ref: pack.seal.ref, iv: toBase64(iv), data: toBase64(secret), made: made });
      });
    });
  }

  // What waits in the outbox is sent by the service worker (offline.js), which can send it
  // whatever page is open, before any page opens; this page asks it to when it opens, when
  // the tablet comes back online, and every little while as long as something waits.
  var sendTimer = null;
  function sendOutbox() {
    var worker = navigator.serviceWorker && navigator.serviceWorker.controller;
    window.clearTimeout(sendTimer);
    if (worker && navigator.onLine) { worker.postMessage({ type: "send" }); }
  }
  if (navigator.serviceWorker) {
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (!event.data || event.data.type !== "sent") { return; }
      var sentNote = document.querySelector("[data-sent-note]");
      if (sentNote && event.data.left === 0) {
        show(sentNote, text("data-msg-all-sent", "Everything kept on this tablet has now been sent."));
      }
      if (event.data.left !== 0) { sendTimer = window.setTimeout(sendOutbox, 15000); }
    });
  }
  window.addEventListener("online", sendOutbox);
  sendOutbox();

  // The tab has finished with this child: forget what it kept in clear, and the pages.
  function forgetTab() {
    try { window.sessionStorage.clear(); } catch (e) { /* nothing to clear */ }
  }
  if (document.querySelector("[data-clear-tab]")) { forgetPages(); }

  // A copy of a page opened in a tab that has not downloaded it (a tab closed and opened
  // again offline): without the child's code its answers cannot be read here.
  if (document.querySelector("[data-offline-copy]") && !pack) {
    window.location.replace("/offline/done/waiting");
  }

  var offlineStep = document.querySelector("[data-offline-step]");
  if (offlineStep) {
    var backTo = document.querySelector("[data-back-to-questions]");
    var at = readSlot(AT_SLOT, null);
    if (backTo && at) { backTo.setAttribute("href", at); }
    if (offlineStep.getAttribute("data-offline-step") !== "talk") { forgetTab(); }
  }

  // Finishing, stopping or asking to talk with no connection: sealed and kept; the page
  // that says so is the tablet's copy (asked for as one when the tablet is online, or the
  // server would answer instead, once the service worker has sent the sealed record).
  function leaveOffline(step, extra, online) {
    return beforeLeave().then(function (saves) {
      if (!saves.length && pack) { saves = readSlot("viewpoint-pending:" + pack.token, []); }
      return sealForServer(step, step === "talk" ? [] : saves, extra);
    }).then(function () {
      if (step !== "talk") { return dropWaiting(); }
    }).then(function () {
      window.location.assign("/offline/done/" + step + (online ? "?kept=1" : ""));
    });
  }
  // The answers sealed with the child's code are now in the sealed record: removed.
  function dropWaiting() {
    return sealed.then(function (tab) {
      if (!tab) { return; }
      return waitingStore("readonly", function (store) { return store.index("owner").getAllKeys(tab.owner); }).then(function (keys) {
        return waitingStore("readwrite", function (store) { (keys || []).forEach(function (id) { store.delete(id); }); });
      });
    });
  }

  function offlineForm(selector, step, extra) {
    document.querySelectorAll(selector).forEach(function (leaving) {
      leaving.addEventListener("submit", function (event) {
        if (!offlineNow() || !copiesServed()) { return; }
        event.preventDefault();
        leaveOffline(step, extra ? extra(leaving) : {}).catch(function () {
          if (connection) { show(connection, messages.hold); }
        });
      });
    });
  }
  offlineForm("form.stop-form", "stop");
  offlineForm("form.talk-form", "talk");
  function whoHelped(finishing) {
    var helped = finishing.querySelector('input[name="helped_by"]:checked');
    return { helped_by: helped ? helped.value : null };
  }
  offlineForm("form[data-finish-form]", "finish", whoHelped);

  // Sending online with answers still waiting on this tablet (their save failed on the way
  // here, and the last page has no answers of its own to carry them): they are sent first,
  // and the answers go only once the server has them. If it cannot take them now, they are
  // sealed with the sending, as offline, and the tablet sends them all as soon as it can:
  // the answers are never sent without them.
  document.querySelectorAll("form[data-finish-form]").forEach(function (finishing) {
    finishing.addEventListener("submit", function (event) {
      if (event.defaultPrevented || offlineNow() || !pack) { return; }
      var slot = STORE + ":" + pack.token;
      var waitingSaves = readSlot(slot, []);
      if (!waitingSaves.length) { return; }
      event.preventDefault();
      var send = finishing.querySelector("button[type=submit]");
      if (send) { send.disabled = true; }
      fetch("/answers", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": pack.csrf },
        body: JSON.stringify({ token: pack.token, saves: waitingSaves.map(asSent) })
      }).then(function (reply) {
        if (!reply.ok) { throw new Error("not saved"); }
        // Stored (or refused for good, as the page would have shown): nothing waits now.
        window.sessionStorage.removeItem(slot);
        return dropWaiting().then(function () { finishing.submit(); });
      }).catch(function () {
        if (send) { send.disabled = false; }
        if (!copiesServed()) { show(connection, messages.hold); return; }
        leaveOffline("finish", whoHelped(finishing), true).catch(function () { show(connection, messages.hold); });
      });
    });
  });

  // The language page offline: only the languages this tablet has the pages for.
  var languageForm = document.querySelector("form[data-language-form]");
  var backLink = document.querySelector("[data-back-link]");
  if (languageForm && backLink && offlineNow() && readSlot(AT_SLOT, null)) {
    backLink.setAttribute("href", readSlot(AT_SLOT, "/"));
  }
  if (languageForm && offlineNow() && copiesServed()) {
    // Only the languages this tablet has the pages (and the letters) for are offered.
    keptLanguages().then(function (codes) {
      languageForm.querySelectorAll("button[name=language]").forEach(function (choice) {
        if (codes.indexOf(choice.value) === -1) { choice.closest("li").hidden = true; }
      });
      show(connection, text("data-msg-not-kept", "Until this tablet is back online, you can choose only the languages already on it."));
    });
  }
  if (languageForm) {
    languageForm.addEventListener("submit", function (event) {
      if (!offlineNow() || !copiesServed()) { return; }
      event.preventDefault();
      var chosen = event.submitter && event.submitter.name === "language" ? event.submitter.value
        : (languageForm.querySelector('input[name="language"]:checked') || {}).value;
      keptLanguages().then(function (codes) {
        if (codes.indexOf(chosen) === -1) {
          show(connection, text("data-msg-not-kept", "Until this tablet is back online, you can choose only the languages already on it."));
          connection.scrollIntoView({ block: "center" });
          return;
        }
        chooseLanguage(chosen).then(function () {
          pack.language = chosen;  // the same pages and rules, kept in that language too
          writeSlot(PACK_SLOT, pack);
          window.location.assign(readSlot(AT_SLOT, "/"));
        });
      });
    });
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

  // Each child's waiting answers are kept under their own response's key, so that another
  // child's page on this tablet never sees them (let alone sends them into its questions),
  // and they wait for their own child, through a timeout and the code typed again. Sending
  // the answers (the thank-you page) clears the tablet.
  var KEPT_AS = STORE + ":" + token;

  function read(name) {
    try { return JSON.parse(window.sessionStorage.getItem(name) || "[]"); } catch (e) { return []; }
  }
  function write(name, items) {
    try {
      if (items.length) { window.sessionStorage.setItem(name, JSON.stringify(items)); } else { window.sessionStorage.removeItem(name); }
    } catch (e) { /* storage full or blocked: the in-page queue still works */ }
  }
  function store(queue) { write(KEPT_AS, queue); }

  var queue = read(KEPT_AS);
  // Saves this page has had stored (by save id): never queued again from an older copy.
  var stored = {};
  // Answers kept by an earlier version of this page, under one key for every child: this
  // child's are taken over; the others' are left for their own child's page.
  var shared = read(STORE);
  if (shared.length) {
    shared.forEach(function (item) {
      var newer = queue.some(function (other) { return other.question === item.question; });
      if (item.token === token && !newer) { queue.push(item); }
    });
    write(STORE, shared.filter(function (item) { return item.token !== token; }));
    store(queue);
  }

  function stateFor(key, message) {
    show(form.querySelector('[data-save-state="' + key + '"]'), message);
  }

  // Every answer this tab has seen or been given (the server's page shows them; a copy of a
  // page kept for offline does not): a copy is filled in from it, and the pages a child sees
  // offline are worked out from it. Kept in this tab only, and forgotten with it.
  var KNOWN_AS = "viewpoint-known:" + token;
  var known = readSlot(KNOWN_AS, {});
  var copy = form.hasAttribute("data-offline-copy");
  // This page's address (the key of its first question).
  var here = (form.querySelector("fieldset[data-question]") || { getAttribute: function () { return null; } }).getAttribute("data-question");
  function learn(key, answer) {
    known[key] = answer;
    writeSlot(KNOWN_AS, known);
  }
  knownAnswer = function (key) {
    var answer = known[key];
    if (!answer || answer.declined || answer.value === null) { return null; }
    return answer.value;
  };

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

  // Text being typed, not yet waiting: question -> the timer that will queue it.
  var typing = {};

  // The order of this tablet's saves: its clock in microseconds, never going backwards in
  // this page. The server stores a save only if it is newer than the one it has for the
  // question, so a late retry of an older answer never replaces a newer one.
  var lastSeq = 0;
  function nextSeq() {
    lastSeq = Math.max(Date.now() * 1000, lastSeq + 1);
    return lastSeq;
  }

  // The fieldset's answer as it is now, waiting to be sent (under ``saveId``, or a new id),
  // in place of any older answer to the same question still waiting: only the newest matters.
  function keep(fieldset, saveId) {
    var key = fieldset.getAttribute("data-question");
    var answer = valueOf(fieldset);
    window.clearTimeout(typing[key]);
    delete typing[key];
    queue.filter(function (item) { return item.question === key; }).forEach(unseal);
    queue = queue.filter(function (item) { return item.question !== key; });
    var item = { question: key, value: answer.value, declined: answer.declined, save_id: saveId || newId(), seq: nextSeq(), given: Date.now(), token: token };
    learn(key, { value: answer.value, declined: answer.declined });
    queue.push(item);
    store(queue);
    seal(item);
  }

  function enqueue(fieldset) {
    keep(fieldset);
    stateFor(fieldset.getAttribute("data-question"), messages.saving);
    soon();
  }

  // Answers given close together (a page answered at a child's pace, a mind changed, boxes
  // ticked, screens of one question each) go in one request: a little after the last of
  // them (ANSWER_BATCH_MS), and never later than four times that after the first, across the
  // pages of questions the page moves to itself. Each is kept on the tablet from the moment
  // it is given; going anywhere else (the last page, stopping, a language) sends what waits
  // first, and so does a page hidden or closed.
  var BATCH_MS = parseInt(form.getAttribute("data-batch-ms"), 10);
  if (!(BATCH_MS >= 0)) { BATCH_MS = 3000; }
  var BATCH_SLOT = "viewpoint-batch";  // when the answers waiting together began
  var batchTimer = null;
  function soon() {
    var at = Date.now();
    var first = readSlot(BATCH_SLOT, 0) || at;
    writeSlot(BATCH_SLOT, first);
    window.clearTimeout(batchTimer);
    var wait = Math.max(0, Math.min(BATCH_MS, first + 4 * BATCH_MS - at));
    batchTimer = window.setTimeout(function () { now(false); }, wait);
  }
  function now(leaving) {
    window.clearTimeout(batchTimer);
    batchTimer = null;
    try { window.sessionStorage.removeItem(BATCH_SLOT); } catch (e) { /* blocked */ }
    flush(leaving);
  }
  // Moving to the next page of questions by itself, the page leaves what waits to the next.
  var moving = false;
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden" && !moving) {
      form.querySelectorAll("fieldset[data-question]").forEach(function (fieldset) {
        if (typing[fieldset.getAttribute("data-question")]) { keep(fieldset); }
      });
      now(true);
    }
  });

  var sending = false;
  var delay = 1000;
  var retryTimer = null;
  // Answers whose last try failed (the server had a problem, or the network did), by save
  // id: the others are sent first, so that one answer the server keeps failing on never
  // holds up the answers behind it. All are tried again after the backoff.
  var failed = {};

  // The answers to send next: every one waiting whose last try did not fail, in one
  // request; one at a time after a request failed, so that the answer the server keeps
  // failing on is found and the others go on without it.
  var batchSize = 100;
  function nextToSend() {
    return queue.filter(function (item) { return !failed[item.save_id]; }).slice(0, batchSize);
  }

  var placeSent = false;
  function flush(leaving) {
    if (sending || !queue.length) { return; }
    if (!navigator.onLine) { waiting(); return; }
    var items = nextToSend();
    if (!items.length) { retry(); return; }
    sending = true;
    // Where the child is, once per page moved to by the page itself.
    var at = copy && !placeSent ? here : undefined;
    placeSent = true;
    var body = JSON.stringify({ token: token, at: at, saves: items.map(asSent) });
    fetch(endpoint, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      // Sent even if the page is closing (browsers allow 64 KB so).
      keepalive: !!leaving && body.length < 60000,
      body: body
    }).then(function (reply) {
      sending = false;
      unreachable = false;
      if (reply.ok) {
        return reply.json().catch(function () { return {}; }).then(function (body) {
          delay = 1000;
          batchSize = 100;
          var outcome = {};
          ((body && body.results) || []).forEach(function (result) { outcome[result.save_id] = result.status; });
          items.forEach(function (item) {
            if (outcome[item.save_id] === "invalid") { refusedOnly(item); } else { done(item, messages.saved); }
          });
          if (connection && !connection.hidden && !queue.length) { show(connection, messages.online); }
          flush();
        });
      } else if (reply.status === 401) {
        return reply.json().catch(function () { return {}; }).then(function (body) {
          signedOut(body && body.reason);
        });
      } else if (reply.status === 409) {
        return reply.json().catch(function () { return {}; }).then(function (body) {
          // Another child's code was typed on this tablet since this page opened: the answers
          // wait for their own child, as after a timeout. Otherwise the answers were sent.
          if (body && body.status === "wrong_child") { signedOut(); } else { items.forEach(refusedOnly); flush(); }
        });
      } else if (reply.status >= 400 && reply.status < 500 && reply.status !== 408 && reply.status !== 429) {
        if (items.length > 1) { batchSize = 1; flush(); } else { refused(items[0]); }
      } else {
        tryLater(items);
      }
    }).catch(function () {
      sending = false;
      unreachable = true;
      tryLater(items);
    });
  }

  // Keep every waiting answer in this tab: they are sent once the child types their code
  // again and their questions page opens.
  // The answers waiting stay in the queue: they are sent when the code is typed here again.
  function signedOut(reason) {
    show(connection, reason === "elsewhere" ? messages.elsewhere : messages.signedOut);
  }

  // The server will never take this answer as it is: say so beside the question, and go on
  // with the answers behind it.
  function refused(item) {
    refusedOnly(item);
    flush();
  }
  function refusedOnly(item) {
    delete failed[item.save_id];
    done(item, messages.invalid);
  }

  function tryLater(items) {
    if (items.length > 1) {
      // Which answer the server failed on is not known: send them one at a time.
      batchSize = 1;
    } else {
      failed[items[0].save_id] = true;
    }
    if (navigator.onLine && nextToSend().length) { flush(); } else { retry(); }
  }

  function done(item, message) {
    stored[item.save_id] = true;
    queue = queue.filter(function (other) { return other.save_id !== item.save_id; });
    store(queue);
    unseal(item);
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
    retryTimer = window.setTimeout(function () { failed = {}; flush(); }, delay);
    delay = Math.min(delay * 2, 30000);
  }

  window.addEventListener("online", function () { delay = 1000; failed = {}; flush(); });
  window.addEventListener("offline", waiting);

  form.querySelectorAll("fieldset[data-question]").forEach(function (fieldset) {
    var key = fieldset.getAttribute("data-question");
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
        window.clearTimeout(typing[key]);
        typing[key] = window.setTimeout(function () { enqueue(fieldset); }, 800);
      });
    }
  });

  // An answer still waiting here never reached the server (the child's time ran out, or the
  // tablet was offline), so it is newer than the page the server sent: show it, so that the
  // page, when sent, carries it rather than undoing it.
  function restore(fieldset, item) {
    var wanted = item.declined ? ["_declined"] : (item.value === null ? [] : [].concat(item.value).map(String));
    fieldset.querySelectorAll('input[name="q-' + item.question + '"]').forEach(function (input) {
      input.checked = wanted.indexOf(input.value) !== -1;
    });
    var area = fieldset.querySelector("textarea");
    if (area) { area.value = item.declined || item.value === null ? "" : String(item.value); }
    learn(item.question, { value: item.value, declined: item.declined });
    stateFor(item.question, messages.saving);
  }

  // A copy holds no answers: the ones this tab knows are filled in, as the server would have.
  function fill(fieldset, answer) {
    var wanted = answer.declined ? ["_declined"] : (answer.value === null || answer.value === undefined ? [] : [].concat(answer.value).map(String));
    fieldset.querySelectorAll("input[type=radio], input[type=checkbox]").forEach(function (input) {
      input.checked = input.defaultChecked = wanted.indexOf(input.value) !== -1;
    });
    var area = fieldset.querySelector("textarea");
    if (area) { area.value = area.defaultValue = answer.declined || answer.value === null || answer.value === undefined ? "" : String(answer.value); }
  }
  form.querySelectorAll("fieldset[data-question]").forEach(function (fieldset) {
    var key = fieldset.getAttribute("data-question");
    if (copy) {
      if (known[key]) { fill(fieldset, known[key]); }
    } else {
      known[key] = valueOf(fieldset);
    }
  });
  writeSlot(KNOWN_AS, known);
  if (copy) {
    showFollowUps();
    // The address the server knows the page by: reloading it asks the server.
    if (window.location.search) { window.history.replaceState(null, "", window.location.pathname); }
  }
  try { window.sessionStorage.setItem(AT_SLOT, JSON.stringify(window.location.pathname)); } catch (e) { /* blocked */ }

  var restored = false;
  form.querySelectorAll("fieldset[data-question]").forEach(function (fieldset) {
    var key = fieldset.getAttribute("data-question");
    var changed = Array.prototype.some.call(fieldset.querySelectorAll("input[type=radio], input[type=checkbox]"),
      function (input) { return input.checked !== input.defaultChecked; });
    var area = fieldset.querySelector("textarea");
    var kept = queue.filter(function (item) { return item.question === key; })[0];
    if (changed || (area && area.value !== area.defaultValue)) {
      // An answer given before this script started (a quick tap while a slow page was still
      // loading) had no one listening for it: save it now, not only when the page is sent.
      enqueue(fieldset);
    } else if (kept) {
      restore(fieldset, kept);
      restored = true;
    }
  });
  // Follow-ups opened by a restored answer appear, as they would have when it was given.
  if (restored && typeof showFollowUps === "function") { showFollowUps(); }

  // Stopping says how many answers still wait, so that they are kept on the tablet.
  function countWaiting(stopForm) {
    // Only answers kept encrypted (this tab has the key from the code) can be left behind.
    var count = stopForm.querySelector('input[name="waiting"]');
    var keyed = false;
    try { keyed = !!window.sessionStorage.getItem(KEY_SLOT); } catch (e) { keyed = false; }
    if (count) { count.value = String(keyed ? queue.length : 0); }
  }
  // Stopping or asking to talk online: what waits is sent first.
  document.querySelectorAll("form.stop-form, form.talk-form").forEach(function (leaving) {
    leaving.addEventListener("submit", function (event) {
      if (leaving.classList.contains("stop-form")) { countWaiting(leaving); }
      if (offlineNow() || event.defaultPrevented || (!queue.length && !sending)) { return; }
      event.preventDefault();
      beforeLeave(false).then(function () {
        if (leaving.classList.contains("stop-form")) { countWaiting(leaving); }
        leaving.submit();
      });
    });
  });

  form.addEventListener("submit", function (event) {
    if (copiesServed() || copy) {
      // Answers are saved as they are given: the next page is the tablet's copy, worked
      // out here from the questionnaire's rules, with no request to the server.
      event.preventDefault();
      goTo(event.submitter && event.submitter.value);
      return;
    }
    if (!navigator.onLine) {  // nothing kept to go on to: the child stays, answers kept
      event.preventDefault();
      show(connection, messages.hold);
      return;
    }
    // The page's own form carries every answer on it, but what waits for this page is kept
    // until the page has been saved: if the child's time ran out, the start page comes next
    // and these are sent once they type their code again. Each now carries the page's own
    // save id, so that sending it again after the page itself was saved changes nothing.
    form.querySelectorAll("fieldset[data-question]").forEach(function (fieldset) {
      var key = fieldset.getAttribute("data-question");
      var waits = typing[key] || queue.some(function (item) { return item.question === key; });
      var pageSave = form.querySelector('input[name="save-' + key + '"]');
      if (waits) { keep(fieldset, pageSave && pageSave.value); }
      // The page's answer is the newest: an autosave of this question still on its way
      // arrives older than it, and is not stored over it.
      var pageSeq = form.querySelector('input[name="seq-' + key + '"]');
      if (pageSeq) {
        var kept = queue.filter(function (item) { return item.question === key; })[0];
        pageSeq.value = String(kept ? kept.seq : nextSeq());
      }
    });
    form.querySelectorAll("button[type=submit]").forEach(function (b) {
      window.setTimeout(function () { b.disabled = true; }, 0);
    });
  });

  // Answers kept on this tablet by an earlier tab of this child (closed, or its battery
  // died): those newer than what this page has join the queue, and are sent.
  sealedAnswers().then(function (found) {
    var added = false;
    found.forEach(function (item) {
      if (item.token !== token) { return; }
      // Sent by this page while the tablet's copy was being read: only the copy is left.
      if (stored[item.save_id]) { unseal(item); return; }
      var mine = queue.filter(function (other) { return other.question === item.question; })[0];
      if (mine && (mine.save_id === item.save_id || (mine.seq || 0) >= (item.seq || 0))) {
        if (mine.save_id !== item.save_id) { unseal(item); }
        return;
      }
      if (mine) { queue = queue.filter(function (other) { return other !== mine; }); unseal(mine); }
      queue.push(item);
      added = true;
      var fieldset = form.querySelector('fieldset[data-question="' + item.question + '"]');
      if (fieldset) { restore(fieldset, item); }
    });
    if (added) {
      lastSeq = Math.max.apply(null, [lastSeq].concat(queue.map(function (item) { return item.seq || 0; })));
      store(queue);
      if (typeof showFollowUps === "function") { showFollowUps(); }
      flush();
    }
  });

  /* ---------- moving between pages with no connection ---------- */

  // Whether a page of the pack is shown, given the answers so far (the rule the server
  // keeps: snapshot.is_shown), and the address of its first question shown.
  function firstShown(page) {
    for (var i = 0; i < page.questions.length; i++) {
      var rule = page.questions[i].show_if;
      if (!rule || opens(rule, answerOf(rule.question))) { return page.questions[i].key; }
    }
    return null;
  }
  function pageUrl(page, key) { return page.url.slice(0, page.url.length - page.key.length) + encodeURIComponent(key); }
  // A page of questions the page moves to itself: the service worker answers with the
  // tablet's copy ("kept"), online or not.
  function keptPage(page, key) { return pageUrl(page, key) + "?kept=1"; }

  function goTo(action) {
    if (!copiesServed() || pack.token !== token) { show(connection, messages.hold); return; }
    var here = form.querySelector("fieldset[data-question]").getAttribute("data-question");
    var index = -1;
    pack.pages.forEach(function (page, i) {
      if (page.questions.some(function (q) { return q.key === here; })) { index = i; }
    });
    var target = null;
    if (action === "language") {
      target = "/language?back=" + encodeURIComponent(window.location.pathname);
    } else {
      var step = action === "back" ? -1 : 1;
      for (var i = index + step; i >= 0 && i < pack.pages.length; i += step) {
        var key = firstShown(pack.pages[i]);
        if (key) { target = keptPage(pack.pages[i], key); break; }
      }
      if (!target && action !== "back") { target = pack.finish; }
      if (!target && !offlineNow()) { target = "/welcome"; }
    }
    if (!target) { show(connection, messages.hold); return; }
    beforeLeave(target.indexOf("?kept=1") !== -1).then(function () { window.location.assign(target); });
  }

  // ``toCopy``: to the next page of questions, which sends what waits with its own.
  beforeLeave = function (toCopy) {
    form.querySelectorAll("fieldset[data-question]").forEach(function (fieldset) {
      if (typing[fieldset.getAttribute("data-question")]) { keep(fieldset); }
    });
    return sealing.then(function () {
      if (offlineNow()) { return; }
      // Online: what waits is sent now (unless the next page of questions will), and the
      // page moves on once the server has answered what is on its way (or after a moment
      // at most), so that the next page does not send it again.
      if (toCopy) { moving = true; } else { now(false); }
      return new Promise(function (resolve) {
        var gaveUp = Date.now() + 1500;
        (function check() {
          if (!sending || Date.now() > gaveUp) { resolve(); } else { window.setTimeout(check, 25); }
        })();
      });
    }).then(function () { return queue.slice(); });
  };

  /* ---------- keeping the questionnaire on the tablet ---------- */

  function htmlResponse(body) {
    return new Response(body, { headers: { "Content-Type": "text/html; charset=utf-8" } });
  }

  // The files a copy uses, and the words read aloud that have no file yet.
  function collect(body, files, sayings) {
    var page = new DOMParser().parseFromString(body, "text/html");
    page.querySelectorAll('[src^="/static/"], link[href^="/static/"]').forEach(function (element) {
      files[element.getAttribute("src") || element.getAttribute("href")] = true;
    });
    page.querySelectorAll("[data-audio]").forEach(function (element) { files[element.getAttribute("data-audio")] = true; });
    page.querySelectorAll('button[data-say][data-say-keep="1"]').forEach(function (button) {
      sayings.push({ sig: button.getAttribute("data-say"), keep: 1,
        language: button.getAttribute("data-say-lang"), text: button.getAttribute("data-say-text") });
    });
  }

  // Files that are the same for every child (scripts, styles, pictures, fonts, audio) are
  // kept for the next child too, in "viewpoint-files", until the app's files change; the
  // copies of this child's pages are thrown away when they finish or stop.
  var FILES = "viewpoint-files";
  function keptFiles(build) {
    return window.caches.open(FILES).then(function (cache) {
      return cache.match("/offline/build").then(function (found) {
        return found ? found.text() : null;
      }).then(function (kept) {
        if (kept === build) { return cache; }
        return window.caches.delete(FILES).then(function () { return window.caches.open(FILES); }).then(function (fresh) {
          return fresh.put("/offline/build", new Response(build)).then(function () { return fresh; });
        });
      });
    });
  }

  function keepFile(cache, file) {
    return cache.match(file).then(function (found) {
      if (found) { return; }
      return fetch(file, { credentials: "same-origin" }).then(function (reply) {
        if (reply.ok && reply.status === 200) { return cache.put(file, reply); }
      });
    }).catch(function () { /* heard or seen online only */ });
  }

  // Words with no file yet are made now, one at a time, so that they can be heard offline.
  function makeSayings(cache, sayings) {
    var seen = {};
    return sayings.reduce(function (before, saying) {
      return before.then(function () {
        if (seen[saying.sig] || !navigator.onLine) { return; }
        seen[saying.sig] = true;
        return cache.match("/offline/say/" + saying.sig).then(function (found) {
          if (found) { return; }
          return fetch(sayEndpoint, { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ language: saying.language, text: saying.text, keep: saying.keep, sig: saying.sig }) }).then(function (reply) {
            if (reply.ok) { return cache.put("/offline/say/" + saying.sig, reply); }
          });
        }).catch(function () { /* heard online, or in the tablet's own voice */ });
      });
    }, Promise.resolve());
  }

  // The pack's copies (one download), then the files they use: the pages work offline once
  // the copies, styles, script and pictures are kept; audio follows in the background.
  function download(got) {
    var name = "viewpoint-offline-" + got.language;
    var files = {};
    var audio = {};
    var sayings = [];
    return fetch(got.copies, { credentials: "same-origin" }).then(function (reply) {
      if (!reply.ok) { throw new Error("no copies: " + reply.status); }
      return reply.json();
    }).then(function (copies) {
      got.files.forEach(function (file) { files[file] = true; });
      Object.keys(copies.pages).forEach(function (page) { collect(copies.pages[page], files, sayings); });
      Object.keys(files).forEach(function (file) {
        if (file.indexOf("/static/") !== 0) { audio[file] = true; delete files[file]; }
      });
      return window.caches.open(name).then(function (cache) {
        return Promise.all(Object.keys(copies.paths).map(function (path) {
          return cache.put(path, htmlResponse(copies.pages[copies.paths[path]]));
        }));
      });
    }).then(function () {
      return keptFiles(got.build);
    }).then(function (cache) {
      return Promise.all(Object.keys(files).map(function (file) { return keepFile(cache, file); })).then(function () {
        // The child's answers the server has (from another day or tablet too), unless this
        // tab knows newer ones.
        Object.keys(got.answers || {}).forEach(function (key) {
          var mine = queue.some(function (item) { return item.question === key; });
          if (!mine) { known[key] = got.answers[key]; }
        });
        writeSlot(KNOWN_AS, known);
        delete got.answers;
        pack = got;
        writeSlot(PACK_SLOT, got);
        // In the background: the pages work offline already.
        Object.keys(audio).reduce(function (before, file) {
          return before.then(function () { return keepFile(cache, file); });
        }, Promise.resolve()).then(function () { return makeSayings(cache, sayings); });
        return chooseLanguage(got.language);
      });
    }).catch(function () { window.caches.delete(name); });
  }

  function keepForOffline() {
    var worker = html.getAttribute("data-service-worker");
    var packUrl = form.getAttribute("data-pack");
    if (copy || !worker || !packUrl || !("serviceWorker" in navigator) || !window.caches || !navigator.onLine) { return; }
    // Registered once: registering again on every page would ask the server for it each time.
    var registered = navigator.serviceWorker.controller ? Promise.resolve()
      : navigator.serviceWorker.register(worker, { scope: "/", updateViaCache: "all" });
    registered.then(function () {
      return keptLanguages();
    }).then(function (codes) {
      if (pack && pack.token === token && pack.language === lang && codes.indexOf(lang) !== -1) {
        return chooseLanguage(lang);
      }
      // Another page of this tab started on it moments ago (a child quick to move on): the
      // download goes on there, or is started again here if that page was left mid-way.
      var loading = readSlot(LOADING_SLOT, null);
      if (loading && loading.what === token + ":" + lang && Date.now() - loading.at < 15000) { return; }
      writeSlot(LOADING_SLOT, { what: token + ":" + lang, at: Date.now() });
      return fetch(packUrl, { credentials: "same-origin" }).then(function (reply) {
        return reply.ok ? reply.json() : null;
      }).then(function (got) { if (got) { return download(got); } }).then(function () {
        try { window.sessionStorage.removeItem(LOADING_SLOT); } catch (e) { /* blocked */ }
      });
    }).catch(function () {
      try { window.sessionStorage.removeItem(LOADING_SLOT); } catch (e) { /* blocked */ }
    });
  }
  keepForOffline();

  // What waits from the page before goes with this page's answers, or now.
  if (queue.length && readSlot(BATCH_SLOT, 0)) { soon(); } else { flush(); }
})();
