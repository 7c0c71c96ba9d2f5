"""The web uploader's resumable path, in Chromium: a large file goes up with tus, in parts,
and a part whose connection drops is sent again from the offset the server holds."""

from http import HTTPStatus

import pytest
from django.urls import reverse
from playwright.sync_api import Route, expect

from images.models import Image
from resumable.models import ResumableUpload
from tests.factories import image_bytes

pytestmark = pytest.mark.browser


def test_a_large_file_goes_up_in_parts_and_resumes_after_a_dropped_connection(owner):
    data = image_bytes(size=(400, 300), noisy=True)
    page = owner.open("upload")
    # What counts as large, and the part size, made small so a small picture takes this path.
    page.evaluate(
        """() => Object.assign(document.querySelector("form[data-upload]").dataset, {
             resumableOver: "1000", resumableChunk: "8000" })"""
    )
    patches: list[str] = []

    def drop_the_second_patch(route: Route) -> None:
        if route.request.method == "PATCH":
            patches.append(route.request.headers.get("upload-offset", ""))
            if len(patches) == 2:
                owner.watch.expected_failures.add(route.request.url)
                route.abort("connectionreset")
                return
        route.continue_()

    page.route("**/api/v1/uploads/**", drop_the_second_patch)
    page.locator('input[type="file"]').set_input_files(
        files=[{"name": "big.jpg", "mimeType": "image/jpeg", "buffer": data}]
    )
    row = page.get_by_role("region", name="Uploads").get_by_role("listitem")
    expect(row.get_by_role("link", name="Uploaded")).to_be_visible(timeout=30_000)
    # The dropped part was sent again from the same offset: the server held none of it.
    assert patches[1] == patches[2] == "8000"
    assert len(patches) == -(-len(data) // 8000) + 1
    image = Image.objects.get()
    assert (image.size, image.original_filename) == (len(data), "big.jpg")
    assert ResumableUpload.objects.get().state == ResumableUpload.State.COMPLETED
    response = owner.context.request.get(
        owner.site.base_url + reverse("image-original", kwargs={"pk": image.pk})
    )
    assert response.status == HTTPStatus.OK
    assert response.body() == data
