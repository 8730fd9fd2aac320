"""The dashboard page's own words, served as JSON from the same gettext catalogs as the chat (domain `dashboard`).

The page asks /api/strings?lang=id|en and looks each key up; the msgids are English, translated in
locales/*/LC_MESSAGES/dashboard.po like every other string of the bot.
"""

from __future__ import annotations

from bot.i18n import N_, Translator

STRINGS: dict[str, str] = {
    "app_title": N_("Posyandu dashboard"),
    "area": N_("Area"),
    "month": N_("Month"),
    "year": N_("Year"),
    "tab_overview": N_("Overview"),
    "tab_posyandu": N_("Posyandu"),
    "tab_review": N_("Annual review"),
    "loading": N_("Loading…"),
    "preparing": N_("Preparing the file…"),
    "err_open_in_telegram": N_("Open the dashboard from the bot in Telegram: the /dasbor command or the menu button."),
    "err_auth": N_("This session has expired or was not signed by Telegram. Close the dashboard and open it again "
                   "from the bot."),
    "err_scope": N_("That is outside your area, or the dashboard is not for your role."),
    "err_none": N_("Nothing to show here yet."),
    "err_server": N_("Something went wrong on the server. Please try again."),
    "err_network": N_("No connection to the server. Check the internet connection and try again."),
    "s_long": N_("Under-fives (S)"),
    "d_long": N_("Weighed (D)"),
    "n_long": N_("Weight up (N)"),
    "stunting": N_("Stunting (short)"),
    "wasting": N_("Wasting (thin)"),
    "underweight": N_("Underweight (light)"),
    "overweight": N_("Overweight (heavy)"),
    "refer": N_("Refer to the puskesmas"),
    "refer_short": N_("Refer (count)"),
    "children_n": N_("{n} children"),
    "today_n": N_("{n} today"),
    "trend": N_("12 months"),
    "trend_prevalence": N_("Prevalence over 12 months (% of children measured)"),
    "trend_coverage": N_("Weighing coverage over 12 months (%)"),
    "per_kelurahan": N_("Per kelurahan"),
    "per_posyandu": N_("Per posyandu"),
    "tap_posyandu": N_("Tap a column heading to sort; tap a posyandu to see its children."),
    "col_name": N_("Name"),
    "col_kecamatan": N_("Kecamatan"),
    "col_kelurahan": N_("Kelurahan"),
    "col_age": N_("Age"),
    "col_status": N_("Status"),
    "col_date": N_("Measured"),
    "col_reasons": N_("Why"),
    "col_last": N_("Last weighed"),
    "age_months": N_("{n} mo"),
    "normal": N_("normal"),
    "posyandu": N_("Posyandu"),
    "no_posyandu": N_("There is no posyandu in this area yet."),
    "nobody": N_("Nobody."),
    "show_all": N_("Show all {n}"),
    "tap_child": N_("Tap a child to see the growth chart."),
    "follow_up": N_("Needs follow-up"),
    "missing": N_("Not weighed yet this month"),
    "remeasure": N_("Measured, needs re-measuring"),
    "measured": N_("Measured this month"),
    "chart_wfa": N_("W/A"),
    "chart_lhfa": N_("L/A, H/A"),
    "chart_wflh": N_("W/L, W/H"),
    "chart_alt": N_("Growth chart on the WHO curves"),
    "review_title": N_("Annual review {year} — {area}"),
    "review_month": N_("Review month {month}, compared with {before}."),
    "stunting_last_year": N_("Stunting last year"),
    "stunting_this_year": N_("Stunting this year"),
    "last_year": N_("last year {v}"),
    "moved_out": N_("Moved out of stunting"),
    "of_stunted": N_("of {n} stunted this year"),
    "coverage_year": N_("Weighing coverage D/S by month (%)"),
    "notes": N_("Team notes"),
    "achievements": N_("Achievements"),
    "obstacles": N_("Obstacles"),
    "recommendations": N_("Recommendations for next year"),
    "save": N_("Save notes"),
    "saving": N_("Saving…"),
    "saved": N_("Saved."),
    "saved_at": N_("Last saved {when}."),
    "notes_read_only": N_("Only coordinators can change these notes."),
    "download_xlsx": N_("⬇️ Excel"),
    "download_pdf": N_("⬇️ PDF"),
}


def strings_for(tr: Translator) -> dict[str, str]:
    return {key: tr.gettext(msgid) for key, msgid in STRINGS.items()}


__all__ = ["STRINGS", "strings_for"]
