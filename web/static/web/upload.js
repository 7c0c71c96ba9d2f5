/* The upload page: pick or drop many pictures; each goes to the API on its own request with
   a progress bar of the bytes sent, and says how it ended (the API's own words if refused)
   while the others carry on. A file over the size limit is refused before it is sent; a file
   the account already has (the same SHA-256 as a picture's checksum, asked of the API's list)
   waits for the person to upload it anyway or skip it. */
"use strict";
(() => {
  const { api, csrf, toast, PLACEHOLDER } = window.Atelier;
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
  const tally = { done: 0, failed: 0, skipped: 0 };
  let active = 0;

  const maxBytes = Number(form.dataset.maxBytes) || Infinity;
  const tooLarge = `Larger than ${form.dataset.maxSize}, the most a picture may be.`;

  function add(files) {
    const style = form.querySelector('input[name="style"]:checked')?.value || "none";
    section.hidden = false;
    for (const file of files) {
      const job = { file, style, row: row(file) };
      if (file.size > maxBytes) {
        failed(job.row.item, job.row.status, tooLarge);
        continue;
      }
      queue.push(job);
    }
    pump();
  }

  // The SHA-256 of a file, as hex, where the browser can compute it (a secure context).
  async function sha256(file) {
    if (!crypto.subtle) return null;
    const digest = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
    return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
  }

  // The picture of the account's gallery with this file's bytes, if there is one.
  async function duplicateOf(file) {
    try {
      const checksum = await sha256(file);
      if (!checksum) return null;
      const page = await api(`${form.dataset.upload}?checksum=${checksum}&page_size=1`);
      return page.results[0] || null;
    } catch {
      return null; // Not knowing is no reason to stop an upload.
    }
  }

  // Asks the person whether to upload a picture they already have; resolves true to upload.
  function confirmDuplicate(job, existing) {
    const { status } = job.row;
    return new Promise((resolve) => {
      const link = document.createElement("a");
      link.href = form.dataset.imageUrl.replace(PLACEHOLDER, existing.id);
      link.textContent = "you already have this picture";
      const again = document.createElement("button");
      Object.assign(again, { type: "button", className: "button", textContent: "Upload anyway" });
      const skip = document.createElement("button");
      Object.assign(skip, { type: "button", className: "button", textContent: "Skip" });
      const choice = (upload) => () => {
        job.row.item.classList.remove("duplicate");
        status.textContent = upload ? "0 %" : "Skipped: you already have it.";
        resolve(upload);
      };
      again.addEventListener("click", choice(true));
      skip.addEventListener("click", choice(false));
      job.row.item.classList.add("duplicate");
      status.setAttribute("role", "status");
      status.replaceChildren("Not uploaded yet: ", link, ". ", again, " ", skip);
      skip.focus();
    });
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

  async function checkThenSend(job) {
    job.row.status.textContent = "Checking…";
    const existing = await duplicateOf(job.file);
    if (existing && !(await confirmDuplicate(job, existing))) {
      tally.skipped += 1;
      return;
    }
    await send(job);
  }

  function pump() {
    while (active < PARALLEL && queue.length) {
      active += 1;
      checkThenSend(queue.shift()).then(() => {
        active -= 1;
        pump();
        if (!active && !queue.length) {
          const failed = tally.failed ? `, ${tally.failed} failed` : "";
          const skipped = tally.skipped ? `, ${tally.skipped} skipped` : "";
          toast(`${tally.done} uploaded${failed}${skipped}.`);
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
        } else if (xhr.status === 413) {
          failed(item, status, tooLarge);
        } else {
          // The file's own error, in the API's words without the field's name before them.
          const message = Array.isArray(data?.file) ? data.file[0] : data?.detail;
          failed(item, status, message || `The server answered ${xhr.status}.`);
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

  // The chosen style's name in the (folded) picker's summary.
  const styleLabel = form.querySelector("[data-style-label]");
  form.addEventListener("change", (event) => {
    if (event.target.name !== "style" || !styleLabel) return;
    styleLabel.textContent = event.target.closest("label")?.querySelector(".style-name")?.textContent || "";
  });

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
