//! How the CLI writes the runtime's times: UTC, RFC 3339, milliseconds
//! (`2026-11-22T20:24:25.123Z`), the same text in tables and JSON.

use std::time::SystemTime;

pub fn timestamp(time: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(time).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn utc_with_milliseconds() {
        let time = SystemTime::UNIX_EPOCH + Duration::from_millis(1_795_033_465_123);
        assert_eq!(timestamp(time), "2026-11-18T20:24:25.123Z");
    }
}
