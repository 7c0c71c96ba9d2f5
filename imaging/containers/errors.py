"""What a container walk raises: the bytes cannot be walked, or hold too many pieces."""


class ContainerError(ValueError):
    """The bytes cannot be walked as their container: malformed, or cut short."""


class ContainerTooComplex(ContainerError):
    """The container holds more pieces than any real encoder writes (each format's limits,
    and why, are in its module).

    ``code`` is ``too_many_scans`` (a JPEG's scans) or ``too_many_blocks`` (segments,
    chunks or blocks); ``message`` says which, and the limit, for a person.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def too_many(code: str, what: str, limit: int) -> ContainerTooComplex:
    """The error for a walk past ``limit`` of ``what`` (``"PNG chunks"``)."""
    return ContainerTooComplex(
        code, f"The file has more than {limit:,} {what}; no image needs so many."
    )
