/* Albums shared between accounts (issue 20), on the pages that manage or fill them: the API's
   field errors mark the fields they are about (an invitation naming no account), tied to the
   form's message for screen readers; a form with data-field-errors says the fields' own
   messages, without their API names. app.js sends each refused form's error body as an
   "atelier:error" event. */
"use strict";
(() => {
  function markFields(form, body) {
    for (const field of form.querySelectorAll("[aria-invalid]")) {
      field.removeAttribute("aria-invalid");
    }
    const box = form.querySelector(":scope > .form-error");
    if (!body || !box) return;
    box.id ||= `error-${Math.random().toString(36).slice(2)}`;
    const messages = [];
    for (const field of form.elements) {
      if (!field.name || !Array.isArray(body[field.name])) continue;
      field.setAttribute("aria-invalid", "true");
      field.setAttribute("aria-errormessage", box.id);
      messages.push(...body[field.name]);
    }
    if (messages.length && form.hasAttribute("data-field-errors")) {
      box.textContent = messages.join(" ");
    }
  }

  document.addEventListener("atelier:error", (event) => {
    if (event.target instanceof HTMLFormElement) markFields(event.target, event.detail);
  });
})();
