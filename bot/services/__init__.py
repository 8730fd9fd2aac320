"""Application services: enrolment, measurement, reminders, broadcasts, recaps, access rules, import/export."""
