"""The "My objectives" card on the home page: the viewer's own objectives with a health
card per key result, and the parent objectives they serve."""
from ..metrics.admin import SWATCH
from . import tree
from .models import Objective


def card_context(person):
    own = list(Objective.select().where(Objective.owner == person)
               .order_by(Objective.period.desc(), Objective.id).limit(20))
    cards = []
    for o in own:
        c = tree.card(o)
        chain, parent = [], o.parent
        while parent is not None and len(chain) < 10:
            chain.append(parent.title)
            parent = parent.parent
        c["chain"] = chain
        cards.append(c)
    return {"objectives": cards, "swatch": SWATCH, "legends": tree.legends(cards)}


CARD = ("goals/card.html", card_context)
