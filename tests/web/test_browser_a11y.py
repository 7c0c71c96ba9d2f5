"""Every page of the web app: axe-core finds no serious or critical violation, nothing leaves
the server, no console error, no CSP violation, and screenshots at 375 px and 1280 px.

Each page is opened in the state a person meets it in (with pictures, empty, with a form's
errors), in the context of whoever would see it: the owner, a new account, or an anonymous
visitor. The visitors' contexts check the requests, console and CSP reports when the test ends
(``tests/web/conftest.py``); the screenshots land in ``var/screenshots/<page>-<width>.png``.
"""

from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus

import pytest
from playwright.sync_api import Page, expect

from tests.celery_broker import renders_settle
from tests.conftest import ON_S3_STACK, RENDER_WAIT_SECONDS
from tests.factories import DEFAULT_PASSWORD, image_bytes
from tests.web.conftest import ApiAs, Visitor, axe, drop_files, sample_photo, screenshot

pytestmark = pytest.mark.browser

SHARE_PASSWORD = "tea at five"
# Title and style of each picture: crops of the sample photo (``sample_photo``).
PICTURES = [
    ("Harbour at dusk", "none"),
    ("Lighthouse", "sepia"),
    ("Boats at rest", "none"),
    ("Low tide", "vintage"),
    ("Evening sky", "pencil_sketch"),
    ("Gulls", "grayscale"),
    ("Fish market", "cartoon"),
    ("The old pier", "posterize"),
]
TITLES = [title for title, _style in PICTURES]
# The world's photos: what a page looks like does not depend on their pixels, and at the
# thumbnail's size every rendition is one picture, encoded once (a world of nine renders is a
# third of the time it was at 800 px; 26 tests build one).
WORLD_EDGE = 480


@dataclass
class World:
    """What the pages show: the owner's pictures, an album, the trash, two share links."""

    images: list[dict]
    album: dict
    open_share: dict
    locked_share: dict


@pytest.fixture
def world(owner_api: ApiAs) -> World:
    images = []
    for index, (title, style) in enumerate(PICTURES):
        name = f"{title.lower().replace(' ', '-')}.jpg"
        files = {"file": (name, sample_photo(index, WORLD_EDGE), "image/jpeg")}
        images.append(
            owner_api.post("image-list", files=files, data={"title": title, "style": style})
        )
    owner_api.patch("image-detail", kwargs={"pk": images[0]["id"]}, json={"is_favorite": True})
    album = owner_api.album("Harbours", images[:4])
    owner_api.album("Birds", images[5:6])
    trashed = owner_api.upload(9, title="Blurry seal")
    owner_api.trash(trashed)
    return World(
        images=images,
        album=album,
        open_share=owner_api.share(album),
        locked_share=owner_api.share(album, password=SHARE_PASSWORD),
    )


# --- the pages, each as a person reaches it -------------------------------------------------------

Opener = Callable[[dict[str, Visitor], World], Page]


def login(visitors, world):
    return visitors["anonymous"].open("login")


def login_failed(visitors, world):
    visitor = visitors["anonymous"]
    page = visitor.open("login")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("not her password")
    visitor.watch.expected_failures.add(visitor.site.url("login"))
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    return page


def signup(visitors, world):
    return visitors["anonymous"].open("signup")


def signup_errors(visitors, world):
    visitor = visitors["anonymous"]
    page = visitor.open("signup")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Email").fill("not an address")
    page.get_by_label("Password").fill("short")
    visitor.watch.expected_failures.add(visitor.site.url("signup"))
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("textbox", name="Email")).to_have_attribute("aria-invalid", "true")
    return page


def not_found(visitors, world):
    visitor = visitors["anonymous"]
    return visitor.open_url(visitor.site.base_url + "/no-such-page/", status=HTTPStatus.NOT_FOUND)


def share_prompt(visitors, world):
    page = visitors["anonymous"].open("share", token=world.locked_share["token"])
    expect(page.get_by_label("Password")).to_be_visible()
    return page


