"""Request bodies have a size limit: 1 MB for forms, 10 MB for the CSV import's upload."""

from __future__ import annotations

import io

import pytest

from tests.conftest import csrf_token, login
from tests.factories import make_world

MB = 1024 * 1024


class Untouchable(io.RawIOBase):
    """A request body of `size` bytes that must be refused before anybody reads it. (The test
    client measures a body by seeking to its end; it has no bytes to read.)"""

    def __init__(self, size: int) -> None:
        self.size = size
        self.position = 0
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        self.position = {0: 0, 1: self.position, 2: self.size}[whence] + offset
        return self.position

    def tell(self) -> int:
        return self.position

    def readinto(self, buffer) -> int:
        self.read_bytes += len(buffer)
        raise AssertionError("the body was read")


@pytest.fixture
def world(db):
    return make_world()


def test_a_huge_anonymous_post_is_refused_before_it_is_read(client, world):
    body = Untouchable(400 * MB)
    response = client.post(
        "/login",
        input_stream=body,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "Envío demasiado grande" in page and "el máximo es 1 MB" in page
    assert body.read_bytes == 0


def test_a_form_over_one_megabyte_is_refused(client, world):
    login(client, "coordinador@example.com")
    response = client.post(
        "/registry/new",
        data={"csrf_token": csrf_token(client), "business_name": "x" * (MB + 1)},
    )
    assert response.status_code == 413
    response = client.post(
        "/registry/new",
        data={"csrf_token": csrf_token(client), "business_name": "x" * 1000},
    )
    assert response.status_code == 400  # an ordinary form error: the rest is missing


def _upload(client, size: int):
    content = b"RUT;Nombre del negocio;Titular;Categoria\n" + b"a" * size
    return client.post(
        "/registry/import",
        data={"file": (io.BytesIO(content), "grande.csv"), "csrf_token": csrf_token(client)},
        content_type="multipart/form-data",
    )


def test_the_csv_upload_takes_files_up_to_its_own_limit(client, world):
    login(client, "melipilla@example.com")
    # Above the forms' 1 MB, below the upload's 10 MB: the import's own rule answers.
    response = _upload(client, 6 * MB)
    assert response.status_code == 400
    assert "El archivo pesa más de 5 MB" in response.get_data(as_text=True)
    response = _upload(client, 11 * MB)
    assert response.status_code == 413
    assert "El archivo pesa más de 5 MB" in response.get_data(as_text=True)


def test_a_huge_upload_is_refused_before_it_is_read(client, world):
    login(client, "melipilla@example.com")
    body = Untouchable(400 * MB)
    response = client.post(
        "/registry/import",
        input_stream=body,
        content_type="multipart/form-data; boundary=x",
    )
    assert response.status_code == 413
    assert body.read_bytes == 0


def test_the_limit_message_is_translated(client, world):
    client.set_cookie("vitrina_lang", "en")
    response = client.post(
        "/login",
        input_stream=Untouchable(2 * MB),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "Request too large" in page and "at most 1 MB" in page
