/* The service worker: served as /sw.js (see viewpoint/respond/offline.py).

   It answers only for the child's pages and the files they use, and only when the network
   cannot: every request goes to the server first, except a page of questions the child's
   page moved to by itself ("?kept=1"), which is the copy, online or not (answers are saved
   as they are given, so moving on needs nothing from the server). With no connection, a
   page of questions, the last page, the language page
   and the pages said after finishing, stopping or asking to talk offline come from the copies
   the page's script kept (in the child's language: caches named "viewpoint-offline-<code>",
   which hold no answers and no names; the files they use, the same for every child, are in
   "viewpoint-files" and are always taken from there when kept); any other child's page is the "this tablet is
   offline" copy. Every other page of the service (the staff's) is left alone.

   It also sends what was done offline (the "outbox": records sealed for the server, which
   nobody on the tablet can read) before any child's page is asked for, so that a child who
   finished or stopped offline is signed out on the server before the next person opens a
   page; and whenever a page asks (when it opens, and when the tablet comes back online). */
"use strict";

var PREFIX = "viewpoint-offline-";
var STATE = "viewpoint-offline-state";
var FILES = "viewpoint-files";
var CHILD_PAGES = /^\/(?:$|welcome$|questions\/|finish$|language$|offline\/|talk$|stop$|help$)/;

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

// The language the child's pages are in now (kept by the page's script).
function language() {
  return caches.open(STATE).then(function (cache) {
    return cache.match("/offline/state");
  }).then(function (kept) {
    return kept ? kept.json() : {};
  }).then(function (state) { return state.language || null; }).catch(function () { return null; });
}

// The copy of a page in the child's language; else (unless ``exact``) the page saying the
// tablet is offline.
function kept(path, exact) {
  return language().then(function (current) {
    if (!current) { return null; }
    return caches.has(PREFIX + current).then(function (there) {
      if (!there) { return null; }
      return caches.open(PREFIX + current).then(function (cache) {
        return cache.match(path, { ignoreSearch: true }).then(function (found) {
          return found || (exact ? null : cache.match("/offline/done/waiting"));
        });
      });
    });
  });
}

/* ---------- sending what was done offline ---------- */

function outbox(mode, work) {
  return new Promise(function (resolve, reject) {
    var opening = indexedDB.open("viewpoint", 2);
    opening.onupgradeneeded = function () {
      var database = opening.result;
      if (!database.objectStoreNames.contains("waiting")) {
        database.createObjectStore("waiting", { keyPath: "id" }).createIndex("owner", "owner");
      }
      if (!database.objectStoreNames.contains("outbox")) { database.createObjectStore("outbox", { keyPath: "id" }); }
    };
    opening.onerror = function () { reject(opening.error); };
    opening.onsuccess = function () {
      var database = opening.result;
      var done = database.transaction("outbox", mode);
      var asked = work(done.objectStore("outbox"));
      done.oncomplete = function () { database.close(); resolve(asked && asked.result); };
      done.onerror = done.onabort = function () { database.close(); reject(done.error); };
    };
  });
}

// Oldest first; what the server has (or can never take: refused as unreadable or unknown)
// is removed; on the first failure the rest wait for the next try. Answers how many were
// sent and how many still wait.
var sending = null;
function sendOutbox() {
  if (sending) { return sending; }
  var sent = 0;
  sending = outbox("readonly", function (store) { return store.getAll(); }).then(function (records) {
    records = (records || []).sort(function (a, b) { return a.made - b.made; });
    return records.reduce(function (before, record) {
      return before.then(function (going) {
        if (!going) { return false; }
        return fetch("/offline/sync", {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ ref: record.ref, iv: record.iv, data: record.data, now: Date.now() })
        }).then(function (reply) {
          var final = reply.ok || (reply.status >= 400 && reply.status < 500 && reply.status !== 408 && reply.status !== 429);
          if (!final) { return false; }
          sent += 1;
          return outbox("readwrite", function (store) { return store.delete(record.id); }).then(function () { return true; });
        }, function () { return false; });
      });
    }, Promise.resolve(true));
  }).then(function () {
    return outbox("readonly", function (store) { return store.count(); });
  }).then(function (left) {
    sending = null;
    return { sent: sent, left: left || 0 };
  }, function () {
    sending = null;
    return { sent: sent, left: -1 };
  });
  return sending;
}

self.addEventListener("message", function (event) {
  if (!event.data || event.data.type !== "send") { return; }
  var asking = event.source;
  event.waitUntil(sendOutbox().then(function (outcome) {
    if (asking) { asking.postMessage({ type: "sent", sent: outcome.sent, left: outcome.left }); }
  }));
});

// Before a child's page is asked for: at most a few seconds, so that a slow network never
// keeps the page from opening (the page asks again once it is open).
function sendFirst() {
  return Promise.race([sendOutbox(), new Promise(function (resolve) { setTimeout(resolve, 4000); })]);
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  var page = request.mode === "navigate";
  if (page ? !CHILD_PAGES.test(url.pathname) : !/^\/(?:static|audio)\//.test(url.pathname)) { return; }
  if (!page) {
    // Files kept on the tablet (the same for every child) are used as they are: they change
    // only with the app, and the page throws them all away when it does.
    event.respondWith(caches.open(FILES).then(function (cache) {
      return cache.match(url.pathname);
    }).then(function (found) {
      return found || fetch(request);
    }));
    return;
  }
  // A page of questions the child's page moved to by itself: the copy, with no request.
  if (url.searchParams.get("kept") === "1") {
    event.respondWith(kept(url.pathname, true).then(function (response) {
      return response || fetch(request);
    }));
    return;
  }
  event.respondWith(sendFirst().then(function () { return fetch(request); }).catch(function (error) {
    return kept(url.pathname, false).then(function (response) {
      if (response) { return response; }
      throw error;
    });
  }));
});
