"""iCalendar feeds: one builder, the choice of what each feed holds, and the secret tokens."""
