"""The internal event bus."""
from alignboard import events


def test_published_event_is_stored_and_delivered(app):
    got = []
    with app.app_context():
        events.subscribe("thing.happened", got.append)
        try:
            e = events.publish("thing.happened", id=1, what="x")
        finally:
            events.unsubscribe("thing.happened", got.append)
        assert got == [e]
        assert [x.payload for x in events.since(0, ["thing.happened"])] == [{"id": 1,
                                                                            "what": "x"}]


def test_a_failing_subscriber_does_not_stop_the_others(app):
    got = []

    def broken(event):
        raise RuntimeError("listener bug")

    with app.app_context():
        events.subscribe("x", broken)
        events.subscribe("x", got.append)
        try:
            events.publish("x")
        finally:
            events.unsubscribe("x", broken)
            events.unsubscribe("x", got.append)
    assert len(got) == 1


def test_event_rolls_back_with_its_transaction(app):
    from alignboard.db import database
    with app.app_context():
        try:
            with database.atomic():
                events.publish("will.vanish")
                raise RuntimeError
        except RuntimeError:
            pass
        assert events.since(0, ["will.vanish"]) == []
