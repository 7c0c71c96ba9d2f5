/* The gallery and an album's page: more thumbnails from the API's next page as the person
   scrolls, and thumbnails still rendering swapped in when the API says they are ready. The
   tiles it adds are those the server renders (web/_tile.html): srcset and sizes, the ThumbHash
   placeholder under the picture, a video's badge with its duration. */
"use strict";
(() => {
  const { api, toast, PLACEHOLDER } = window.Atelier;

  // The filter form leaves out its "any" choices, so the address stays short and clean; with
  // data-autosubmit a changed choice applies at once (the Apply button stays for keyboards).
  const filters = document.querySelector("form.filters");
  filters?.addEventListener("submit", (event) => {
    event.preventDefault();
    const query = new URLSearchParams();
    for (const [key, value] of new FormData(filters)) if (value) query.append(key, value);
    location.assign(`${filters.action}${query.size ? `?${query}` : ""}`);
  });
  if (filters?.hasAttribute("data-autosubmit")) {
    filters.addEventListener("change", () => filters.requestSubmit());
  }

  const grid = document.querySelector("[data-grid]");
  if (!grid) return;
  const endpoint = grid.dataset.api;
  let more = document.querySelector("[data-more]");
  let loading = false;

  // As web.views.ratio_class: the tile's shape as a power of 1.02, 1:10 to 10:1.
  function tileClass(image) {
    const ratio = image.width > 0 && image.height > 0 ? image.width / image.height : 1;
    const step = Math.round(Math.log(ratio) / Math.log(1.02));
    const shape = `k${Math.min(116, Math.max(-116, step))}`;
    return image.status === "ready" ? `tile ${shape}` : `tile ${shape} ${image.status}`;
  }

  function tile(image, module) {
    const item = document.createElement("li");
    item.className = tileClass(image);
    item.dataset.item = "";
    item.dataset.id = image.id;
    item.dataset.status = image.status;
    const link = document.createElement("a");
    link.href = grid.dataset.imageUrl.replace(PLACEHOLDER, image.id) + (grid.dataset.context || "");
    const img = document.createElement("img");
    img.width = image.width;
    img.height = image.height;
    img.loading = "lazy";
    img.decoding = "async";
    show(img, image);
    link.append(img);
    const placeholder = placeholderFor(image, module);
    if (placeholder) link.append(placeholder);
    item.append(link);
    // A partner's picture (issue 20, item 4): its own page, marked.
    if (image.partner) {
      link.href = grid.dataset.partnerUrl.replace(PLACEHOLDER, image.partner.id)
        .replace(PLACEHOLDER, image.id) + (grid.dataset.context || "");
      item.dataset.partner = "";
      const mark = document.createElement("span");
      mark.className = "tile-partner";
      mark.innerHTML = '<span class="vh">Shared by </span>';
      mark.append(image.partner.display_name);
      item.append(mark);
    }
    if (image.kind === "video") item.append(videoBadge(image.duration));
    if (image.is_favorite) {
      const star = document.createElement("span");
      star.className = "fav";
      star.innerHTML = '<span aria-hidden="true">★</span><span class="vh">Favourite</span>';
      item.append(star);
    }
    if (grid.dataset.albumImages) {
      const form = document.createElement("form");
      form.className = "tile-remove";
      form.dataset.api = grid.dataset.albumImages;
      form.dataset.method = "DELETE";
      form.dataset.done = "remove";
      form.dataset.undo = grid.dataset.albumImages;
      form.dataset.undoMethod = "PUT";
      form.dataset.undoBody = "same";
      form.dataset.undoText = "Removed from the album.";
      const id = document.createElement("input");
      Object.assign(id, { type: "hidden", name: "image_ids", value: image.id });
      id.dataset.type = "list";
      const button = document.createElement("button");
      Object.assign(button, { type: "submit", className: "tile-x", textContent: "×" });
      button.title = "Remove from album";
      button.setAttribute("aria-label", `Remove ${img.dataset.name} from the album`);
      form.append(id, button);
      item.append(form);
    }
    return item;
  }

  // As web.present.tile_media: the thumbnail and the preview, for the tile's tallest row.
  const sizes = { phoneWidth: 640, phoneRow: 168, row: 238, page: 1600 };
  function fit(width, height, edge) {
    if (Math.max(width, height) <= edge) return [width, height];
    const scale = edge / Math.max(width, height);
    return [Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale))];
  }
  function sourceSet(image) {
    const limits = grid.dataset;
    const [width, height] = fit(image.width, image.height, Number(limits.processedEdge || 4096));
    const scale = Math.min(
      1,
      Number(limits.thumbnailEdge || 480) / Math.min(width, height),
      Number(limits.thumbnailMaxEdge || 3840) / Math.max(width, height),
    );
    const thumbnailWidth = scale >= 1 ? width : Math.max(1, Math.round(width * scale));
    const previewWidth = fit(width, height, Number(limits.previewEdge || 1440))[0];
    if (!image.urls.preview || previewWidth <= thumbnailWidth) return ["", ""];
    const set = [`${image.urls.thumbnail} ${thumbnailWidth}w`, `${image.urls.preview} ${previewWidth}w`];
    const ratio = image.width / image.height;
    const phone = Math.round(Math.min(ratio * sizes.phoneRow, sizes.phoneWidth));
    const wide = Math.round(Math.min(ratio * sizes.row, sizes.page));
    return [set.join(", "), `(max-width: ${sizes.phoneWidth}px) ${phone}px, ${wide}px`];
  }

  function videoBadge(duration) {
    const badge = document.createElement("span");
    badge.className = "tile-video";
    const shown = document.createElement("span");
    shown.setAttribute("aria-hidden", "true");
    const said = document.createElement("span");
    said.className = "vh";
    said.textContent = "Video";
    shown.textContent = "▶";
    if (typeof duration === "number" && duration >= 0) {
      const total = Math.round(duration);
      const [h, m, s] = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60];
      const pad = (n) => String(n).padStart(2, "0");
      shown.textContent += ` ${h ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`}`;
      const words = [[h, "hour"], [m, "minute"], [s, "second"]]
        .filter(([n]) => n).map(([n, unit]) => `${n} ${unit}${n === 1 ? "" : "s"}`);
      said.textContent += `, ${words.join(" ") || "0 seconds"}`;
    }
    badge.append(shown, said);
    return badge;
  }

  // The ThumbHash decoder (web/thumbhash.js), fetched with the first page the script adds: the
  // tiles the server sent carry their placeholders already.
  let decoder = null;
  function thumbHashes() {
    decoder ??= import(grid.dataset.thumbhashUrl).catch(() => null);
    return decoder;
  }
  // Issue 22: web/timeline.js (headers, "Select day") where the page is grouped by day.
  const timeline = () => grid.querySelector(".tl-day") && import(grid.dataset.timelineUrl);
  grid.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-pick-day]");
    if (button) (await timeline()).pickDay(button);
  });
  function placeholderFor(image, module) {
    const uri = module && image.urls.thumbnail && image.placeholder
      ? module.thumbHashToDataURL(image.placeholder) : null;
    if (!uri) return null;
    const placeholder = document.createElement("img");
    placeholder.className = "ph";
    placeholder.alt = "";
    placeholder.width = image.width;
    placeholder.height = image.height;
    placeholder.src = uri;
    return placeholder;
  }

  function show(img, image) {
    const name = image.title || image.original_filename || "Untitled picture";
    img.dataset.name = name;
    if (image.urls.thumbnail) {
      const [srcset, sizes] = sourceSet(image);
      if (srcset) {
        img.sizes = sizes;
        img.srcset = srcset;
      }
      img.src = image.urls.thumbnail;
      img.alt = name;
    } else {
      img.src = grid.dataset.pendingUrl;
      img.alt = `${name} (${image.status === "failed" ? "could not be rendered" : "rendering"})`;
    }
  }

  async function loadMore() {
    if (loading || !more) return;
    loading = true;
    more.setAttribute("aria-busy", "true");
    const url = more.dataset.next || `${endpoint}${new URL(more.href).search}`;
    try {
      const [page, module, days] = await Promise.all([api(url), thumbHashes(), timeline()]);
      const items = document.createDocumentFragment();
      page.results.forEach((image) => items.append(...days?.heads(grid, image) || [], tile(image, module)));
      grid.append(items);
      if (page.next) {
        more.dataset.next = page.next;
        more.href = `${location.pathname}${new URL(page.next).search}`;
        observer?.unobserve(more);
        observer?.observe(more); // still in view on a tall screen: fetch again
      } else {
        observer?.disconnect();
        more.parentElement.remove();
        more = null;
      }
      watchPending();
    } catch (error) {
      toast(error.message);
    } finally {
      loading = false;
      more?.removeAttribute("aria-busy");
    }
  }

  const observer = "IntersectionObserver" in window && more
    ? new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting)) loadMore();
    }, { rootMargin: "800px 0px" })
    : null;
  if (more) {
    more.addEventListener("click", (event) => {
      event.preventDefault();
      loadMore();
    });
    observer?.observe(more);
  }

  const watched = new Set();
  async function poll(item, tries) {
    await new Promise((done) => { setTimeout(done, Math.min(1500 + tries * 500, 8000)); });
    if (!item.isConnected) return;
    try {
      const image = await api(`${endpoint}${item.dataset.id}/`);
      if (image.status !== "pending") {
        item.dataset.status = image.status;
        item.className = tileClass(image);
        show(item.querySelector("img:not(.ph)"), image);
        return;
      }
    } catch {
      // Asked again below.
    }
    if (tries < 150) poll(item, tries + 1);
  }
  function watchPending() {
    // Not a partner's (issue 20): not in the caller's list.
    for (const item of grid.querySelectorAll('[data-status="pending"]:not([data-partner])')) {
      if (watched.has(item.dataset.id)) continue;
      watched.add(item.dataset.id);
      poll(item, 0);
    }
  }
  watchPending();
})();
