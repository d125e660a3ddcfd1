// The smsproof inbox: live regions refreshed on server-sent events, forms sent to the control API.
"use strict";
(function () {
  const base = document.body.dataset.base;
  const outcome = document.getElementById("outcome");
  const connection = document.getElementById("connection");

  function say(text, bad) {
    outcome.textContent = text;
    outcome.className = "outcome " + (bad ? "bad" : "ok");
  }

  // Re-render the [data-live] regions from a fresh copy of this page (forms stay as typed).
  let pending = null, running = false, again = false;
  async function refresh() {
    if (running) { again = true; return; }
    running = true;
    try {
      const response = await fetch(location.href, {headers: {"Accept": "text/html"}, cache: "no-store"});
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      for (const fresh of page.querySelectorAll("[data-live]")) {
        const old = document.getElementById(fresh.id);
        if (old && old.innerHTML !== fresh.innerHTML && !old.contains(document.activeElement)) {
          old.replaceWith(fresh);
          wire(fresh);
        }
      }
      document.body.dataset.refreshed = String(Date.now());
    } catch (error) {
      connection.textContent = "offline: " + error.message;
    } finally {
      running = false;
      if (again) { again = false; schedule(); }
    }
  }
  // A burst of events is one refresh, and a busy server gets at most one a second per page.
  let last = 0;
  function schedule() {
    clearTimeout(pending);
    pending = setTimeout(() => { last = Date.now(); refresh(); }, Math.max(150, last + 1000 - Date.now()));
  }

  function connect() {
    const events = new EventSource(base + "/events");
    events.onopen = () => { connection.textContent = "live"; connection.className = "connection on"; };
    events.onmessage = schedule;
    events.onerror = () => { connection.textContent = "reconnecting…"; connection.className = "connection off"; };
  }

  // <form data-api="METHOD /url/{field}"> and <button data-api=... data-body='{...}'>.
  function bodyOf(form) {
    const body = {};
    let url = form.dataset.api.split(" ")[1];
    for (const field of form.elements) {
      if (!field.name) continue;
      let value = field.value;
      if ("path" in field.dataset) { url = url.replace("{" + field.name + "}", encodeURIComponent(value)); continue; }
      if (value === "") { if ("nullable" in field.dataset) body[field.name] = null; continue; }
      if (field.type === "number") value = Number(value);
      body[field.name] = value;
    }
    return [url, body];
  }
  async function call(method, url, body) {
    try {
      const response = await fetch(url, {method, headers: {"Content-Type": "application/json"},
                                          body: method === "GET" || method === "DELETE" ? undefined : JSON.stringify(body)});
      const text = await response.text();
      let data = null;
      try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
      if (!response.ok) { say(`${method} ${url}: ${response.status} ${data && data.message ? data.message : text}`, true); return; }
      say(describe(method, url, data));
      schedule();
    } catch (error) {
      say(`${method} ${url}: ${error.message}`, true);
    }
  }
  function describe(method, url, data) {
    if (data && data.callback) {
      const cb = data.callback;
      return `Reply received by ${data.account}; callback ${cb.id}: ${cb.status !== null ? "HTTP " + cb.status : (cb.error || cb.state)}`;
    }
    if (data && data.fired !== undefined) return `Clock now ${data.now}; ${data.fired} event${data.fired === 1 ? "" : "s"} fired`;
    if (data && data.mode) return `Clock ${data.mode}, now ${data.now}`;
    return `${method} ${url}: done`;
  }
  function wire(root) {
    for (const form of root.querySelectorAll("form[data-api]")) {
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const [url, body] = bodyOf(form);
        call(form.dataset.api.split(" ")[0], url, body);
      });
    }
    for (const button of root.querySelectorAll("button[data-api]")) {
      button.addEventListener("click", () => {
        const [method, url] = button.dataset.api.split(" ");
        call(method, url, button.dataset.body ? JSON.parse(button.dataset.body) : {});
      });
    }
  }

  wire(document);
  connect();
})();
