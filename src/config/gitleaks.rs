//! Translating a gitleaks config (`.gitleaks.toml`) into leakhound rules and allowlists, for
//! migration. What cannot be translated is returned by name, never silently dropped.

use crate::rules::{Allowlist, Confidence, Origin, Rule, RuleError, RuleSet, Severity};
use toml::Value;

/// Whether `text` looks like a gitleaks config rather than a leakhound one: gitleaks uses
/// `[[rules]]` (plural), `[extend]` and `[allowlist]`/`[[allowlists]]` tables.
pub(crate) fn is_gitleaks(text: &str) -> bool {
    let Ok(v) = text.parse::<toml::Table>() else { return false };
    v.contains_key("rules")
        || v.contains_key("extend")
        || v.contains_key("allowlists")
        || v.get("allowlist").is_some_and(Value::is_table)
}

/// A translated gitleaks config.
pub(crate) struct Translated {
    /// Rules and allowlists.
    pub(crate) set: RuleSet,
    /// `[extend] useDefault = true`: keep the built-in rules (gitleaks' defaults become ours).
    pub(crate) keep_builtin: bool,
}

fn sanitize_id(id: &str) -> String {
    let s: String = id
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '-' })
        .collect();
    let s = s.trim_matches(|c| c == '-' || c == '.').to_string();
    if s.is_empty() {
        "gitleaks-rule".into()
    } else {
        s
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// Translates a gitleaks config. Returns the translation and one note per setting that has no
/// leakhound counterpart.
///
/// # Errors
/// The file is not valid TOML, or a rule lacks an `id` or a `regex`.
pub(crate) fn translate(file: &str, text: &str) -> Result<(Translated, Vec<String>), RuleError> {
    let err = |line: usize, message: String| RuleError { file: file.to_string(), line, message };
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        let line = e.span().map_or(0, |s| crate::rules::line_of(text, s.start));
        err(line, e.message().trim_end().to_string())
    })?;
    let origin = |what: &str| Origin { file: file.to_string(), line: line_of(text, what) };
    let mut notes = Vec::new();
    let mut set = RuleSet::default();
    let mut keep_builtin = false;
    if let Some(extend) = table.get("extend").and_then(Value::as_table) {
        keep_builtin = extend.get("useDefault").and_then(Value::as_bool).unwrap_or(false);
        if let Some(p) = extend.get("path").and_then(Value::as_str) {
            notes.push(format!(
                "{file}: [extend] path = {p:?} is not translated: pass that file with --config too"
            ));
        }
        for id in strings(extend.get("disabledRules")) {
            notes.push(format!(
                "{file}: disabledRules: gitleaks rule `{id}` has no leakhound counterpart; disable leakhound rules by id with `disable = [...]`"
            ));
        }
    }
    if !keep_builtin {
        notes.push(format!(
            "{file}: no `[extend] useDefault = true`: as in gitleaks, only this file's rules run"
        ));
    }
    for (i, r) in table.get("rules").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let Some(r) = r.as_table() else { continue };
        let Some(gid) = r.get("id").and_then(Value::as_str) else {
            return Err(err(0, format!("rules[{i}]: a gitleaks rule needs an `id`")));
        };
        let id = sanitize_id(gid);
        let o = origin(&format!("\"{gid}\""));
        let Some(regex) = r.get("regex").and_then(Value::as_str) else {
            notes.push(format!(
                "{file}: rule `{gid}` has no `regex` (path-only rules are not translated)"
            ));
            continue;
        };
        let captures = crate::rules::check_regex(regex)
            .map_err(|m| err(o.line, format!("rule `{gid}`: {m}")))?;
        let secret_group = r
            .get("secretGroup")
            .and_then(Value::as_integer)
            .and_then(|g| usize::try_from(g).ok())
            .filter(|&g| g > 0);
        // Without groups the whole match is the secret, as in gitleaks.
        let regex = if captures == 0 { format!("({regex})") } else { regex.to_string() };
        let mut keywords = Vec::new();
        for k in strings(r.get("keywords")) {
            if k.len() < 3 {
                notes.push(format!(
                    "{file}: rule `{gid}`: keyword {k:?} is shorter than 3 bytes and was dropped"
                ));
            } else if k.contains(['\n', '\r']) {
                notes.push(format!(
                    "{file}: rule `{gid}`: keyword {k:?} spans lines and was dropped"
                ));
            } else {
                keywords.push(k.to_ascii_lowercase());
            }
        }
        if keywords.is_empty() {
            notes.push(format!("{file}: rule `{gid}` has no keywords: it is verified over every file, which is slow"));
        }
        for key in r.keys() {
            if ![
                "id",
                "description",
                "regex",
                "secretGroup",
                "entropy",
                "keywords",
                "path",
                "tags",
                "allowlist",
                "allowlists",
            ]
            .contains(&key.as_str())
            {
                notes.push(format!("{file}: rule `{gid}`: `{key}` is not translated"));
            }
        }
        let description = r.get("description").and_then(Value::as_str).unwrap_or(gid).to_string();
        let mut allowlist = Vec::new();
        for a in allowlist_tables(r) {
            allowlist.extend(translate_allowlist(
                file,
                &format!("rule `{gid}`"),
                a,
                &o,
                &mut notes,
            ));
        }
        set.rules.push(Rule {
            id,
            name: description.clone(),
            description: format!("{description} (imported from gitleaks)"),
            severity: Severity::High,
            confidence: Confidence::Medium,
            keywords,
            regex,
            min_entropy: r
                .get("entropy")
                .and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64))),
            checksum: None,
            multiline: false,
            paths: Vec::new(),
            exclude_paths: Vec::new(),
            path_regex: r.get("path").and_then(Value::as_str).map(str::to_string),
            secret_group,
            references: Vec::new(),
            remediation: "Revoke the credential with its issuer and replace it.".into(),
            examples: Vec::new(),
            negative_examples: Vec::new(),
            allowlist,
            origin: o,
        });
    }
    for a in allowlist_tables(&table) {
        let o = origin("allowlist");
        let entries = translate_allowlist(file, "global allowlist", a, &o, &mut notes);
        let targets: Vec<String> =
            strings(a.get("targetRules")).iter().map(|t| sanitize_id(t)).collect();
        set.allowlist.extend(entries.into_iter().map(|mut e| {
            e.rules = targets.clone();
            e
        }));
    }
    Ok((Translated { set, keep_builtin }, notes))
}

