//! The mint's `GET /v1/info` (NUT-06): parsing the answer and turning it into what the page shows.
//! No DOM and no network here, so all of it runs in plain unit tests as well as in the browser.

use shared::nuts::nut04::MintMethodSettings;
use shared::nuts::{ErrorResponse, MintInfo, Nuts};

use crate::ClientError;

/// Where the info lives, relative to the mint's origin.
pub const INFO_PATH: &str = "/v1/info";

/// Parses a successful answer of `GET /v1/info`.
pub fn parse_info(body: &str) -> Result<MintInfo, ClientError> {
    serde_json::from_str(body).map_err(|error| ClientError::Malformed { reason: error.to_string() })
}

/// Turns an unsuccessful HTTP answer into an error, using the Cashu `{code, detail}` body when there is one.
pub fn error_from_response(status: u16, body: &str) -> ClientError {
    match serde_json::from_str::<ErrorResponse>(body) {
        Ok(error) if !error.detail.trim().is_empty() => {
            ClientError::Mint { status, code: Some(error.code.to_code()), detail: error.detail }
        }
        Ok(error) => ClientError::Mint { status, code: Some(error.code.to_code()), detail: status_in_words(status) },
        Err(_) => ClientError::Mint { status, code: None, detail: status_in_words(status) },
    }
}

fn status_in_words(status: u16) -> String {
    let words = match status {
        400 => "the request was not valid",
        404 => "the mint does not offer this",
        405 => "the mint does not allow this",
        413 => "the request was too large",
        429 => "too many requests, wait a moment",
        500 => "the mint had an internal error",
        502..=504 => "the mint is unavailable right now",
        _ => "unexpected answer",
    };
    format!("{words} (HTTP {status})")
}

/// What the page shows about a mint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MintSummary {
    /// The mint's name, or a placeholder.
    pub name: String,
    /// `implementation/version`, or a placeholder.
    pub version: String,
    /// Short description, if the mint gave one.
    pub description: Option<String>,
    /// Long description, if the mint gave one.
    pub description_long: Option<String>,
    /// Message of the day, if any.
    pub motd: Option<String>,
    /// The mint's clock, as a UTC date and time.
    pub server_time: Option<String>,
    /// Every NUT the info can advertise, with its status.
    pub nuts: Vec<NutStatus>,
}

impl MintSummary {
    /// How many of [`MintSummary::nuts`] are supported.
    pub fn supported_count(&self) -> usize {
        self.nuts.iter().filter(|nut| nut.support.is_supported()).count()
    }
}

/// One NUT and whether the mint offers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NutStatus {
    /// The NUT's number, e.g. 4.
    pub number: u8,
    /// What it is, in a few words.
    pub title: &'static str,
    /// Whether the mint offers it.
    pub support: Support,
}

impl NutStatus {
    /// `NUT-04`, as the specs write it.
    pub fn label(&self) -> String {
        format!("NUT-{:02}", self.number)
    }
}

/// Whether a mint offers a NUT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Support {
    /// Offered; the text says how (for example the payment methods), and may be empty.
    Supported(String),
    /// Known to the mint but switched off.
    Disabled,
    /// Not offered.
    Unsupported,
}

impl Support {
    /// Whether the NUT is offered.
    pub fn is_supported(&self) -> bool {
        matches!(self, Support::Supported(_))
    }

    /// One or two words for a badge.
    pub fn badge(&self) -> &'static str {
        match self {
            Support::Supported(_) => "Supported",
            Support::Disabled => "Disabled",
            Support::Unsupported => "Not supported",
        }
    }
}

/// The summary the page shows for `info`.
pub fn summarize(info: &MintInfo) -> MintSummary {
    MintSummary {
        name: non_empty(info.name.as_deref()).unwrap_or_else(|| "Unnamed mint".to_owned()),
        version: non_empty(info.version.as_deref()).unwrap_or_else(|| "unknown".to_owned()),
        description: non_empty(info.description.as_deref()),
        description_long: non_empty(info.description_long.as_deref()),
        motd: non_empty(info.motd.as_deref()),
        server_time: info.time.map(format_unix_time),
        nuts: nut_statuses(&info.nuts),
    }
}

fn non_empty(text: Option<&str>) -> Option<String> {
    text.map(str::trim).filter(|text| !text.is_empty()).map(str::to_owned)
}

/// The status of every optional NUT that `GET /v1/info` can advertise, in spec order.
pub fn nut_statuses(nuts: &Nuts) -> Vec<NutStatus> {
    let flag = |supported: bool| if supported { Support::Supported(String::new()) } else { Support::Unsupported };
    let methods = |disabled: bool, methods: &[MintMethodSettings]| match (disabled, methods.is_empty()) {
        (true, _) => Support::Disabled,
        (false, true) => Support::Unsupported,
        (false, false) => Support::Supported(format_methods(methods)),
    };
    vec![
        NutStatus { number: 4, title: "Minting", support: methods(nuts.nut04.disabled, &nuts.nut04.methods) },
        NutStatus { number: 5, title: "Melting", support: methods(nuts.nut05.disabled, &nuts.nut05.methods) },
        NutStatus { number: 7, title: "Token state check", support: flag(nuts.nut07.supported) },
        NutStatus { number: 8, title: "Lightning fee return", support: flag(nuts.nut08.supported) },
        NutStatus { number: 9, title: "Restore from seed", support: flag(nuts.nut09.supported) },
        NutStatus { number: 10, title: "Spending conditions", support: flag(nuts.nut10.supported) },
        NutStatus { number: 11, title: "Pay to public key (P2PK)", support: flag(nuts.nut11.supported) },
        NutStatus { number: 12, title: "DLEQ proofs", support: flag(nuts.nut12.supported) },
        NutStatus {
            number: 19,
            title: "Cached responses",
            support: match &nuts.nut19 {
                Some(settings) => Support::Supported(format!(
                    "{} endpoint{}",
                    settings.cached_endpoints.len(),
                    if settings.cached_endpoints.len() == 1 { "" } else { "s" }
                )),
                None => Support::Unsupported,
            },
        },
    ]
}

