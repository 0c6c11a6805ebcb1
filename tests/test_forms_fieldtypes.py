"""Field types are plugins: a third-party plugin adds one through register_field_types."""
from marshmallow import fields, validate

from alignboard import plugins
from alignboard.forms import fieldtypes
from alignboard.hookspecs import hookimpl


class PhoneNumber(fieldtypes.FieldType):
    key, label_en, label_zh = "cn_mobile", "Mobile number", "手机号"

    def marshmallow_field(self, field, ctx):
        return fields.String(allow_none=True, validate=validate.Regexp(r"^1\d{10}$"))


class PhonePlugin:
    @hookimpl
    def register_field_types(self):
        return [PhoneNumber]


def test_every_builtin_type_is_registered(app):
    with app.app_context():
        keys = set(fieldtypes.registry())
    assert keys >= {"text", "long_text", "number", "money", "percent", "date", "datetime",
                    "duration", "choice", "multi_choice", "yes_no", "rating", "person",
                    "customer", "location", "file", "section"}


def test_a_plugin_adds_a_field_type_usable_in_forms(app, client, org, auth):
    plugins.current_for(app).pm.register(PhonePlugin(), name="phone")
    definition = {"key": "contact", "title": "Contact",
                  "fields": [{"key": "mobile", "type": "cn_mobile", "label": "Mobile"}]}
    assert client.post("/api/v1/forms/", json=definition,
                       headers=auth(org.hr)).status_code == 201
    bad = client.post("/api/v1/forms/contact/submissions/",
                      json={"data": {"mobile": "12345"}}, headers=auth(org.rob))
    assert bad.status_code == 422 and "mobile" in bad.get_json()["errors"]
    good = client.post("/api/v1/forms/contact/submissions/",
                       json={"data": {"mobile": "13800138000"}}, headers=auth(org.rob))
    assert good.status_code == 201


def test_a_broken_plugin_type_does_not_break_the_others(app):
    class Broken:
        @hookimpl
        def register_field_types(self):
            raise RuntimeError("boom")

    plugins.current_for(app).pm.register(Broken(), name="broken")
    with app.app_context():
        assert "text" in fieldtypes.registry()
    assert plugins.current_for(app).info["broken"].status == "failed"


def test_a_plugin_type_that_fails_refuses_answers_with_a_message(app, client, org, auth):
    class Flaky(fieldtypes.FieldType):
        key = "flaky"

        def marshmallow_field(self, field, ctx):
            raise RuntimeError("misconfigured")

    class FlakyPlugin:
        @hookimpl
        def register_field_types(self):
            return [Flaky]

    plugins.current_for(app).pm.register(FlakyPlugin(), name="flaky")
    definition = {"key": "f", "title": "F",
                  "fields": [{"key": "x", "type": "flaky", "label": "X"},
                             {"key": "y", "type": "text", "label": "Y"}]}
    assert client.post("/api/v1/forms/", json=definition,
                       headers=auth(org.hr)).status_code == 201
    r = client.post("/api/v1/forms/f/submissions/", json={"data": {"x": "1", "y": "ok"}},
                    headers=auth(org.rob))
    assert r.status_code == 422
    assert "not working" in r.get_json()["errors"]["x"][0]
