"""The command menu shown by Telegram (setMyCommands), per language."""

from __future__ import annotations

from bot.i18n import N_

MENU_COMMANDS: list[tuple[str, str]] = [
    ("start", N_("Start and see what this bot can do")),
    ("help", N_("Help: the commands for your role")),
    ("ukur", N_("Cadre: enter a child's measurement")),
    ("catat", N_("Cadre: quick one-line entry")),
    ("anak_baru", N_("Cadre: register a new child")),
    ("daftar", N_("Cadre: children of my posyandu this month")),
    ("kode_ortu", N_("Cadre: a link code for a parent")),
    ("pertanyaan", N_("Cadre: parents' questions to answer")),
    ("jadwal", N_("Posyandu schedule and reminders")),
    ("anakku", N_("Parent: how is my child growing")),
    ("tips", N_("Parent: a parenting tip for my child's age")),
    ("tanya", N_("Parent: questions about nutrition and growth")),
    ("hubungkan", N_("Parent: link my child")),
    ("tanya_kader", N_("Parent: ask the cadre or midwife")),
    ("berhenti", N_("Stop reminders and tips")),
    ("rekap", N_("Coordinator: monthly recap of my area")),
    ("tindak_lanjut", N_("Coordinator: children who need follow-up")),
    ("siaran", N_("Coordinator: send an announcement")),
    ("kasus", N_("Open and overdue follow-up cases per posyandu")),
    ("keluarga", N_("TPK: families accompanied (brides-to-be, pregnant women, mothers)")),
    ("laporan_tpk", N_("TPK report of the month")),
    ("dasbor", N_("Coordinator: dashboard with charts and the annual review")),
    ("bahasa", N_("Change language")),
    ("batal", N_("Cancel what is in progress")),
]