def share_unlocked(visitors, world):
    visitor = visitors["anonymous"]
    page = visitor.open("share", token=world.locked_share["token"])
    page.get_by_label("Password").fill(SHARE_PASSWORD)
    page.get_by_role("button", name="See the pictures").click()
    expect(page.get_by_role("img", name=TITLES[0])).to_be_visible()
    page.wait_for_load_state("networkidle")
    return page


def share_open(visitors, world):
    page = visitors["anonymous"].open("share", token=world.open_share["token"])
    expect(page.get_by_role("img", name=TITLES[0])).to_be_visible()
    return page


def gallery(visitors, world):
    page = visitors["owner"].open("home")
    expect(page.get_by_role("img", name=TITLES[-1])).to_be_visible()
    return page


def gallery_favourites(visitors, world):
    visitor = visitors["owner"]
    return visitor.open_url(visitor.site.url("home") + "?is_favorite=true")


def gallery_empty(visitors, world):
    return visitors["newcomer"].open("home")


def upload(visitors, world):
    return visitors["owner"].open("upload")


def upload_in_progress(visitors, world):
    visitor = visitors["owner"]
    page = visitor.open("upload")
    visitor.watch.expected_failures.add(visitor.site.url("image-list"))
    drop_files(
        page.get_by_text("or drop them here"),
        [
            ("boat.jpg", image_bytes(size=(320, 240)), "image/jpeg"),
            ("shopping-list.jpg", b"milk, eggs, bread", "image/jpeg"),
        ],
    )
    uploads = page.get_by_role("region", name="Uploads")
    expect(uploads.get_by_role("link", name="Uploaded")).to_be_visible()
    expect(uploads.get_by_role("alert")).to_be_visible()
    return page


def upload_duplicate(visitors, world):
    """A file the gallery already has: the uploader asks before sending it again."""
    page = visitors["owner"].open("upload")
    drop_files(
        page.get_by_text("or drop them here"),
        [("again.jpg", sample_photo(0, WORLD_EDGE), "image/jpeg")],
    )
    expect(page.get_by_role("button", name="Upload anyway")).to_be_visible()
    return page


def image(visitors, world):
    page = visitors["owner"].open("image", image_id=world.images[0]["id"])
    expect(page.get_by_role("heading", name=TITLES[0], level=1)).to_be_visible()
    return page


def image_in_album(visitors, world):
    """A picture opened from its album: steps and the way back are the album's; zoomed in."""
    if ON_S3_STACK:  # its preview rendered by the stack's worker
        renders_settle(timeout=RENDER_WAIT_SECONDS)
    visitor = visitors["owner"]
    page = visitor.open_url(
        visitor.site.url("image", image_id=world.images[1]["id"])
        + f"?album={world.album['id']}&via=album"
    )
    expect(page.get_by_role("link", name="← Album")).to_be_visible()
    page.get_by_role("img", name=TITLES[1], exact=True).click()
    expect(page.locator(".stage.zoomed")).to_be_visible()
    return page


def gallery_after_trashing(visitors, world):
    """Back in the gallery after moving a picture to the trash, with the toast's Undo."""
    page = visitors["owner"].open("image", image_id=world.images[2]["id"])
    page.get_by_role("button", name="Move to trash").click()
    expect(page.get_by_role("button", name="Undo")).to_be_visible()
    return page


def albums(visitors, world):
    return visitors["owner"].open("albums")


def album(visitors, world):
    return visitors["owner"].open("album", album_id=world.album["id"])


def trash(visitors, world):
    return visitors["owner"].open("trash")


def shares(visitors, world):
    return visitors["owner"].open("shares")


def account(visitors, world):
    return visitors["owner"].open("account")


def account_password_errors(visitors, world):
    visitor = visitors["owner"]
    page = visitor.open("account")
    page.get_by_label("Current password").fill("wrong")
    page.get_by_label("New password").fill("short")
    visitor.watch.expected_failures.add(visitor.site.url("account"))
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_label("Current password")).to_have_attribute("aria-invalid", "true")
    return page


def other_accounts_image(visitors, world):
    return visitors["newcomer"].open(
        "image", image_id=world.images[0]["id"], status=HTTPStatus.NOT_FOUND
    )


# --- locked folder (issue 20, part 6)
def locked_folder_prompt(visitors, world):
    page = visitors["owner"].open("locked-folder")
    expect(page.get_by_label("Your password")).to_be_visible()
    return page


