//! The tenant's clock as seen from here: how far ours may run ahead of it, from the `Date` of its answers, so a
//! `x-ratelimit-reset` (a UNIX second on the tenant's clock) is never read as sooner than it is.

use reqwest::header::HeaderMap;
use time::PrimitiveDateTime;
use time::macros::format_description;

/// An upper bound on how far our UNIX clock runs ahead of the tenant's, learned from `Date` headers.
///
/// A `Date` is the tenant's time, in whole seconds rounded down (and possibly cached a little longer), at a moment
/// before we had its answer: our time at the answer minus the `Date` is never less than our lead. The smallest
/// such value over all answers is kept. Until an answer has a `Date` the clocks are taken to agree.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub(super) struct ServerClock {
    lead: Option<f64>,
}

impl ServerClock {
    /// Learns from an answer received at `answered_unix` (our clock) whose `Date` was `date` (UNIX seconds).
    pub fn saw(&mut self, answered_unix: f64, date: i64) {
        let bound = answered_unix - date as f64;
        self.lead = Some(self.lead.map_or(bound, |l| l.min(bound)));
    }

    /// Seconds our clock may be ahead of the tenant's (negative when it is surely behind); 0 with no `Date` seen.
    pub fn lead(&self) -> f64 {
        self.lead.unwrap_or(0.0)
    }
}

/// The `Date` header (RFC 9110 IMF-fixdate, `Sun, 06 Nov 1994 08:49:37 GMT`) as UNIX seconds.
pub(super) fn date_header(headers: &HeaderMap) -> Option<i64> {
    let text = headers.get(reqwest::header::DATE)?.to_str().ok()?;
    let format = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let date = PrimitiveDateTime::parse(text.trim(), &format).ok()?;
    Some(date.assume_utc().unix_timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lead_is_the_smallest_answer_time_minus_date() {
        let mut c = ServerClock::default();
        assert_eq!(c.lead(), 0.0);
        // Our clock 2.3 s ahead: answers at tenant times 1000.9 and 1001.05 (Dates 1000 and 1001).
        c.saw(1003.2, 1000);
        assert!((c.lead() - 3.2).abs() < 1e-9, "{}", c.lead());
        c.saw(1003.35, 1001);
        assert!((c.lead() - 2.35).abs() < 1e-9, "{}", c.lead());
        // A stale (cached) Date only gives a looser bound, which is not taken.
        c.saw(1003.5, 999);
        assert!((c.lead() - 2.35).abs() < 1e-9, "{}", c.lead());
    }

    #[test]
    fn date_headers_are_read_as_unix_seconds() {
        let mut h = HeaderMap::new();
        h.insert("date", "Sun, 06 Nov 1994 08:49:37 GMT".parse().unwrap());
        assert_eq!(date_header(&h), Some(784_111_777));
        h.insert("date", "Sunday, 06-Nov-94 08:49:37 GMT".parse().unwrap());
        assert_eq!(date_header(&h), None);
        assert_eq!(date_header(&HeaderMap::new()), None);
    }
}
