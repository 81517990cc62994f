"""Security headers on every page, and a production configuration that refuses weak secrets."""

import pytest

from app import create_app
from app.config import ProductionConfig


def test_pages_carry_security_headers(client, db):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_pages_load_nothing_from_other_sites(client, db):
    html = client.get("/login").get_data(as_text=True)
    assert "http://" not in html.replace("http://www.w3.org", "")
    assert "https://" not in html
    assert "/static/vendor/htmx-4.0.1.min.js" in html


def test_production_refuses_the_default_secret_key(monkeypatch, tmp_path):
    class Prod(ProductionConfig):
        SECRET_KEY = "dev-only-not-secret"
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'p.db'}"

    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(Prod)


def test_production_with_a_real_secret_uses_secure_cookies(tmp_path):
    class Prod(ProductionConfig):
        SECRET_KEY = "a-real-secret-from-the-environment"
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'p.db'}"

    app = create_app(Prod)
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


def test_unknown_page_is_a_spanish_404(client, db):
    response = client.get("/no-existe")
    assert response.status_code == 404
    assert "La página que busca no existe." in response.get_data(as_text=True)
