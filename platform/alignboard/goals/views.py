"""The portal page /goals: the cascade from the company down, as far as the viewer may see.

Everyone signed in has it, not only HR in the admin: a rep sees the objectives above their
own that they serve and their own, a manager their team's as well (``tree.build`` decides).
"""
from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from ..metrics.admin import SWATCH
from ..org.models import Period
from . import tree
from .models import Objective

bp = Blueprint("goals_page", __name__)


@bp.route("/goals")
@login_required
def cascade():
    period_id = request.args.get("period_id", type=int)
    periods = list(Period.select().where(Period.id.in_(
        Objective.select(Objective.period))).order_by(Period.start))
    roots = tree.build(current_user._get_current_object(), period_id)
    return render_template("goals/tree_page.html", roots=roots, periods=periods,
                           period_id=period_id, swatch=SWATCH, legends=tree.legends(roots))
