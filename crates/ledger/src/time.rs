//! UTC times for listings.

/// `secs` since the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ`; a value out of
/// the calendar's range (a damaged table) as the bare number of seconds.
pub fn utc_time(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0).map_or_else(
        || format!("{secs} s after 1970"),
        |t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::utc_time;

    #[test]
    fn known_instants() {
        assert_eq!(utc_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_time(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc_time(1_795_500_000), "2026-11-24T06:00:00Z");
        assert_eq!(utc_time(-1), "1969-12-31T23:59:59Z");
        assert_eq!(utc_time(i64::MAX), format!("{} s after 1970", i64::MAX));
    }
}
