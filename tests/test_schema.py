"""The OpenAPI schema is a contract: schema.yml must be exactly what the code generates."""

import difflib
from http import HTTPStatus
from pathlib import Path

import yaml
from django.core.management import call_command
from django.urls import reverse

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.yml"


def test_schema_yml_is_current(tmp_path):
    generated = tmp_path / "schema.yml"
    call_command("spectacular", "--file", str(generated), "--validate", "--fail-on-warn")
    expected, actual = SCHEMA_FILE.read_text(), generated.read_text()
    diff = "".join(
        difflib.unified_diff(
            expected.splitlines(True), actual.splitlines(True), "schema.yml", "generated"
        )
    )
    assert not diff, f"schema.yml is out of date; run `make schema`.\n{diff[:5000]}"


def test_served_schema_is_the_committed_one(api_client, db):
    response = api_client.get(reverse("schema"), HTTP_ACCEPT="application/vnd.oai.openapi")
    assert response.status_code == HTTPStatus.OK
    assert yaml.safe_load(response.content) == yaml.safe_load(SCHEMA_FILE.read_text())


def test_schema_documents_bearer_auth_and_multipart_upload():
    schema = yaml.safe_load(SCHEMA_FILE.read_text())
    assert schema["components"]["securitySchemes"]["jwtAuth"]["scheme"] == "bearer"
    upload = schema["paths"]["/api/v1/images/"]["post"]
    body = upload["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"]
    file_field = schema["components"]["schemas"][body.rsplit("/", 1)[1]]["properties"]["file"]
    assert file_field["format"] == "binary"
    thumbnail = schema["paths"]["/api/v1/images/{id}/thumbnail/"]["get"]["responses"]["200"]
    assert thumbnail["content"]["image/jpeg"]["schema"]["format"] == "binary"