def locked_folder(visitors, world):
    """The locked folder after the password, a picture moved into it from its page."""
    visitor = visitors["owner"]
    page = visitor.open("image", image_id=world.images[-1]["id"])
    page.get_by_role("button", name="Move to locked folder").click()
    expect(page.get_by_role("heading", name="Your gallery")).to_be_visible()
    page = visitor.open("locked-folder")
    page.get_by_label("Your password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Open the locked folder").click()
    expect(page.get_by_role("img", name=TITLES[-1])).to_be_visible()
    return page


# --- end locked folder


# --- shared albums (issue 20): a shared album's page, as a contributor who commented sees it


def shared_album(visitors, world):
    newcomer = visitors["newcomer"]
    owner_api, newcomer_api = (
        ApiAs(newcomer.site, person.user) for person in (visitors["owner"], newcomer)
    )
    album = {"album_id": world.album["id"]}
    invitation = owner_api.post(
        "album-member-list", kwargs=album, json={"user": "mallory", "role": "contributor"}
    )
    newcomer_api.post("invitation-accept", kwargs={"pk": invitation["id"]})
    newcomer_api.post("shared-album-comments", kwargs=album, json={"text": "Lovely light."})
    return newcomer.open("together", **album)


# --- end shared albums


# --- partner sharing (issue 20, item 4)
def partners(visitors, world):
    """The Partners page with a pending offer made on it (its row and settings form)."""
    page = visitors["owner"].open("partners")
    page.get_by_label("Their username or email").fill(visitors["newcomer"].user.username)
    page.get_by_role("button", name="Share my library").click()
    expect(page.get_by_text("waiting for them to accept")).to_be_visible()
    return page


# --- end partner sharing


# --- search (issue 22, item 2)
def search(visitors, world):
    """The box on the gallery, its suggestions as one types, and the results page."""
    page = visitors["owner"].open("home")
    box = page.get_by_role("combobox", name="Search")
    box.fill("harb")
    expect(page.locator("#search-list option[value='Harbours']")).to_have_count(1)
    box.press("Enter")
    expect(page.get_by_role("heading", name="Pictures for “harb”")).to_be_visible()
    expect(page.get_by_role("img", name=TITLES[0])).to_be_visible()
    return page


# --- end search


PAGES: dict[str, Opener] = {
    "login": login,
    "login-failed": login_failed,
    "signup": signup,
    "signup-errors": signup_errors,
    "not-found": not_found,
    "share-password": share_prompt,
    "share-unlocked": share_unlocked,
    "share": share_open,
    "gallery": gallery,
    "gallery-favourites": gallery_favourites,
    "gallery-empty": gallery_empty,
    "upload": upload,
    "upload-in-progress": upload_in_progress,
    "upload-duplicate": upload_duplicate,
    "image": image,
    "image-in-album": image_in_album,
    "gallery-after-trashing": gallery_after_trashing,
    "albums": albums,
    "album": album,
    "trash": trash,
    "shares": shares,
    "account": account,
    "account-password-errors": account_password_errors,
    "image-of-another-account": other_accounts_image,
    "locked-folder-prompt": locked_folder_prompt,  # locked folder (issue 20, part 6)
    "locked-folder": locked_folder,  # locked folder (issue 20, part 6)
    "shared-album": shared_album,  # shared albums (issue 20)
    "partners": partners,  # partner sharing (issue 20, item 4)
    "search": search,  # search (issue 22, item 2)
}


@pytest.fixture
def visitors(owner: Visitor, anonymous: Visitor, visitor, other_user) -> dict[str, Visitor]:
    return {"owner": owner, "anonymous": anonymous, "newcomer": visitor("newcomer", other_user)}


@pytest.mark.parametrize("name", PAGES)
def test_page_is_accessible_and_clean(name, visitors, world):
    """axe finds nothing serious; the visitors' contexts are checked for requests, console
    errors and CSP violations at teardown; the page is saved at both widths."""
    page = PAGES[name](visitors, world)
    page.wait_for_load_state("networkidle")
    axe(page)
    screenshot(page, name)
    # A small screen is a page too: axe again at a phone's width.
    page.set_viewport_size({"width": 375, "height": 740})
    axe(page)


