"""JSON API v1 (/api/v1/): the same domain functions and access rules as the pages, for
communes' websites and the provincial board's tools.

Public reads need nothing and carry an ETag. Everything else needs a personal token
(Authorization: Bearer vit_…, created under /account/tokens) and acts as its owner: a cookie
session is never read here, so a page in a browser cannot be made to call the write API (no
CSRF), and a token can never do what its owner's role cannot. Errors are problem+json
(RFC 9457). The OpenAPI 3.1 document is built from these views by spectree.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from spectree import Response as Responses
from spectree import SecurityScheme, SecuritySchemeData, SpecTree
from werkzeug.exceptions import HTTPException
from werkzeug.http import is_resource_modified

from app import caches, clock
from app.domain import api_tokens, changes, policy
from app.domain.errors import DomainError, Invalid
from app.extensions import db, limiter
from app.models import Role, User
from app.web.access import EVERYONE
from app.web.api.schemas import Problem
from app.web.params import MAX_ID

bp = Blueprint("api", __name__, url_prefix="/api/v1")

VERSION = "1.0.0"
PROBLEM = "application/problem+json"
MAX_AGE = 60  # seconds a shared cache may keep a public answer before revalidating
STAFF = tuple(Role)
EDITORS = (Role.ADMIN, Role.COORDINATOR, Role.OFFICER)
COMMUNE_SIDE = (Role.ADMIN, Role.OFFICER)
MALL_SIDE = policy.MALL

TITLES = {
    400: _l("Solicitud no válida"),
    401: _l("Autenticación necesaria"),
    403: _l("Acceso denegado"),
    404: _l("No encontrado"),
    405: _l("Método no permitido"),
    409: _l("Conflicto"),
    413: _l("Envío demasiado grande"),
    415: _l("Formato no admitido"),
    422: _l("Datos no válidos"),
    429: _l("Demasiados intentos"),
    500: _l("Error interno"),
    503: _l("Servicio no disponible"),
}


class ApiProblem(Exception):
    def __init__(self, status: int, detail: str, *, errors: list[dict] | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors


def problem(status: int, detail: str, *, errors: list[dict] | None = None) -> Response:
    """An RFC 9457 problem document. Written without ASCII escapes: the messages are Spanish."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": str(TITLES.get(status, _("Error"))),
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="vitrina"'
    return response


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _validation_failed(req, _resp, error, _instance, model_adapter) -> None:
    """spectree's hook after reading the input: a refusal is a 422 problem, field by field."""
    if req.method in ("POST", "PATCH") and req.mimetype in FORM_TYPES:
        # spectree reads no JSON from a form: refuse it rather than act on nothing.
        raise ApiProblem(415, _("Envíe el cuerpo como JSON (Content-Type: application/json)."))
    if req.method in ("POST", "PATCH") and req.get_data(cache=True):
        # spectree reads a body that is not JSON, or not an object, as {}: refuse it instead.
        body = req.get_json(silent=True)
        if body is None:
            raise ApiProblem(400, _("El cuerpo de la solicitud no es JSON válido."))
        if not isinstance(body, dict):
            raise ApiProblem(422, _("El cuerpo debe ser un objeto JSON ({…})."))
    if error is None:
        return
    errors = []
    for item in model_adapter.validation_errors(error):
        location = [str(part) for part in item.get("loc", ()) if part not in ("body", "query")]
        errors.append({"field": ".".join(location) or "body", "message": item.get("msg", "")})
    fields = ", ".join(sorted({e["field"] for e in errors}))
    raise ApiProblem(422, _("Revise estos campos: %(fields)s.", fields=fields), errors=errors)


spec = SpecTree(
    "flask",
    mode="strict",  # only the API's own views, never the pages
    title="Vitrina API",
    version=VERSION,
    description=(
        "Semanas de emprendedores de la provincia de Melipilla en Mall Espacio Urbano. "
        "Las lecturas públicas no necesitan token; el resto usa un token personal "
        "(Authorization: Bearer …) creado en /account/tokens. Los errores son "
        "application/problem+json (RFC 9457)."
    ),
    path="api/v1/_spectree",  # its own routes are never registered: ours serve the document
    page_templates={},
    annotations=True,
    before=_validation_failed,
    validation_error_status=422,
    validation_error_model=Problem,
    # Plain schema names in the document ("Problem", not "Problem.c449b8b"): all are unique.
    naming_strategy=lambda model: model.__name__,
    nested_naming_strategy=lambda _parent, child: child,
    security_schemes=[
        SecurityScheme(
            name="bearer",
            data=SecuritySchemeData(
                type="http", scheme="bearer", description="Token personal vit_… (Mi cuenta)"
            ),
        )
    ],
)

# What any call may get besides its answer.
_COMMON = {
    "HTTP_400": Problem,
    "HTTP_404": Problem,
    "HTTP_405": Problem,  # Werkzeug's answer to an id no route can hold, for some methods
    "HTTP_422": Problem,
    "HTTP_429": Problem,
}
_SIGNED_IN = {**_COMMON, "HTTP_401": Problem, "HTTP_403": Problem, "HTTP_415": Problem}


def public_responses(**answers) -> Responses:
    return Responses("HTTP_304", **_COMMON, **answers)


