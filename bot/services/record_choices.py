"""The words of the choices and checklists of the case and family records (shared by the forms that ask them and
the cards that show them): each a (stored key, English msgid) pair; the key is what the database keeps."""

from __future__ import annotations

from bot.growth.case_rules import CloseReason
from bot.i18n import N_

CATIN, PREGNANT, POSTPARTUM = "catin", "pregnant", "postpartum"

YES_NO = (("yes", N_("Yes")), ("no", N_("No")))
VISIT_CHECKS = (
    ("met", N_("Met the child and the parent")), ("kia", N_("Buku KIA seen")),
    ("feeding", N_("Feeding counselled (animal protein every day)")),
    ("explained", N_("Explained why the puskesmas is needed")), ("pmt", N_("PMT received and eaten")),
)
HOME_CHECKS = {
    PREGNANT: (("ttd", N_("Takes iron tablets (TTD) every day")), ("kia", N_("Buku KIA seen")),
                   ("food", N_("Eats an extra portion")), ("danger", N_("Danger signs explained")),
                   ("anc", N_("Knows her next ANC date"))),
    POSTPARTUM: (("breastfeeding", N_("Exclusive breastfeeding")), ("kb", N_("Family planning discussed")),
                     ("danger", N_("Danger signs explained")), ("baby", N_("Baby checked (KN)")),
                     ("vita", N_("Vitamin A capsule for the mother"))),
    "other": (("checkup", N_("MUAC/Hb check planned")), ("ttd", N_("Takes iron tablets (TTD) weekly")),
              ("food", N_("Balanced food counselled")), ("elsimil", N_("Elsimil filled in")),
              ("plan", N_("Pregnancy planning discussed"))),
}
POSTNATAL_CHECKS = (
    ("mother", N_("Mother checked (blood pressure, bleeding)")), ("breastfeeding", N_("Breastfeeding going well")),
    ("baby", N_("Baby checked (KN)")), ("danger", N_("Danger signs explained")),
    ("vita", N_("Vitamin A capsule for the mother")),
)
FAMILY_PLANNING = (
    ("none", N_("Not yet")), ("pill", N_("Pill")), ("injection", N_("Injection")), ("implant", N_("Implant")),
    ("iud", N_("IUD")), ("condom", N_("Condom")), ("sterilisation", N_("Sterilisation")),
    ("mal", N_("Lactational amenorrhoea (MAL)")),
)
REFERRAL_PLACES = (("puskesmas", N_("Puskesmas")), ("pustu", N_("Pustu / village midwife")),
                   ("hospital", N_("Hospital")))
GROUPS = ((CATIN, N_("Bride-to-be (catin)")), (PREGNANT, N_("Pregnant")),
          (POSTPARTUM, N_("Mother after birth")))
CLOSE_CHOICES = ((CloseReason.MOVED.value, N_("Moved away")), (CloseReason.DIED.value, N_("Died")),
                 (CloseReason.LOST.value, N_("Lost to follow-up")))

ALL_CHECKS: dict[str, str] = {key: label for items in (VISIT_CHECKS, POSTNATAL_CHECKS, *HOME_CHECKS.values())
                              for key, label in items}
WORDS: dict[str, str] = {key: label for key, label in (*FAMILY_PLANNING, *REFERRAL_PLACES, *CLOSE_CHOICES)}
GROUP_LABELS: dict[str, str] = dict(GROUPS)