def test_every_page_is_served_with_the_strict_policy(visitors, world):
    """The header that makes "no CSP violation" mean something: no inline script or style."""
    owner = visitors["owner"]
    for viewname, kwargs in [
        ("home", {}),
        ("upload", {}),
        ("image", {"image_id": world.images[0]["id"]}),
        ("albums", {}),
        ("album", {"album_id": world.album["id"]}),
        ("trash", {}),
        ("shares", {}),
        ("account", {}),
    ]:
        owner.open(viewname, **kwargs)
        assert_strict_policy(owner)
    anonymous = visitors["anonymous"]
    for viewname in ("login", "signup"):
        anonymous.open(viewname)
        assert_strict_policy(anonymous)
    anonymous.open("share", token=world.locked_share["token"])
    assert_strict_policy(anonymous)
    anonymous.open_url(anonymous.site.base_url + "/no-such-page/", status=HTTPStatus.NOT_FOUND)
    assert_strict_policy(anonymous)


def assert_strict_policy(visitor: Visitor) -> None:
    assert visitor.last_response is not None
    policy = visitor.last_response.headers.get("content-security-policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    where = visitor.last_response.url
    assert directives.get("script-src") == ["'self'"], (where, policy)
    assert directives.get("style-src") == ["'self'"], (where, policy)
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy, (where, policy)


def test_the_watch_sees_a_csp_violation(owner: Visitor, world):
    """The CSP listener is live: an inline script is refused, and the refusal is recorded."""
    page = owner.open("home")
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.ran = true";
          document.body.append(script);
        }"""
    )
    expect(page.locator("body")).to_be_visible()
    page.wait_for_function("() => true")
    assert page.evaluate("window.ran") is None
    assert [v["directive"] for v in owner.watch.csp_violations] == ["script-src-elem"]
    # Recorded as it should be; cleared so that the teardown's check passes.
    owner.watch.csp_violations.clear()
    owner.watch.console_errors.clear()


# --- the keyboard ---------------------------------------------------------------------------------

# Everything a person can act on, as Tab should reach it (one stop per radio group).
FOCUSABLE = """() => {
  const all = [...document.querySelectorAll(
    'a[href], button, input:not([type="hidden"]), select, textarea, summary, [tabindex]'
  )].filter((el) => !el.disabled && el.tabIndex >= 0 && el.checkVisibility());
  const seen = new Set();
  return all.map((el) => el.type === "radio" ? `radio:${el.name}` : describe(el))
    .filter((key) => !seen.has(key) && seen.add(key));
  function describe(el) {
    const label = el.getAttribute("aria-label") || el.labels?.[0]?.textContent
      || el.textContent || el.getAttribute("href") || el.name || el.id;
    return `${el.tagName.toLowerCase()}:${label.trim().replace(/\\s+/g, " ")}`;
  }
}"""
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  if (el.type === "radio") return `radio:${el.name}`;
  const label = el.getAttribute("aria-label") || el.labels?.[0]?.textContent
    || el.textContent || el.getAttribute("href") || el.name || el.id;
  return `${el.tagName.toLowerCase()}:${label.trim().replace(/\\s+/g, " ")}`;
}"""


@pytest.mark.parametrize("name", ["gallery", "upload", "image", "album", "shares", "account"])
def test_tab_reaches_every_control(name, visitors, world):
    page = PAGES[name](visitors, world)
    wanted = page.evaluate(FOCUSABLE)
    reached: list[str] = []
    for _ in range(len(wanted) * 2 + 10):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is not None and focused not in reached:
            reached.append(focused)
    missing = [control for control in wanted if control not in reached]
    assert not missing, f"Tab never reaches on {page.url}: {missing}"


def test_logged_out_visitor_logs_in_with_the_keyboard(anonymous: Visitor, user):
    page = anonymous.open("login")
    page.get_by_label("Username").focus()
    page.keyboard.type(user.username)
    page.keyboard.press("Tab")
    page.keyboard.type(DEFAULT_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your gallery")).to_be_visible()
