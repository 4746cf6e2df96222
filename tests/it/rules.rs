//! Every built-in rule's examples and negative examples run through the whole pipeline
//! (prefilter on and off, verify, entropy, checksum, allowlists), plus coverage of the rule set.

#[test]
fn every_builtin_example_behaves() {
    let set = leakhound::rules::load_builtin().expect("built-in rules load");
    let problems = leakhound::check::check(&set).expect("built-in rules compile");
    let listing: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), listing.join("\n"));
}

#[test]
fn builtin_set_is_large_and_documented() {
    let set = leakhound::rules::load_builtin().unwrap();
    assert!(set.rules.len() >= 120, "only {} rules", set.rules.len());
    for r in &set.rules {
        assert!(r.examples.len() >= 2, "{}", r.id);
        assert!(!r.negative_examples.is_empty(), "{}", r.id);
        assert!(!r.references.is_empty(), "{}", r.id);
    }
    assert!(!set.allowlist.is_empty(), "global allowlist");
    assert!(!set.excludes.is_empty(), "default exclusions");
    for a in &set.allowlist {
        assert!(!a.examples.is_empty(), "allowlist entry `{}` has no examples", a.reason);
    }
    for e in &set.excludes {
        assert!(!e.examples.is_empty(), "exclude entry `{}` has no examples", e.reason);
    }
}

#[test]
fn required_providers_are_covered() {
    let set = leakhound::rules::load_builtin().unwrap();
    let ids: Vec<&str> = set.rules.iter().map(|r| r.id.as_str()).collect();
    for prefix in [
        "aws.",
        "gcp.",
        "azure.",
        "digitalocean.",
        "heroku.",
        "cloudflare.",
        "fastly.",
        "github.",
        "gitlab.",
        "bitbucket.",
        "npm.",
        "pypi.",
        "rubygems.",
        "nuget.",
        "dockerhub.",
        "terraform.",
        "vault.",
        "doppler.",
        "slack.",
        "discord.",
        "telegram.",
        "twilio.",
        "sendgrid.",
        "mailgun.",
        "mailchimp.",
        "stripe.",
        "square.",
        "braintree.",
        "shopify.",
        "openai.",
        "anthropic.",
        "huggingface.",
        "databricks.",
        "datadog.",
        "newrelic.",
        "sentry.",
        "grafana.",
        "privatekey.",
        "jwt.",
        "url.",
        "files.",
        "generic.",
    ] {
        assert!(ids.iter().any(|id| id.starts_with(prefix)), "no rule for {prefix}");
    }
    for id in ["github.pat-classic", "github.oauth-token", "npm.access-token"] {
        let r = set.get(id).unwrap_or_else(|| panic!("{id} missing"));
        assert!(r.checksum.is_some(), "{id} must validate its CRC32");
    }
}

#[test]
fn a_broken_example_is_caught() {
    // The checker itself must fail loudly: a rule whose example cannot match.
    let text = "[[rule]]\nid = \"t.x\"\nname = \"n\"\ndescription = \"d\"\nseverity = \"low\"\n\
                keywords = [\"tok_\"]\nregex = '''(tok_[0-9]{8})'''\nreferences = [\"https://x.test\"]\n\
                remediation = \"r\"\nexamples = [\"tok_12345678\", \"tok_abc\"]\nnegative_examples = [\"tok_1\"]\n";
    let set = leakhound::rules::load_str("t.toml", text).unwrap();
    let problems = leakhound::check::check(&set).unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].message.contains("\"tok_abc\" produces no finding"));
}

#[test]
fn builtin_files_validate() {
    // Start-up trusts the built-in regexes and globs; this is where they are parsed.
    for (name, text) in leakhound::rules::builtin_files() {
        leakhound::rules::load_str(name, text).unwrap_or_else(|e| panic!("{e}"));
    }
}
