"""The unit tree and the management chain."""
import pytest

from alignboard.org.models import OrgError, Person, Unit


def test_subtree_follows_moves(app, org):
    with app.app_context():
        assert {u.code for u in Unit.get(Unit.code == "north").subtree()} == {"north", "team-a"}
        team_a = Unit.get(Unit.code == "team-a")
        team_a.parent = Unit.get(Unit.code == "south")
        team_a.save()
        assert {u.code for u in Unit.get(Unit.code == "south").subtree()} == \
            {"south", "team-a", "team-b"}
        assert {u.code for u in Unit.get(Unit.code == "north").subtree()} == {"north"}


def test_moving_a_unit_moves_its_descendants(app, org):
    with app.app_context():
        north = Unit.get(Unit.code == "north")
        north.parent = Unit.get(Unit.code == "south")
        north.save()
        team_a = Unit.get(Unit.code == "team-a")
        assert team_a.path.startswith(Unit.get(Unit.code == "south").path)


def test_unit_cannot_go_under_its_own_descendant(app, org):
    with app.app_context():
        company = Unit.get(Unit.code == "co")
        company.parent = Unit.get(Unit.code == "team-a")
        with pytest.raises(OrgError, match="descendant"):
            company.save()


def test_management_cycle_is_refused(app, org):
    with app.app_context():
        mia = Person.get(Person.login == "mia")
        mia.manager = Person.get(Person.login == "rob")
        with pytest.raises(OrgError, match="cycle"):
            mia.save()


def test_password_is_hashed_and_checked(app, org):
    with app.app_context():
        rob = Person.get(Person.login == "rob")
        assert "password123" not in rob.password_hash
        assert rob.check_password("password123") and not rob.check_password("wrong")
