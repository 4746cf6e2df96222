//! Inline suppression markers on the line of a secret.

/// The markers honoured, in the order they are looked for. `leakhound:allow` may name a rule
/// (`leakhound:allow aws.access-key-id`) to suppress only that rule's findings; the others are
/// honoured for migration from gitleaks and detect-secrets.
const MARKERS: [&str; 3] = ["leakhound:allow", "gitleaks:allow", "pragma: allowlist secret"];

/// The marker on `line` that suppresses a finding of `rule_id`, if any.
pub(crate) fn marker(line: &[u8], rule_id: &str) -> Option<&'static str> {
    for m in MARKERS {
        let mut from = 0;
        while let Some(at) = memchr::memmem::find(&line[from..], m.as_bytes()) {
            let rest = &line[from + at + m.len()..];
            from += at + m.len();
            // `leakhound:allowed` is not the marker: it must end at a word boundary.
            if rest.first().is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_') {
                continue;
            }
            if m != "leakhound:allow" {
                return Some(m);
            }
            // `leakhound:allow` alone allows every rule; followed by an id, only that rule.
            let named = rest.strip_prefix(b" ").map(|r| {
                let end = r
                    .iter()
                    .position(|b| !(b.is_ascii_alphanumeric() || b"._-".contains(b)))
                    .unwrap_or(r.len());
                &r[..end]
            });
            match named {
                Some(id) if !id.is_empty() && id != b"--" => {
                    if id == rule_id.as_bytes() {
                        return Some(m);
                    }
                }
                _ => return Some(m),
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::marker;

    #[test]
    fn markers() {
        assert_eq!(marker(b"key = 'x' # leakhound:allow", "a.b"), Some("leakhound:allow"));
        assert_eq!(
            marker(b"key = 'x' # leakhound:allow a.b -- test key", "a.b"),
            Some("leakhound:allow")
        );
        assert_eq!(marker(b"key = 'x' # leakhound:allow c.d", "a.b"), None);
        assert_eq!(marker(b"key = 'x' // gitleaks:allow", "a.b"), Some("gitleaks:allow"));
        assert_eq!(
            marker(b"key = 'x'  # pragma: allowlist secret", "a.b"),
            Some("pragma: allowlist secret")
        );
        assert_eq!(marker(b"key = 'x'", "a.b"), None);
        assert_eq!(marker(b"key = 'x' # leakhound:allowed", "a.b"), None);
        assert_eq!(
            marker(b"x # leakhound:allow c.d leakhound:allow a.b", "a.b"),
            Some("leakhound:allow")
        );
    }
}
