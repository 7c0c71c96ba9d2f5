/* Atelier's pages, every one: writes go to the API (/api/v1/) with the session and its CSRF
   token, exactly as any other client's. Forms marked data-api are sent as JSON:
     data-api     the endpoint; data-method its method (POST by default)
     data-path    a field whose value replaces the id placeholder in the endpoint
     data-done    "reload" (default), "remove" (the enclosing [data-item]) or "go:<url>"
                  (the placeholder in it becomes the new object's id)
     data-undo    an endpoint that takes the change back, offered in the toast once it is
                  done (data-undo-method, POST by default; data-undo-body="same" sends the
                  form's body again; data-undo-text says what was done)
   Fields: data-type="bool" | "list" | "datetime" | "date" (a day or null), data-omit-empty. */
"use strict";
(() => {
  const PLACEHOLDER = "00000000-0000-4000-8000-000000000000";
  const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";

  async function api(url, { method = "GET", body } = {}) {
    const headers = { Accept: "application/json" };
    if (method !== "GET") headers["X-CSRFToken"] = csrf();
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(url, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = null;
    if (response.status !== 204) {
      try {
        data = await response.json();
      } catch {
        data = null;
      }
    }
    if (!response.ok) {
      const error = new Error(data?.detail || `The server answered ${response.status}.`);
      error.status = response.status;
      error.body = data;
      throw error;
    }
    return data;
  }

  let toastTimer;
  function hideLater(box, ms) {
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => {
      // Not while the person is about to use it.
      if (box.matches(":hover, :focus-within")) hideLater(box, 2000);
      else box.hidden = true;
    }, ms);
  }

  // A short message; with ``undo`` ({ url, method, body, text }) an Undo button that takes
  // the change back through the API, then reloads the page to show it.
  function toast(text, undo) {
    const box = document.querySelector("[data-toast]");
    if (!box) return;
    box.replaceChildren(text);
    if (undo) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "link toast-undo";
      button.textContent = "Undo";
      button.addEventListener("click", async () => {
        button.disabled = true;
        try {
          await api(undo.url, { method: undo.method || "POST", body: undo.body });
          location.reload();
        } catch (error) {
          box.replaceChildren(error.message);
        }
      });
      box.append(" ", button);
    }
    box.hidden = false;
    hideLater(box, undo ? 10000 : 4000);
  }

  // An undo survives the move to the next page (moving a picture to the trash goes back).
  const UNDO_KEY = "atelier-undo";
  try {
    const pending = JSON.parse(sessionStorage.getItem(UNDO_KEY) || "null");
    sessionStorage.removeItem(UNDO_KEY);
    // A notice without an undo (data-done-text on a "go:" form; locked folder, issue 20) has
    // no url: a toast alone.
    if (pending) {
      document.addEventListener("DOMContentLoaded", () =>
        toast(pending.text, pending.url ? pending : undefined));
    }
  } catch {
    // No session storage: no undo across pages.
  }

  function formBody(form, skip) {
    const body = {};
    for (const field of form.elements) {
      if (!field.name || field.disabled || skip.has(field.name)) continue;
      if (field.name === "csrfmiddlewaretoken" || field.type === "submit") continue;
      if (field.type === "radio" && !field.checked) continue;
      // Shared albums (issue 20): a picker's unchecked box adds nothing to its list.
      if (field.type === "checkbox" && field.dataset.type === "list" && !field.checked) continue;
      const type = field.dataset.type;
      let value = field.value;
      if (type === "bool") value = field.type === "checkbox" ? field.checked : value === "true";
      else if (type === "datetime") value = value ? new Date(value).toISOString() : null;
      else if (type === "date") value = value || null;
      if (field.hasAttribute("data-omit-empty") && (value === "" || value === null)) continue;
      if (type === "list") (body[field.name] ||= []).push(value);
      else body[field.name] = value;
    }
    return body;
  }

  function showError(form, message) {
    let box = form.querySelector(":scope > .form-error");
    if (!message) {
      box?.remove();
      return;
    }
    if (!box) {
      box = document.createElement("p");
      box.className = "form-error";
      box.setAttribute("role", "alert");
      form.append(box);
    }
    box.textContent = message;
  }

  function undoOf(form, body) {
    if (!form.dataset.undo) return null;
    return {
      url: form.dataset.undo,
      method: (form.dataset.undoMethod || "POST").toUpperCase(),
      body: form.dataset.undoBody === "same" ? body : undefined,
      text: form.dataset.undoText || "Done.",
    };
  }

  function finish(form, data, body) {
    const done = form.dataset.done || "reload";
    const undo = undoOf(form, body);
    if (done === "remove") {
      const item = form.closest("[data-item]");
      const list = item?.parentElement;
      item?.remove();
      document.getElementById("main")?.focus();
      // The last one gone: the page as it now is (its empty state, no stale controls).
      if (list && !list.querySelector("[data-item]") && !undo) {
        location.reload();
        return;
      }
      toast(undo ? undo.text : form.dataset.doneText || "Done.", undo);
    } else if (done.startsWith("go:")) {
      // Said on the next page: the undo, or (locked folder, issue 20) data-done-text alone.
      const notice = undo || (form.dataset.doneText ? { text: form.dataset.doneText } : null);
      if (notice) {
        try {
          sessionStorage.setItem(UNDO_KEY, JSON.stringify(notice));
        } catch {
          // No session storage: the change stands, without an undo.
        }
      }
      location.assign(done.slice(3).replace(PLACEHOLDER, data?.id || ""));
    } else {
      location.reload();
    }
  }

  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.api) return;
    event.preventDefault();
    const skip = new Set();
    let url = form.dataset.api;
    if (form.dataset.path) {
      url = url.replace(PLACEHOLDER, form.elements[form.dataset.path].value);
      skip.add(form.dataset.path);
    }
    const body = formBody(form, skip);
    const buttons = [...form.querySelectorAll("button")];
    buttons.forEach((button) => { button.disabled = true; });
    form.setAttribute("aria-busy", "true");
    showError(form, "");
    try {
      const data = await api(url, {
        method: (form.dataset.method || "POST").toUpperCase(),
        body: Object.keys(body).length ? body : undefined,
      });
      finish(form, data, body);
    } catch (error) {
      showError(form, error.message);
      // The API's error body, for a page's own script (together.js marks the fields).
      form.dispatchEvent(new CustomEvent("atelier:error", { bubbles: true, detail: error.body }));
      buttons.forEach((button) => { button.disabled = false; });
    } finally {
      form.removeAttribute("aria-busy");
    }
  });

  // Copy a share link: the clipboard API where the page may use it, else the selection.
  document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-copy]");
    if (!button) return;
    const field = document.getElementById(button.dataset.copy);
    try {
      await navigator.clipboard.writeText(field.value);
    } catch {
      field.select();
      document.execCommand("copy");
    }
    const label = button.textContent;
    button.textContent = "Copied";
    toast("Link copied.");
    setTimeout(() => { button.textContent = label; }, 2000);
  });

  // A picture's page shows the screen-sized preview; a click (or Enter on it) swaps in the
  // full-size rendition, and another click (or Escape) goes back. Without this script the
  // link opens the full size on its own.
  const zoom = document.querySelector("[data-zoom]");
  function setZoom(on) {
    const img = zoom.querySelector("img");
    const stage = zoom.closest(".stage");
    if (on) {
      zoom.dataset.srcset = img.getAttribute("srcset") || "";
      img.removeAttribute("srcset");
      img.src = zoom.href;
    }
    stage.classList.toggle("zoomed", on);
    zoom.setAttribute("aria-expanded", String(on));
  }
  if (zoom) {
    zoom.setAttribute("role", "button");
    zoom.setAttribute("aria-expanded", "false");
    zoom.addEventListener("click", (event) => {
      event.preventDefault();
      setZoom(zoom.getAttribute("aria-expanded") !== "true");
    });
  }

  // Private pages shown again from the back/forward cache would show what has changed since
  // (a restored picture still in the trash): load them afresh.
  window.addEventListener("pageshow", (event) => {
    if (event.persisted && document.querySelector("[data-fresh]")) location.reload();
  });

  // An image's page: arrows step through where the person came from (the gallery with its
  // filters and order, or an album), Escape goes back there.
  const keys = document.querySelector("[data-keys]");
  if (keys) {
    document.addEventListener("keydown", (event) => {
      if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
      if (event.target.closest("input, textarea, select, [contenteditable]")) return;
      if (event.key === "Escape" && zoom?.getAttribute("aria-expanded") === "true") {
        event.preventDefault();
        setZoom(false);
        return;
      }
      const target = {
        ArrowLeft: keys.dataset.prev,
        ArrowRight: keys.dataset.next,
        Escape: keys.dataset.back,
      }[event.key];
      if (target) {
        event.preventDefault();
        location.assign(target);
      }
    });
  }

  // An image still rendering: ask the API until it is done, then show the result.
  const stage = document.querySelector('[data-image][data-status="pending"]');
  if (stage) {
    let tries = 0;
    const check = async () => {
      tries += 1;
      try {
        const image = await api(stage.dataset.image);
        if (image.status !== "pending") {
          location.reload();
          return;
        }
      } catch {
        // A passing failure: ask again.
      }
      if (tries < 150) setTimeout(check, Math.min(1000 + tries * 500, 5000));
    };
    setTimeout(check, 1000);
  }

  // --- locked folder (issue 20, part 6) ---------------------------------------------------
  // Its pages show pictures only while the password given again holds (data-locked-until,
  // a Unix time; the elevation itself stays on the server): then they load afresh, and the
  // server asks for the password again.
  const lockedUntil = Number(document.querySelector("[data-locked-until]")?.dataset.lockedUntil);
  if (lockedUntil) {
    const left = lockedUntil * 1000 - Date.now();
    setTimeout(() => location.reload(), Math.max(left, 0) + 500);
  }
  // --- end locked folder

  window.Atelier = { api, toast, csrf, PLACEHOLDER };
})();
