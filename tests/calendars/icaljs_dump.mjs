// Reads an .ics from stdin with ical.js (Thunderbird's parser) and prints what a client sees:
// the calendar's properties and each event with its occurrences as UTC instants.
// VTIMEZONEs come from the feed itself, as a client without its own zone database would use them.
import ICAL from "ical.js";

const MAX_OCCURRENCES = 500;

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const text = Buffer.concat(chunks).toString("utf8");

const calendar = new ICAL.Component(ICAL.parse(text));
for (const vtimezone of calendar.getAllSubcomponents("vtimezone")) {
  ICAL.TimezoneService.register(vtimezone);
}

const asJson = (time) =>
  time.isDate ? time.toString() : time.toJSDate().toISOString().replace(".000Z", "Z");

const vevents = calendar.getAllSubcomponents("vevent");
const exceptions = vevents.filter((v) => v.hasProperty("recurrence-id"));
const events = [];
for (const vevent of vevents.filter((v) => !v.hasProperty("recurrence-id"))) {
  const event = new ICAL.Event(vevent);
  for (const exception of exceptions) {
    if (exception.getFirstPropertyValue("uid") === event.uid) event.relateException(exception);
  }
  const occurrences = [];
  if (event.isRecurring()) {
    const iterator = event.iterator();
    for (let next = iterator.next(); next && occurrences.length < MAX_OCCURRENCES; next = iterator.next()) {
      const details = event.getOccurrenceDetails(next);
      occurrences.push({ start: asJson(details.startDate), end: asJson(details.endDate) });
    }
  } else {
    occurrences.push({ start: asJson(event.startDate), end: asJson(event.endDate) });
  }
  events.push({
    uid: event.uid,
    sequence: event.sequence,
    status: vevent.getFirstPropertyValue("status"),
    summary: event.summary,
    location: event.location,
    description: event.description,
    url: vevent.getFirstPropertyValue("url"),
    all_day: event.startDate.isDate,
    tzid: event.startDate.isDate ? null : event.startDate.zone.tzid,
    occurrences,
  });
}

const calendarProperty = (name) => calendar.getFirstPropertyValue(name);
process.stdout.write(
  JSON.stringify({
    name: calendarProperty("x-wr-calname"),
    method: calendarProperty("method"),
    timezones: calendar.getAllSubcomponents("vtimezone").map((tz) => tz.getFirstPropertyValue("tzid")),
    events,
  }),
);
