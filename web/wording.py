"""What the pages say to a person when something is refused or done: the web's wording, here.

The API's messages are written for programs ("POST it to the link's unlock/ endpoint", a
field's list of errors); a page speaks to whoever is in front of it. Each refusal a page can
meet is named by a code (the service's own error code where there is one) and worded once,
so the owner's pages and a share's pages say the same thing the same way.
"""

from core.errors import ApplicationError

# A list the page asked for with a filter or an order the list refuses (the API's 400).
LIST_REFUSED = "list_refused"
# A share's "more pictures" cursor named a picture that has left the link since.
SHARE_PICTURES_CHANGED = "share_pictures_changed"

# By code: the web's own, then the services' codes (``ApplicationError.code``) the pages word
# for a person rather than a program.
MESSAGES = {
    LIST_REFUSED: "The request could not be answered.",
    SHARE_PICTURES_CHANGED: "The pictures of this link changed; here they are from the start.",
    "share_password_invalid": "That is not the password of this link.",
    "password_incorrect": "The password is not correct.",
}

# What a page says once a form has done its work (a message on the page it leads to).
NOTICES = {
    "welcome": "Welcome to Atelier. Upload your first photos.",
    "password_changed": "Password changed. Other sessions are logged out; share links keep "
    "working.",
    "account_deleted": "Your account and every picture in it were deleted.",
    # The locked folder (issue 20, part 6).
    "unlocked": "Moved out of the locked folder, back into your gallery.",
    "locked_folder_closed": "The locked folder is locked again.",
}


def message(code: str) -> str:
    """The page's words for the refusal ``code``."""
    return MESSAGES[code]


def notice(name: str) -> str:
    """The page's words for a form's success ``name``."""
    return NOTICES[name]


def error_message(exc: ApplicationError) -> str:
    """The page's words for a service's refusal: its own where the web words its code, else
    the service's message (written for people already: "That username is taken.")."""
    return MESSAGES.get(exc.code, exc.message)


def _minutes(wait_seconds: float) -> int:
    return max(1, round(wait_seconds / 60))


def passwords_locked(wait_seconds: float) -> str:
    """Too many wrong passwords (an account's or a link's): when to try again."""
    return f"Too many wrong passwords. Try again in about {_minutes(wait_seconds)} min."


def signups_limited(wait_seconds: float | None) -> str:
    """Too many new accounts from one address: when to try again."""
    minutes = _minutes(wait_seconds or 60)
    return f"Too many new accounts from this address. Try again in about {minutes} min."
