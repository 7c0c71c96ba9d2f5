/* The gallery and an album's page: more thumbnails from the API's next page as the person
   scrolls, and thumbnails still rendering swapped in when the API says they are ready. */
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

  function tile(image) {
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
    item.append(link);
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

  function show(img, image) {
    const name = image.title || image.original_filename || "Untitled picture";
    img.dataset.name = name;
    if (image.urls.thumbnail) {
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
      const page = await api(url);
      const items = document.createDocumentFragment();
      page.results.forEach((image) => items.append(tile(image)));
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
        show(item.querySelector("img"), image);
        return;
      }
    } catch {
      // Asked again below.
    }
    if (tries < 150) poll(item, tries + 1);
  }
  function watchPending() {
    for (const item of grid.querySelectorAll('[data-status="pending"]')) {
      if (watched.has(item.dataset.id)) continue;
      watched.add(item.dataset.id);
      poll(item, 0);
    }
  }
  watchPending();
})();
