/* The upload page: pick or drop many pictures; each goes to the API on its own request with
   a progress bar of the bytes sent, and says how it ended (the API's own words if refused)
   while the others carry on. A file over the size limit is refused before it is sent; a file
   the account already has (the same SHA-256 as a picture's checksum, asked of the API's list)
   waits for the person to upload it anyway or skip it. A file over RESUMABLE_OVER goes up
   resumably instead (tus 1.0, /api/v1/uploads/): in PATCHes of CHUNK bytes, and after a
   dropped connection it asks the server how much it holds (HEAD) and goes on from there,
   waiting longer after each failure in a row. */
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

  // The browser's type is only a hint (the server reads the bytes): it picks which limit to
  // say before sending, a photo's or a video's.
  const maxBytes = Number(form.dataset.maxBytes) || Infinity;
  const videoMaxBytes = Number(form.dataset.videoMaxBytes) || maxBytes;
  const isVideo = (file) => (file.type || "").startsWith("video/");
  const limitOf = (file) => (isVideo(file) ? videoMaxBytes : maxBytes);
  const tooLarge = (file) =>
    isVideo(file)
      ? `Larger than ${form.dataset.videoMaxSize}, the most a video may be.`
      : `Larger than ${form.dataset.maxSize}, the most a picture may be.`;
  // Resumable uploads: over this size a file goes up in parts that survive a dropped
  // connection, up to the server's resumable limit.
  // (The form's data-resumable-over and data-resumable-chunk may say otherwise.)
  const RESUMABLE_OVER = 20 * 1024 * 1024;
  const CHUNK = 8 * 1024 * 1024;
  const tusUrl = form.dataset.resumable || "/api/v1/uploads/";
  const tusMax = Number(form.dataset.resumableMaxBytes) || 1024 ** 3;
  // Seconds to wait after the 1st, 2nd… failure in a row before resuming; then it gives up.
  const BACKOFF = [1, 2, 4, 8, 16, 30, 30, 30];
  const resumable = (file) => file.size > (Number(form.dataset.resumableOver) || RESUMABLE_OVER);

  function add(files) {
    const style = form.querySelector('input[name="style"]:checked')?.value || "none";
    section.hidden = false;
    for (const file of files) {
      const job = { file, style, row: row(file) };
      if (file.size > limitOf(file) || (resumable(file) && file.size > tusMax)) {
        failed(job.row.item, job.row.status, tooLarge(file));
        continue;
      }
      queue.push(job);
    }
    pump();
  }

  // SHA-256 in plain script, for pages served without TLS on a network (SubtleCrypto exists
  // only in secure contexts: HTTPS and localhost).
  const K = Uint32Array.from([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
  ]);
  function sha256Script(bytes) {
    const length = bytes.length;
    const padded = new Uint8Array(((length + 72) >> 6) << 6);
    padded.set(bytes);
    padded[length] = 0x80;
    const view = new DataView(padded.buffer);
    view.setUint32(padded.length - 8, Math.floor(length / 0x20000000));
    view.setUint32(padded.length - 4, (length << 3) >>> 0);
    const h = Uint32Array.from([
      0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    ]);
    const w = new Uint32Array(64);
    const rotr = (x, n) => (x >>> n) | (x << (32 - n));
    for (let block = 0; block < padded.length; block += 64) {
      for (let i = 0; i < 16; i += 1) w[i] = view.getUint32(block + 4 * i);
      for (let i = 16; i < 64; i += 1) {
        const s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >>> 3);
        const s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >>> 10);
        w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
      }
      let [a, b, c, d, e, f, g, k] = h;
      for (let i = 0; i < 64; i += 1) {
        const t1 = (k + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
        const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
        [k, g, f, e, d, c, b, a] = [g, f, e, (d + t1) | 0, c, b, a, (t1 + t2) | 0];
      }
      [a, b, c, d, e, f, g, k].forEach((value, i) => { h[i] = (h[i] + value) | 0; });
    }
    return Array.from(h, (word) => word.toString(16).padStart(8, "0")).join("");
  }

  // The SHA-256 of a file, as hex: SubtleCrypto where the page may use it.
  async function sha256(file) {
    const data = await file.arrayBuffer();
    if (!crypto.subtle) return sha256Script(new Uint8Array(data));
    const digest = await crypto.subtle.digest("SHA-256", data);
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
    // Hashing a large file would read it whole into the page's memory: not for those.
    if (resumable(job.file)) {
      await sendResumable(job);
      return;
    }
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

  // One tus request; resolves with the XMLHttpRequest once answered, rejects if the
  // connection fails. ``onProgress`` hears the bytes of the body sent so far.
  function tusRequest(method, url, headers = {}, body = null, onProgress = null) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(method, url);
      xhr.setRequestHeader("Tus-Resumable", "1.0.0");
      xhr.setRequestHeader("X-CSRFToken", csrf());
      xhr.setRequestHeader("Accept", "application/json");
      for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
      if (onProgress) xhr.upload.addEventListener("progress", (event) => onProgress(event.loaded));
      xhr.addEventListener("load", () => resolve(xhr));
      for (const type of ["error", "abort", "timeout"]) xhr.addEventListener(type, () => reject(new Error(type)));
      xhr.send(body);
    });
  }

  const b64 = (text) => btoa(Array.from(new TextEncoder().encode(text), (byte) => String.fromCharCode(byte)).join(""));
  const sleep = (seconds) => new Promise((resolve) => setTimeout(resolve, 1000 * seconds));
  const answer = (xhr) => {
    try {
      return JSON.parse(xhr.responseText);
    } catch {
      return null;
    }
  };
  // Answers worth trying again after a wait: busy, over the rate, storage down, or the
  // offset moved (a HEAD tells where to go on from).
  const RETRYABLE = new Set([409, 429, 502, 503, 504]);

  async function sendResumable(job) {
    const { file, style, row: { item, bar, status } } = job;
    job.key ||= key();
    bar.max = file.size;
    const shown = (sent) => {
      bar.value = sent;
      status.textContent = `${Math.floor((100 * sent) / file.size)} %`;
    };
    const refused = (xhr) => {
      const data = answer(xhr);
      const message = Array.isArray(data?.file) ? data.file[0] : data?.detail;
      failed(item, status, xhr.status === 413 && !data ? tooLarge : message || `The server answered ${xhr.status}.`);
    };
    const metadata = `filename ${b64(file.name)},style ${b64(style)}`;
    let url = null;
    let offset = 0;
    let failures = 0;
    shown(0);
    for (;;) {
      try {
        if (!url) {
          const created = await tusRequest("POST", tusUrl, {
            "Upload-Length": String(file.size),
            "Upload-Metadata": metadata,
            "Idempotency-Key": job.key,
          });
          if (created.status !== 201) {
            if (!RETRYABLE.has(created.status)) return refused(created);
            throw new Error(String(created.status));
          }
          url = created.getResponseHeader("Location");
        } else if (failures) {
          const head = await tusRequest("HEAD", url);
          if (head.status !== 200) return refused(head);
          offset = Number(head.getResponseHeader("Upload-Offset"));
        }
        const end = Math.min(offset + (Number(form.dataset.resumableChunk) || CHUNK), file.size);
        const start = offset;
        const sent = await tusRequest(
          "PATCH",
          url,
          { "Upload-Offset": String(start), "Content-Type": "application/offset+octet-stream" },
          file.slice(start, end),
          (loaded) => shown(start + loaded),
        );
        if (sent.status !== 204) {
          if (!RETRYABLE.has(sent.status)) return refused(sent);
          throw new Error(String(sent.status));
        }
        offset = Number(sent.getResponseHeader("Upload-Offset"));
        failures = 0;
        shown(offset);
        const imageId = sent.getResponseHeader("Upload-Image");
        if (imageId) {
          const image = await api(`${form.dataset.upload}${imageId}/`).catch(() => ({ id: imageId, status: "pending" }));
          return succeeded(item, bar, status, image);
        }
      } catch {
        if (failures >= BACKOFF.length) {
          return failed(item, status, `The connection kept dropping; stopped at ${Math.floor((100 * offset) / file.size)} %.`);
        }
        status.textContent = `Connection lost; resuming in ${BACKOFF[failures]} s…`;
        await sleep(BACKOFF[failures]);
        failures += 1;
      }
    }
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