/// `[allowlist]` (older gitleaks) and `[[allowlists]]` tables of a rule or of the file.
fn allowlist_tables(t: &toml::Table) -> Vec<&toml::Table> {
    let mut out = Vec::new();
    if let Some(a) = t.get("allowlist").and_then(Value::as_table) {
        out.push(a);
    }
    out.extend(
        t.get("allowlists")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_table),
    );
    out
}

fn translate_allowlist(
    file: &str,
    owner: &str,
    a: &toml::Table,
    origin: &Origin,
    notes: &mut Vec<String>,
) -> Vec<Allowlist> {
    let reason = a
        .get("description")
        .and_then(Value::as_str)
        .map_or_else(|| format!("imported from gitleaks ({owner})"), str::to_string);
    let target = a.get("regexTarget").and_then(Value::as_str).unwrap_or("secret");
    let mut regexes = strings(a.get("regexes"));
    let and =
        a.get("condition").and_then(Value::as_str).is_some_and(|c| c.eq_ignore_ascii_case("AND"));
    let untranslatable =
        (target != "secret" && !regexes.is_empty()) || !strings(a.get("commits")).is_empty();
    if and && untranslatable {
        // Dropping one criterion of an AND would make the rest suppress more than gitleaks does.
        notes.push(format!(
            "{file}: {owner}: condition = \"AND\" with `commits` or regexTarget = {target:?} is not translated; the entry is skipped"
        ));
        return Vec::new();
    }
    if target != "secret" && !regexes.is_empty() {
        notes.push(format!(
            "{file}: {owner}: regexTarget = {target:?} is not translated (leakhound allowlist regexes match the secret); {} regexes dropped",
            regexes.len()
        ));
        regexes.clear();
    }
    if !strings(a.get("commits")).is_empty() {
        notes.push(format!(
            "{file}: {owner}: `commits` is not translated: leakhound suppressions are content-based (use a baseline)"
        ));
    }
    let paths = strings(a.get("paths"));
    let stopwords: Vec<String> =
        strings(a.get("stopwords")).iter().map(|s| s.to_ascii_lowercase()).collect();
    let and =
        a.get("condition").and_then(Value::as_str).is_some_and(|c| c.eq_ignore_ascii_case("AND"));
    let entry = |paths: Vec<String>, secrets: Vec<String>, stopwords: Vec<String>| Allowlist {
        reason: reason.clone(),
        secrets,
        stopwords,
        paths: Vec::new(),
        rules: Vec::new(),
        fingerprints: Vec::new(),
        path_regexes: paths,
        examples: Vec::new(),
        origin: origin.clone(),
    };
    let has_secret_tests = !regexes.is_empty() || !stopwords.is_empty();
    match (paths.is_empty(), has_secret_tests) {
        (true, false) => Vec::new(),
        (false, false) => vec![entry(paths, Vec::new(), Vec::new())],
        (true, true) => vec![entry(Vec::new(), regexes, stopwords)],
        // gitleaks' default condition is OR: a path match alone suppresses, and so does a
        // secret match alone. AND maps onto one leakhound entry (path and secret tests).
        (false, true) if and => vec![entry(paths, regexes, stopwords)],
        (false, true) => {
            vec![entry(paths, Vec::new(), Vec::new()), entry(Vec::new(), regexes, stopwords)]
        }
    }
}

fn line_of(text: &str, needle: &str) -> usize {
    text.find(needle).map_or(0, |i| crate::rules::line_of(text, i))
}
