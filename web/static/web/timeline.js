/* The gallery's timeline (issue 22, item 1), fetched by gallery.js when first needed (the
   gallery's first page carries its headers already): the month and day headers of the tiles
   a page adds, as web/_grid.html writes them, and "Select day", which picks a day's own tiles
   for the selection bar, whose form (app.js) adds them to the album chosen. */
const utc = (options) => new Intl.DateTimeFormat("en-GB", { ...options, timeZone: "UTC" });
const monthName = utc({ month: "long", year: "numeric" });
const dayName = utc({ weekday: "short", day: "numeric", month: "long" });
const bar = document.querySelector("[data-selection]");
const picked = new Set();
let lastDay;

function heading(className, level, text) {
  const item = document.createElement("li");
  item.className = className;
  const title = document.createElement(level);
  title.textContent = text;
  item.append(title);
  return item;
}

// The headers that go before ``image`` in ``grid`` (none while its day goes on).
export function heads(grid, image) {
  if (lastDay === undefined) lastDay = [...grid.querySelectorAll(".tl-day")].pop()?.dataset.day || null;
  const day = image.timeline_at?.slice(0, 10);
  if (!lastDay || !day || day === lastDay) return [];
  const when = new Date(`${day}T00:00:00Z`);
  const made = [];
  if (day.slice(0, 7) !== lastDay.slice(0, 7)) made.push(heading("tl-month", "h2", monthName.format(when)));
  const head = heading("tl-day", "h3", dayName.format(when).replace(",", ""));
  head.dataset.day = day;
  if (bar) {
    const button = Object.assign(document.createElement("button"), { type: "button", className: "link", textContent: "Select day" });
    button.dataset.pickDay = "";
    button.setAttribute("aria-pressed", "false");
    head.append(button);
  }
  made.push(head);
  lastDay = day;
  return made;
}

function pick(item, on) {
  item.classList.toggle("picked", on);
  if (on) picked.add(item.dataset.id);
  else picked.delete(item.dataset.id);
}

function sync() {
  bar.querySelectorAll('[name="image_ids"]').forEach((input) => input.remove());
  for (const id of picked) {
    const input = Object.assign(document.createElement("input"), { type: "hidden", name: "image_ids", value: id });
    input.dataset.type = "list";
    bar.append(input);
  }
  bar.querySelector("output").textContent = `${picked.size} selected`;
  bar.hidden = picked.size === 0;
}

// "Select day" pressed: its day's tiles (a partner's are not the caller's to add) picked or
// let go, and the bar says how many are picked.
export function pickDay(button) {
  if (!bar) return;
  const on = button.getAttribute("aria-pressed") !== "true";
  button.setAttribute("aria-pressed", String(on));
  let item = button.closest(".tl-day").nextElementSibling;
  for (; item?.matches("[data-item]"); item = item.nextElementSibling) {
    if (!item.hasAttribute("data-partner")) pick(item, on);
  }
  sync();
}

bar?.querySelector("[data-pick-clear]").addEventListener("click", () => {
  document.querySelectorAll(".picked").forEach((item) => pick(item, false));
  document.querySelectorAll("[data-pick-day]").forEach((b) => b.setAttribute("aria-pressed", "false"));
  sync();
});
