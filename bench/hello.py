"""The baseline of `make bench`: a bare Flask app, served by the same gunicorn with the same
settings as Vitrina. What it costs is what Flask and gunicorn cost; each endpoint of the app is
reported as a ratio to it."""

from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello() -> str:
    return "Hello, World!"
