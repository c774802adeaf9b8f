//! What a scanned, pasted or linked text is, and so which screen opens it: a Cashu token (`cashuA…`,
//! `cashuB…`) is received, a payment request (`creqA…`, NUT-18) or an offline request (`offlinereq1…`) is
//! paid, an offline payment (`offlinepay1…`) is checked and kept. A `cashu:` or `web+cashu:` prefix (a link,
//! a QR code made by another wallet) is removed first. Plain logic, no DOM: the Home screen's Scan, its paste
//! field and the page's `?cashu=` link (see [`link_text`]) all go through [`classify`].

/// The most text a link or a paste may hand over: an offline payment of many coins is the largest thing the
/// wallet reads (`crate::offline::text` bounds each kind again, more tightly).
pub const MAX_INCOMING_CHARS: usize = 262_144;

/// A text the wallet can open, without its prefix and whitespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// `cashuA…` / `cashuB…`: receive it.
    Token(String),
    /// `creqA…`: pay it.
    PaymentRequest(String),
    /// `offlinereq1…`: pay it with offline coins.
    OfflineRequest(String),
    /// `offlinepay1…`: check and keep it.
    OfflinePayment(String),
}

impl Incoming {
    /// The text itself.
    pub fn text(&self) -> &str {
        match self {
            Incoming::Token(text)
            | Incoming::PaymentRequest(text)
            | Incoming::OfflineRequest(text)
            | Incoming::OfflinePayment(text) => text,
        }
    }
}

/// Sorts `text` into what the wallet opens, or says in plain words why it cannot.
pub fn classify(text: &str) -> Result<Incoming, String> {
    if text.len() > MAX_INCOMING_CHARS {
        return Err("This text is far too long to be a token or a request.".to_owned());
    }
    let joined: String = text.split_whitespace().collect();
    let body = strip_scheme(&joined);
    if body.is_empty() {
        return Err("Nothing was read. Scan the QR code again, or paste the text.".to_owned());
    }
    let starts = |prefix: &str| body.get(..prefix.len()).is_some_and(|head| head.eq_ignore_ascii_case(prefix));
    let owned = body.to_owned();
    if starts("cashuA") || starts("cashuB") {
        Ok(Incoming::Token(owned))
    } else if starts("creqA") {
        Ok(Incoming::PaymentRequest(owned))
    } else if starts("offlinereq1") {
        Ok(Incoming::OfflineRequest(owned))
    } else if starts("offlinepay1") {
        Ok(Incoming::OfflinePayment(owned))
    } else {
        Err("This is not something this wallet can open. It reads Cashu tokens (cashuA…, cashuB…), payment \
             requests (creqA…), and offline requests and payments (offlinereq1…, offlinepay1…)."
            .to_owned())
    }
}

/// `text` without a leading `web+cashu:`, `cashu:` (with or without `//`), in any case.
pub fn strip_scheme(text: &str) -> &str {
    for scheme in ["web+cashu:", "cashu:"] {
        if let Some(head) = text.get(..scheme.len())
            && head.eq_ignore_ascii_case(scheme)
        {
            let rest = text.get(scheme.len()..).unwrap_or_default();
            return rest.strip_prefix("//").unwrap_or(rest);
        }
    }
    text
}

/// What a link to the wallet carries: the `cashu` parameter of the query (`?cashu=web%2Bcashu%3AcashuB…`, as a
/// registered `web+cashu` protocol handler opens it), else the fragment (`#cashuB…`). `search` and `hash` are
/// `location.search` and `location.hash`, leading `?` and `#` included or not. `None` when neither has one.
pub fn link_text(search: &str, hash: &str) -> Option<String> {
    let query = search.strip_prefix('?').unwrap_or(search);
    let from_query = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(name, _)| *name == "cashu")
        .and_then(|(_, value)| percent_decode(value));
    let from_hash = || {
        let fragment = hash.strip_prefix('#').unwrap_or(hash);
        let fragment = fragment.strip_prefix("cashu=").unwrap_or(fragment);
        percent_decode(fragment)
    };
    from_query.filter(|text| !text.trim().is_empty()).or_else(from_hash).filter(|text| !text.trim().is_empty())
}

