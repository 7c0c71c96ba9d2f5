/* The upload page: pick or drop many pictures; each goes to the API on its own request with
   a progress bar of the bytes sent, and says how it ended (the API's own words if refused)
   while the others carry on. */
"use strict";
(() => {
  const { csrf, toast, PLACEHOLDER } = window.Atelier;
  const form = document.querySelector("form[data-upload]");
  if (!form) return;
  const input = form.querySelector('input[type="file"]');
  const zone = form.querySelector("[data-dropzone]");
  const section = document.querySelector("[data-uploads]");
  const list = document.querySelector("[data-upload-list]");
  // One at a time: every upload writes to the same account (its quota row is locked per
  // upload), so parallel requests would only queue on the server, and the first pictures
  // appear sooner this way. The others wait their turn, each with its own bar.
  const PARALLEL = 1;
  // A 503 kept nothing and says to try again: up to this many times, with the same key.
  const RETRIES = 2;
  // Over the upload rate (429) it waits as told, this many times at most per file.
  const WAITS = 30;
  const queue = [];
  const tally = { done: 0, failed: 0 };
  let active = 0;

  function add(files) {
    const style = form.querySelector('input[name="style"]:checked')?.value || "none";
    for (const file of files) queue.push({ file, style, row: row(file) });
    section.hidden = false;
    pump();
  }

  function row(file) {
    const item = document.createElement("li");
    item.className = "upload-item";
    const name = document.createElement("span");
    name.className = "upload-name";
    name.textContent = file.name;
    const bar = document.createElement("progress");
    bar.max = file.size || 1;
    bar.value = 0;
    bar.setAttribute("aria-label", `Uploading ${file.name}`);
    const status = document.createElement("span");
    status.className = "upload-status";
    status.textContent = "Waiting…";
    item.append(name, bar, status);
    list.append(item);
    return { item, bar, status };
  }

  function pump() {
    while (active < PARALLEL && queue.length) {
      active += 1;
      send(queue.shift()).then(() => {
        active -= 1;
        pump();
        if (!active && !queue.length) {
          const failed = tally.failed ? `, ${tally.failed} failed` : "";
          toast(`${tally.done} uploaded${failed}.`);
        }
      });
    }
  }

  // A key per file, so that a retry can never store it twice (the API's Idempotency-Key).
  function key() {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  }

  function send(job, attempt = 0) {
    const { file, style, row: { item, bar, status } } = job;
    job.key ||= key();
    return new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", form.dataset.upload);
      xhr.setRequestHeader("X-CSRFToken", csrf());
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("Idempotency-Key", job.key);
      xhr.upload.addEventListener("progress", (event) => {
        if (!event.lengthComputable) return;
        bar.max = event.total;
        bar.value = event.loaded;
        status.textContent = `${Math.floor((100 * event.loaded) / event.total)} %`;
      });
      xhr.addEventListener("load", () => {
        let data = null;
        try {
          data = JSON.parse(xhr.responseText);
        } catch {
          data = null;
        }
        if ((xhr.status === 201 || xhr.status === 200) && data) {
          succeeded(item, bar, status, data);
        } else if (xhr.status === 429 && attempt < WAITS) {
          // Over the upload rate: nothing was kept; wait as long as the server says, then
          // carry on with this file and the rest (they queue behind it).
          const seconds = Number(xhr.getResponseHeader("Retry-After")) || data?.retry_after || 5;
          status.textContent = `Uploading too fast for your account's limit; going on in ${seconds} s…`;
          setTimeout(() => send(job, attempt + 1).then(resolve), 1000 * seconds);
          return;
        } else if (xhr.status === 503 && attempt < RETRIES) {
          status.textContent = "The server is busy; trying again…";
          const wait = 1000 * (Number(xhr.getResponseHeader("Retry-After")) || 2);
          setTimeout(() => send(job, attempt + 1).then(resolve), wait);
          return;
        } else {
          failed(item, status, data?.detail || `The server answered ${xhr.status}.`);
        }
        resolve();
      });
      xhr.addEventListener("error", () => {
        failed(item, status, "The upload was cut off: the file may be too large, or the connection dropped.");
        resolve();
      });
      const body = new FormData();
      body.append("file", file);
      body.append("style", style);
      status.textContent = "0 %";
      xhr.send(body);
    });
  }

  function succeeded(item, bar, status, image) {
    tally.done += 1;
    bar.value = bar.max;
    item.classList.add("done");
    const link = document.createElement("a");
    link.href = form.dataset.imageUrl.replace(PLACEHOLDER, image.id);
    link.textContent = image.status === "pending" ? "Uploaded, rendering…" : "Uploaded";
    if (image.status === "failed") link.textContent = `Uploaded, but ${image.error?.detail || "it could not be rendered"}`;
    status.replaceChildren(link);
  }

  function failed(item, status, message) {
    tally.failed += 1;
    item.classList.add("failed");
    status.setAttribute("role", "alert");
    status.textContent = message;
  }

  input.addEventListener("change", () => {
    add(input.files);
    input.value = "";
  });
  // Dropping anywhere on the page uploads; the zone shows where.
  for (const type of ["dragenter", "dragover"]) {
    document.addEventListener(type, (event) => {
      if (![...(event.dataTransfer?.types || [])].includes("Files")) return;
      event.preventDefault();
      zone.classList.add("over");
    });
  }
  document.addEventListener("dragleave", (event) => {
    if (!event.relatedTarget) zone.classList.remove("over");
  });
  document.addEventListener("drop", (event) => {
    if (!event.dataTransfer?.files?.length) return;
    event.preventDefault();
    zone.classList.remove("over");
    add(event.dataTransfer.files);
  });
})();