/// `bolt11 (sat, 1–10000)` for each method-unit pair, joined with `; `.
pub fn format_methods(methods: &[MintMethodSettings]) -> String {
    let describe = |method: &MintMethodSettings| {
        let limits = match (method.min_amount, method.max_amount) {
            (Some(min), Some(max)) => format!(", {min}–{max}"),
            (Some(min), None) => format!(", from {min}"),
            (None, Some(max)) => format!(", up to {max}"),
            (None, None) => String::new(),
        };
        format!("{} ({}{limits})", method.method, method.unit)
    };
    methods.iter().map(describe).collect::<Vec<_>>().join("; ")
}

/// `2024-09-02 19:14:40 UTC` for Unix time `seconds`.
pub fn format_unix_time(seconds: u64) -> String {
    let days = seconds / 86_400;
    let second_of_day = seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60
    )
}

/// The proleptic Gregorian date `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUR_MINT: &str = r#"{"name":"Chaumian Mint","version":"chaumian-mint/0.1.0",
        "description":"A test mint.","time":1725304480,
        "nuts":{"4":{"methods":[],"disabled":true},"5":{"methods":[],"disabled":true},
        "7":{"supported":false},"8":{"supported":false},"9":{"supported":false},
        "10":{"supported":false},"11":{"supported":false},"12":{"supported":false}}}"#;

    #[test]
    fn summarizes_our_mint() {
        let summary = summarize(&parse_info(OUR_MINT).unwrap());
        assert_eq!(summary.name, "Chaumian Mint");
        assert_eq!(summary.version, "chaumian-mint/0.1.0");
        assert_eq!(summary.description.as_deref(), Some("A test mint."));
        assert_eq!(summary.server_time.as_deref(), Some("2024-09-02 19:14:40 UTC"));
        assert_eq!(summary.supported_count(), 0);
        assert_eq!(summary.nuts[0].support, Support::Disabled);
        assert_eq!(summary.nuts[2].label(), "NUT-07");
    }

    #[test]
    fn describes_methods_and_flags() {
        let info = parse_info(
            r#"{"nuts":{"4":{"methods":[{"method":"bolt11","unit":"sat","min_amount":1,"max_amount":10000}],
            "disabled":false},"12":{"supported":true},"19":{"ttl":null,"cached_endpoints":[{"method":"POST","path":"/v1/swap"}]}}}"#,
        )
        .unwrap();
        let summary = summarize(&info);
        assert_eq!(summary.name, "Unnamed mint");
        assert_eq!(summary.version, "unknown");
        assert_eq!(summary.server_time, None);
        let by_number = |n: u8| summary.nuts.iter().find(|nut| nut.number == n).unwrap().support.clone();
        assert_eq!(by_number(4), Support::Supported("bolt11 (sat, 1–10000)".into()));
        assert_eq!(by_number(5), Support::Unsupported);
        assert_eq!(by_number(12), Support::Supported(String::new()));
        assert_eq!(by_number(19), Support::Supported("1 endpoint".into()));
        assert_eq!(summary.supported_count(), 3);
    }

    #[test]
    fn blank_texts_count_as_missing() {
        let summary = summarize(&parse_info(r#"{"name":"  ","description":"","nuts":{}}"#).unwrap());
        assert_eq!(summary.name, "Unnamed mint");
        assert_eq!(summary.description, None);
    }

    #[test]
    fn formats_dates() {
        assert_eq!(format_unix_time(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_unix_time(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(format_unix_time(4_102_444_799), "2099-12-31 23:59:59 UTC");
    }

    #[test]
    fn reads_cashu_error_bodies() {
        let error = error_from_response(404, r#"{"code":0,"detail":"no such endpoint: GET /v1/info"}"#);
        assert_eq!(
            error,
            ClientError::Mint { status: 404, code: Some(0), detail: "no such endpoint: GET /v1/info".into() }
        );
        assert_eq!(error.to_string(), "The mint returned an error: no such endpoint: GET /v1/info");
        let proxy = error_from_response(502, "<html>Bad Gateway</html>");
        assert_eq!(proxy.to_string(), "The mint returned an error: the mint is unavailable right now (HTTP 502)");
        assert_eq!(proxy.technical(), "HTTP 502: the mint is unavailable right now (HTTP 502)");
    }

    #[test]
    fn garbage_is_malformed() {
        assert!(matches!(parse_info("<!doctype html>"), Err(ClientError::Malformed { .. })));
        assert!(matches!(parse_info(r#"{"name": 5}"#), Err(ClientError::Malformed { .. })));
    }
}
