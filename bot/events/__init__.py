"""Events from and to files: organisers' imports (YAML, CSV, iCalendar) and .ics exports."""