def signed_in_responses(*, conflict: bool = False, **answers) -> Responses:
    extra = {"HTTP_409": Problem} if conflict else {}
    return Responses(**_SIGNED_IN, **extra, **answers)


# --- authentication -------------------------------------------------------------------------


_USER_KEY = "vitrina.api_user"


def _failure_limit() -> str:
    return current_app.config["API_TOKEN_FAILURE_LIMIT"]


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    return secret.strip()


def token_user() -> User:
    """The owner of the request's token, or a 401 problem."""
    user = request.environ.get(_USER_KEY)
    if user is not None:
        return user
    secret = _bearer()
    if secret is None:
        raise ApiProblem(
            401,
            _(
                "Esta operación necesita un token personal: envíelo como "
                "«Authorization: Bearer …». Se crea en Mi cuenta → Tokens de la API."
            ),
        )
    row = api_tokens.find_live(secret)
    if row is None:
        raise ApiProblem(401, _("El token no es válido, fue revocado o su cuenta está inactiva."))
    if row.user.must_change_password:
        raise ApiProblem(403, _("Cambie su contraseña temporal antes de usar la API."))
    api_tokens.mark_used(row)
    request.environ[_USER_KEY] = row.user  # the request's own, never shared like `g` can be
    return row.user


def signed_in(*allowed: Role) -> Callable[[Callable], Callable]:
    """Views for token holders whose role is listed: 401 without a valid token, 403 for other
    roles. The domain functions check the rest (an officer's own commune, the week's state)."""
    names = frozenset(r.value for r in allowed)

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any):
            user = token_user()
            if user.role.value not in names:
                raise ApiProblem(403, _("Su rol no permite esta operación."))
            return view(*args, **kwargs)

        # Failed token checks count against the caller's address; calls without a token
        # (public reads have none) and good tokens do not.
        limited = limiter.shared_limit(
            _failure_limit,
            scope="api-token-failures",
            deduct_when=lambda response: response.status_code == 401,
            exempt_when=lambda: _bearer() is None,
        )(wrapped)
        limited.access = names  # type: ignore[attr-defined]
        return limited

    return decorator


def public(view: Callable) -> Callable:
    view.access = EVERYONE  # type: ignore[attr-defined]
    return view


def actor() -> User:
    return request.environ[_USER_KEY]


# --- public reads: ETag and 304 -------------------------------------------------------------


def etag_for(key: tuple) -> str:
    """From the data version (moved by any change a public answer could show), the venue's
    date (which week is "now") and the request itself."""
    version = changes.seen(db.session, read=caches.recent_data_version)
    material = json.dumps(
        [VERSION, key, request.full_path, clock.today().isoformat(), version], default=str
    )
    return '"' + hashlib.sha256(material.encode()).hexdigest()[:32] + '"'


def cached_read(key: tuple, build: Callable[[], Any]):
    """A public answer with its ETag: 304 (without building) when the client's copy holds."""
    etag = etag_for(key)
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={MAX_AGE}"}
    if not is_resource_modified(request.environ, etag=etag.strip('"')):
        return Response(status=304, headers=headers)
    return build(), 200, headers


# --- errors ---------------------------------------------------------------------------------


def status_of(exc: DomainError) -> int:
    # Bad input is 422 here (the pages answer 400 with the form again).
    return 422 if isinstance(exc, Invalid) else exc.status


@bp.errorhandler(ApiProblem)
def _api_problem(exc: ApiProblem):
    db.session.rollback()
    return problem(exc.status, exc.detail, errors=exc.errors)


@bp.errorhandler(DomainError)
def _domain_error(exc: DomainError):
    db.session.rollback()
    errors = getattr(exc, "errors", None)
    listed = [{"field": k, "message": v} for k, v in errors.items()] if errors else None
    if listed is None and exc.field:
        listed = [{"field": exc.field, "message": exc.message}]
    return problem(status_of(exc), exc.message, errors=listed)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    # Whatever Werkzeug refuses (413, 415, a 429 from the limiter), as a problem too.
    db.session.rollback()
    status = exc.code or 500
    if status == 429:
        detail = _("Demasiados intentos. Espere un momento y vuelva a intentarlo.")
    else:
        detail = exc.description or str(TITLES.get(status, ""))
    response = problem(status, str(detail))
    if status == 405 and getattr(exc, "valid_methods", None):
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


def openapi_document() -> dict:
    """spectree's document, with error answers declared as problem+json."""
    document = json.loads(json.dumps(spec.spec))
    for operations in document["paths"].values():
        for operation in operations.values():
            for status, answer in operation.get("responses", {}).items():
                content = answer.get("content")
                if status.isdigit() and int(status) >= 400 and content:
                    answer["content"] = {PROBLEM: content.pop("application/json")}
    for path_item in document["paths"].values():
        for operation in path_item.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["schema"].get("type") == "integer":
                    # Ids are INTEGER columns (app/web/params.py): larger ones match no route.
                    parameter["schema"].update(minimum=1, maximum=MAX_ID)
    document["servers"] = [{"url": "/"}]
    return document


from app.web.api import public_views, staff_views  # noqa: E402, F401 - they add the routes
