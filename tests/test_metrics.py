"""/metrics: Prometheus text for the scraper's address only, with Atelier's own counters."""

from http import HTTPStatus

import pytest
from django.urls import reverse
from prometheus_client.parser import text_string_to_metric_families

from tests.factories import image_bytes, upload_request


def scrape(client, **extra) -> dict[tuple[str, tuple], float]:
    response = client.get(reverse("metrics"), **extra)
    assert response.status_code == HTTPStatus.OK, response.content[:200]
    assert response["Content-Type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def upload(client, data: bytes):
    return upload_request(client, data, name="a.png", style="blur")


@pytest.mark.django_db
class TestMetrics:
    def test_uploads_and_renders_are_counted_by_outcome(self, auth_client, api_client):
        before = scrape(api_client)
        accepted = ("atelier_uploads_total", (("outcome", "accepted"),))
        refused = ("atelier_uploads_total", (("outcome", "unsupported_format"),))
        rendered = (
            "atelier_render_seconds_count",
            (("outcome", "ready"), ("style", "blur")),
        )

        assert upload(auth_client, image_bytes("PNG")).status_code == HTTPStatus.CREATED
        assert upload(auth_client, b"not an image at all").status_code == (HTTPStatus.BAD_REQUEST)

        after = scrape(api_client)
        for key in (accepted, refused, rendered):
            assert after[key] == before.get(key, 0) + 1, key
        assert ("atelier_images_pending", ()) in after
        assert any(name.startswith("django_http_requests") for name, _ in after)

    def test_other_addresses_get_a_404(self, api_client):
        response = api_client.get(reverse("metrics"), REMOTE_ADDR="203.0.113.9")
        assert response.status_code == HTTPStatus.NOT_FOUND
        assert response.json()["code"] == "not_found"

    def test_the_scraper_can_be_allowed_by_address(self, api_client, settings):
        settings.ATELIER_METRICS_ALLOWED_IPS = ["10.1.2.3"]
        assert api_client.get(reverse("metrics")).status_code == HTTPStatus.NOT_FOUND
        scrape(api_client, REMOTE_ADDR="10.1.2.3")
