/* The search box on every page: suggestions as one types, from the API's
   search/suggestions/ (the session's GET; no CSRF needed), in the box's <datalist>.
   Choosing one searches what it stands for (a place, a camera, an album); anything else
   typed is searched as words. */
"use strict";
(() => {
  const input = document.querySelector("[data-suggest]");
  if (!input || !window.Atelier) return;
  const list = document.getElementById(input.getAttribute("list"));
  const KINDS = { place: "Place", camera: "Camera", album: "Album", title: "Title" };
  let offered = new Map();
  let timer = 0;
  let latest = 0;

  async function suggest() {
    const typed = input.value.trim();
    const ticket = ++latest;
    if (!typed) return list.replaceChildren();
    try {
      const data = await window.Atelier.api(`${input.dataset.suggest}?q=${encodeURIComponent(typed)}`);
      if (ticket !== latest) return;
      offered = new Map(data.results.map((s) => [s.label, s.params]));
      list.replaceChildren(...data.results.map((s) => {
        const option = document.createElement("option");
        option.value = s.label;
        option.label = KINDS[s.kind] || s.kind;
        return option;
      }));
    } catch {
      /* Suggestions help; the box works without them. */
    }
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(suggest, 150);
  });
  input.form.addEventListener("submit", (event) => {
    const params = offered.get(input.value);
    if (!params) return;
    event.preventDefault();
    window.location.assign(`${input.form.action}?${new URLSearchParams(params)}`);
  });
})();
