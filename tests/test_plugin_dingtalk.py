"""The dingtalk connector against a loopback server answering DingTalk's documented shapes:
gettoken, attendance/list paging (hasMore), expired token 42001/40014, rate limit 90018."""
from datetime import date

import alignboard_dingtalk
from alignboard.connectors import service, sync
from alignboard.connectors.models import Connection
from alignboard.org.models import Person
from alignboard.records.models import Record


def punch(i, user="ding-rob", check="OnDuty"):
    return {"id": 1000 + i, "userId": user, "checkType": check, "timeResult": "Normal",
            "locationResult": "Normal", "userCheckTime": 1488326400000 + i * 60000,
            "baseCheckTime": 1488326400000, "workDate": 1488297600000, "groupId": 1,
            "planId": 2, "recordId": 3000 + i, "sourceType": "USER"}


def make(app, source, **settings):
    values = {"base_url": source.url, "app_key": "key", "app_secret": "secret",
              "user_ids": ["ding-rob", "ding-rae"], "start_date": "2017-03-01"}
    values.update(settings)
    with app.app_context():
        c = service.create("ding", "dingtalk", values,
                           alignboard_dingtalk.DingTalkConnector.suggested_mapping)
        Person.update(external_id="ding-rob").where(Person.login == "rob").execute()
        return c.id


def token_route(source, tokens):
    def gettoken(req):
        if req.query.get("appsecret") != "secret":
            return 200, {"errcode": 40089, "errmsg": "不合法的corpid或corpsecret"}
        tokens.append(f"t{len(tokens) + 1}")
        return 200, {"errcode": 0, "errmsg": "ok", "access_token": tokens[-1],
                     "expires_in": 7200}
    source.route("GET", "/gettoken", gettoken)


def run(app, cid, today=date(2017, 3, 3)):
    alignboard_dingtalk.DingTalkConnector.today = today
    try:
        with app.app_context():
            return sync.run(Connection.get_by_id(cid))
    finally:
        alignboard_dingtalk.DingTalkConnector.today = None


def test_pages_attendance_with_hasmore_and_matches_owner_by_external_id(
        app, org, shipped, source):
    token_route(source, [])
    bodies = []

    def attendance(req):
        import json
        body = json.loads(req.body)
        bodies.append(body)
        assert req.query["access_token"] == "t1"
        if body["offset"] == 0:
            return 200, {"errcode": 0, "errmsg": "ok", "hasMore": True,
                         "recordresult": [punch(i) for i in range(50)]}
        return 200, {"errcode": 0, "errmsg": "ok", "hasMore": False,
                     "recordresult": [punch(50, check="OffDuty")]}
    source.route("POST", "/attendance/list", attendance)
    result = run(app, make(app, source))
    assert (result.status, result.created) == ("succeeded", 51), result.message
    assert bodies[0]["workDateFrom"] == "2017-03-01 00:00:00"
    assert bodies[0]["workDateTo"] == "2017-03-03 23:59:59"
    assert bodies[0]["userIdList"] == ["ding-rob", "ding-rae"]
    assert [b["offset"] for b in bodies] == [0, 50]
    with app.app_context():
        rec = Record.get(Record.external_id == "1000")
        assert rec.owner_id == org.rob.id and rec.type == "attendance"
        assert rec.occurred_at.isoformat() == "2017-03-01T00:00:00"
        assert rec.fields["checked_at"] == "2017-03-01T00:00:00"
        # Late punches: the next run starts two days back.
        assert Connection.get_by_id(rec.connection_id).cursor["from"] == "2017-03-01"


def test_expired_token_42001_and_invalid_40014_fetch_a_new_token(app, org, shipped, source):
    tokens = []
    token_route(source, tokens)
    answers = [{"errcode": 42001, "errmsg": "access_token is expired"},
               {"errcode": 0, "errmsg": "ok", "hasMore": False, "recordresult": [punch(1)]}]
    source.route("POST", "/attendance/list", lambda req: (200, answers.pop(0)))
    result = run(app, make(app, source))
    assert (result.status, result.created, tokens) == ("succeeded", 1, ["t1", "t2"])


def test_rate_limit_errcode_is_retried_with_backoff(app, org, shipped, source):
    token_route(source, [])
    answers = [{"errcode": 90018, "errmsg": "当前企业调用该接口超过限流阈值"},
               {"errcode": 0, "errmsg": "ok", "hasMore": False, "recordresult": [punch(1)]}]
    source.route("POST", "/attendance/list", lambda req: (200, answers.pop(0)))
    result = run(app, make(app, source))
    assert (result.status, result.created) == ("succeeded", 1)


def test_rate_limit_that_persists_fails_the_run_with_the_errmsg(app, org, shipped, source):
    token_route(source, [])
    source.route("POST", "/attendance/list", lambda req: (
        200, {"errcode": 90018, "errmsg": "调用超过限流阈值"}))
    result = run(app, make(app, source, rate_limit_retries=1))
    assert result.status == "failed"
    assert "errcode 90018: 调用超过限流阈值 (rate limit: retried, still refused)" in result.message


def test_wrong_app_secret_fails_with_dingtalk_errcode(app, org, shipped, source):
    token_route(source, [])
    result = run(app, make(app, source, app_secret="wrong"))
    assert result.status == "failed"
    assert "DingTalk refused the AppKey/AppSecret (errcode 40089" in result.message


def test_windows_of_seven_days_move_the_cursor_forward(app, org, shipped, source):
    token_route(source, [])
    windows = []

    def attendance(req):
        import json
        body = json.loads(req.body)
        windows.append((body["workDateFrom"][:10], body["workDateTo"][:10]))
        return 200, {"errcode": 0, "errmsg": "ok", "hasMore": False, "recordresult": []}
    source.route("POST", "/attendance/list", attendance)
    run(app, make(app, source), today=date(2017, 3, 20))
    assert windows == [("2017-03-01", "2017-03-07"), ("2017-03-08", "2017-03-14"),
                       ("2017-03-15", "2017-03-20")]


def test_timeout_is_retried_then_reported(app, org, shipped, source):
    import time
    token_route(source, [])
    app.config["CONNECTOR_HTTP_TIMEOUT"] = 0.2

    def slow(req):
        time.sleep(0.5)
        return 200, {"errcode": 0, "hasMore": False, "recordresult": []}
    source.route("POST", "/attendance/list", slow)
    result = run(app, make(app, source))
    assert result.status == "failed" and "timed out after 0.2 s (3 attempt(s))" in result.message