/// `%XX` escapes decoded (UTF-8). A `+` stays a `+`: standard base64 (`cashuA` tokens) uses it, and
/// `encodeURIComponent`, which browsers use for `%s` in protocol handlers, escapes a real `+` anyway.
/// `None` for a broken escape, invalid UTF-8 or a text over [`MAX_INCOMING_CHARS`].
pub fn percent_decode(text: &str) -> Option<String> {
    if text.len() > MAX_INCOMING_CHARS {
        return None;
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        if byte == b'%' {
            let hex = bytes.get(index + 1..index + 3)?;
            let hex = core::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            index += 3;
        } else {
            out.push(byte);
            index += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_goes_to_its_screen() {
        assert_eq!(classify("cashuBo2F0"), Ok(Incoming::Token("cashuBo2F0".into())));
        assert_eq!(classify("cashuAeyJ0"), Ok(Incoming::Token("cashuAeyJ0".into())));
        assert_eq!(classify("creqApWF0"), Ok(Incoming::PaymentRequest("creqApWF0".into())));
        assert_eq!(classify("CREQAPWF0"), Ok(Incoming::PaymentRequest("CREQAPWF0".into())));
        assert_eq!(classify("offlinereq1abc"), Ok(Incoming::OfflineRequest("offlinereq1abc".into())));
        assert_eq!(classify("offlinepay1abc"), Ok(Incoming::OfflinePayment("offlinepay1abc".into())));
    }

    #[test]
    fn prefixes_and_whitespace_are_removed_first() {
        for text in [
            "cashu:cashuBo2F0",
            "CASHU:cashuBo2F0",
            "cashu://cashuBo2F0",
            "web+cashu:cashuBo2F0",
            "web+cashu://cashuBo2F0",
            " cashuB\no2F0 \n",
        ] {
            assert_eq!(classify(text), Ok(Incoming::Token("cashuBo2F0".into())), "{text}");
        }
        assert_eq!(classify("web+cashu:creqAb"), Ok(Incoming::PaymentRequest("creqAb".into())));
        assert_eq!(classify("cashu:offlinepay1x").map(|found| found.text().to_owned()), Ok("offlinepay1x".into()));
    }

    #[test]
    fn anything_else_gets_a_clear_message() {
        for text in ["", "  ", "cashu:", "web+cashu:", "lnbc10n1...", "hello", "cashuC123", "https://mint"] {
            let refusal = classify(text).expect_err(text);
            assert!(refusal.starts_with("This is not") || refusal.starts_with("Nothing was read"), "{refusal}");
        }
        assert!(classify(&"cashuB".repeat(MAX_INCOMING_CHARS)).is_err());
    }

    #[test]
    fn links_carry_the_text_in_the_query_or_the_fragment() {
        // What `registerProtocolHandler("web+cashu", "/?cashu=%s")` opens for `web+cashu:cashuB…`.
        assert_eq!(link_text("?cashu=web%2Bcashu%3AcashuBo2F0", ""), Some("web+cashu:cashuBo2F0".into()));
        assert_eq!(
            link_text("?cashu=web%2Bcashu%3AcashuBo2F0", "").and_then(|text| classify(&text).ok()),
            Some(Incoming::Token("cashuBo2F0".into()))
        );
        assert_eq!(link_text("?x=1&cashu=cashuA%2B/a+b%3D&y=2", ""), Some("cashuA+/a+b=".into()));
        assert_eq!(link_text("", "#cashuBo2F0"), Some("cashuBo2F0".into()));
        assert_eq!(link_text("?other=1", "#cashu=creqA%3D"), Some("creqA=".into()));
        assert_eq!(link_text("?cashu=", ""), None);
        assert_eq!(link_text("", ""), None);
        assert_eq!(link_text("?cashu=%zz", ""), None);
        assert_eq!(link_text("?cashu=%e2%82", ""), None, "invalid UTF-8");
        assert_eq!(percent_decode("%41%42c%7e"), Some("ABc~".into()));
        assert_eq!(percent_decode("%4"), None);
    }
}
