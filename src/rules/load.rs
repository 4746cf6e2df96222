//! Loading and validating rule files: the built-in `patterns/` set embedded at build time, and
//! user files given with `-c/--config`.

use super::syntax::{AllowlistSyntax, FileSyntax, RuleSyntax};
use super::{Allowlist, Exclude, Origin, Rule, RuleError};
use std::collections::HashMap;
use std::path::Path;
use toml::Spanned;

/// Rule files compiled into the binary: `(file name, contents)`.
const BUILTIN: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/builtin_patterns.rs"));

/// Validated rules, global allowlist entries and default path exclusions.
#[derive(Clone, Debug, Default)]
pub struct RuleSet {
    /// Rules in load order; ids are unique.
    pub rules: Vec<Rule>,
    /// Allowlist entries that apply to every rule.
    pub allowlist: Vec<Allowlist>,
    /// Paths skipped without being read.
    pub excludes: Vec<Exclude>,
    /// Only report in paths matching these globs (empty: everywhere); from a config file.
    pub include_paths: Vec<String>,
    /// Never scan or report paths matching these globs; from a config file.
    pub exclude_paths: Vec<String>,
    /// Environment variable with the HMAC key for fingerprints.
    pub fingerprint_key_env: Option<String>,
    /// Rule ids turned off, with where each was asked for.
    pub disabled: Vec<(String, Origin)>,
    /// Severity and entropy overrides, with where each was asked for.
    pub overrides: Vec<(String, crate::rules::OverrideSyntax, Origin)>,
}

impl RuleSet {
    /// Adds the contents of `other`; a rule whose id already exists replaces the earlier one.
    pub fn merge(&mut self, other: RuleSet) {
        let index: HashMap<String, usize> =
            self.rules.iter().enumerate().map(|(i, r)| (r.id.clone(), i)).collect();
        for rule in other.rules {
            match index.get(&rule.id) {
                Some(&i) => self.rules[i] = rule,
                None => self.rules.push(rule),
            }
        }
        self.allowlist.extend(other.allowlist);
        self.excludes.extend(other.excludes);
        self.include_paths.extend(other.include_paths);
        self.exclude_paths.extend(other.exclude_paths);
        self.fingerprint_key_env = other.fingerprint_key_env.or(self.fingerprint_key_env.take());
        self.disabled.extend(other.disabled);
        self.overrides.extend(other.overrides);
    }

    /// Applies `disable` and `override` entries to the rules loaded so far.
    ///
    /// # Errors
    /// An entry names a rule id that does not exist; the error points at the entry.
    pub fn apply_changes(&mut self) -> Result<(), RuleError> {
        let unknown = |id: &str, origin: &Origin, what: &str| RuleError {
            file: origin.file.clone(),
            line: origin.line,
            message: format!("{what} `{id}`: no rule has this id (see `leakhound rules list`)"),
        };
        for (id, origin) in std::mem::take(&mut self.disabled) {
            let before = self.rules.len();
            self.rules.retain(|r| r.id != id);
            if self.rules.len() == before {
                return Err(unknown(&id, &origin, "disable"));
            }
        }
        for (id, o, origin) in std::mem::take(&mut self.overrides) {
            let Some(rule) = self.rules.iter_mut().find(|r| r.id == id) else {
                return Err(unknown(&id, &origin, "override"));
            };
            if let Some(sev) = o.severity {
                rule.severity = sev;
            }
            if let Some(e) = o.min_entropy {
                rule.min_entropy = Some(e);
            }
        }
        Ok(())
    }

    /// Looks a rule up by id.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }
}

/// Loads the built-in rule set.
///
/// # Errors
/// Fails only if a built-in file is broken, which the test suite rules out.
pub fn load_builtin() -> Result<RuleSet, RuleError> {
    use rayon::prelude::*;
    // Built-in regexes and globs are parsed by the test suite (`builtin_files_validate`);
    // skipping that here saves milliseconds of every pre-commit hook's start-up. The files are
    // parsed in parallel for the same reason (400 rules are 440 KB of TOML), and merged in order.
    let parsed: Vec<Result<RuleSet, RuleError>> = BUILTIN
        .par_iter()
        .map(|(name, text)| load_str_with(&format!("patterns/{name}"), text, false))
        .collect();
    let mut set = RuleSet::default();
    for file in parsed {
        set.merge(file?);
    }
    check_unique(&set.rules)?;
    Ok(set)
}

/// Loads a user rule file.
///
/// # Errors
/// An unreadable file, invalid TOML, an unknown key, an invalid regex or glob, or a structural
/// problem; the error names the file, the rule and the line.
pub fn load_file(path: &Path) -> Result<RuleSet, RuleError> {
    let file = path.display().to_string();
    let text = crate::files::read_text(path, crate::files::Trust::User, crate::files::CONFIG_LIMIT)
        .map_err(|e| RuleError {
            file: file.clone(),
            line: 0,
            message: format!("cannot read rule file: {e}"),
        })?;
    let set = load_str(&file, &text)?;
    check_unique(&set.rules)?;
    Ok(set)
}

/// Parses and validates rule file `text`, reporting errors against `file`.
///
/// # Errors
/// As [`load_file`].
pub fn load_str(file: &str, text: &str) -> Result<RuleSet, RuleError> {
    load_str_with(file, text, true)
}

/// The built-in rule files, as `(name, contents)`, for tests that validate them fully.
pub fn builtin_files() -> &'static [(&'static str, &'static str)] {
    BUILTIN
}

fn load_str_with(file: &str, text: &str, parse_patterns: bool) -> Result<RuleSet, RuleError> {
    let line_of = |offset: usize| super::line_of(text, offset);
    let err = |offset: usize, message: String| RuleError {
        file: file.to_string(),
        line: line_of(offset),
        message,
    };
    let parsed: FileSyntax = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        err(offset, e.message().trim_end().to_string())
    })?;
    let mut set = RuleSet::default();
    for syntax in parsed.rule {
        let offset = syntax.id.span().start;
        let id = syntax.id.get_ref().clone();
        let rule = validate_rule(syntax, file, line_of(offset), parse_patterns)
            .map_err(|message| err(offset, format!("rule `{id}`: {message}")))?;
        set.rules.push(rule);
    }
    check_unique(&set.rules)?;
    for entry in parsed.allowlist {
        let offset = entry.span().start;
        let a = validate_allowlist(entry, file, line_of(offset), parse_patterns)
            .map_err(|m| err(offset, format!("allowlist: {m}")))?;
        set.allowlist.push(a);
    }
    for d in parsed.disable {
        let line = line_of(d.span().start);
        set.disabled.push((d.into_inner(), Origin { file: file.to_string(), line }));
    }
    for (id, o) in parsed.overrides {
        let line = line_of(o.span().start);
        let o = o.into_inner();
        if o.min_entropy.is_some_and(|e| !(0.0..=8.0).contains(&e)) {
            return Err(RuleError {
                file: file.to_string(),
                line,
                message: format!("override `{id}`: min_entropy is outside 0.0..=8.0"),
            });
        }
        set.overrides.push((id, o, Origin { file: file.to_string(), line }));
    }
    if let Some(paths) = parsed.paths {
        for g in paths.include.iter().chain(&paths.exclude) {
            check_glob(g).map_err(|m| err(0, format!("paths: {m}")))?;
        }
        set.include_paths = paths.include;
        set.exclude_paths = paths.exclude;
    }
    if let Some(fp) = parsed.fingerprint {
        set.fingerprint_key_env = fp.key_env;
    }
    for entry in parsed.exclude {
        let offset = entry.span().start;
        let e = entry.into_inner();
        let reason = e.reason.filter(|r| !r.trim().is_empty());
        let Some(reason) = reason else {
            return Err(err(offset, "exclude: every entry needs a `reason`".into()));
        };
        for p in e.paths.iter().filter(|_| parse_patterns) {
            check_glob(p).map_err(|m| err(offset, format!("exclude: {m}")))?;
        }
        set.excludes.push(Exclude { reason, paths: e.paths, examples: e.examples });
    }
    Ok(set)
}

/// Checks that no two rules share an id (user rules replace built-in ones of the same id on
/// merge; two rules of one file, or two translated gitleaks ids, must not collide).
///
/// # Errors
/// The second rule with a repeated id.
pub fn check_unique_ids(rules: &[Rule]) -> Result<(), RuleError> {
    check_unique(rules)
}

fn check_unique(rules: &[Rule]) -> Result<(), RuleError> {
    let mut seen: HashMap<&str, &Origin> = HashMap::new();
    for r in rules {
        if let Some(first) = seen.insert(&r.id, &r.origin) {
            return Err(RuleError {
                file: r.origin.file.clone(),
                line: r.origin.line,
                message: format!("rule `{}`: duplicate id (first defined at {first})", r.id),
            });
        }
    }
    Ok(())
}

/// Ids are dotted or dashed lowercase alphanumeric segments, as in `github.pat-classic`.
fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.split(['.', '-']).all(|seg| {
            !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// Parses `pattern` the way the engine compiles it: bytes, no Unicode classes.
/// Returns the number of explicit capture groups.
///
/// # Errors
/// The pattern does not parse.
pub fn check_regex(pattern: &str) -> Result<usize, String> {
    let hir = regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(pattern)
        .map_err(|e| format!("invalid regex: {e}"))?;
    Ok(hir.properties().explicit_captures_len())
}

fn check_glob(glob: &str) -> Result<(), String> {
    globset::Glob::new(glob).map(|_| ()).map_err(|e| format!("invalid glob `{glob}`: {e}"))
}

fn validate_rule(
    s: RuleSyntax,
    file: &str,
    line: usize,
    parse_patterns: bool,
) -> Result<Rule, String> {
    let id = s.id.into_inner();
    if !valid_id(&id) {
        return Err("ids are lowercase [a-z0-9] segments joined by `.` or `-`".into());
    }
    for (field, value) in [("name", &s.name), ("description", &s.description)] {
        if value.trim().is_empty() {
            return Err(format!("`{field}` must not be empty"));
        }
    }
    if s.keywords.is_empty() {
        return Err("needs at least one keyword (the prefilter finds rules by keyword)".into());
    }
    let mut keywords = Vec::with_capacity(s.keywords.len());
    for k in s.keywords {
        if k.len() < 3 {
            return Err(format!("keyword `{k}` is shorter than 3 bytes"));
        }
        if k.contains(['\n', '\r']) {
            // A rule is verified around its keyword's line; a history sweep relies on it.
            return Err(format!("keyword {k:?} spans lines: a keyword must be on one line"));
        }
        keywords.push(k.to_ascii_lowercase());
    }
    if parse_patterns {
        let captures = check_regex(s.regex.get_ref())?;
        if captures == 0 {
            return Err("regex needs a capture group for the secret".into());
        }
    }
    if let Some(e) = s.min_entropy {
        if !(0.0..=8.0).contains(&e) {
            return Err(format!("min_entropy {e} is outside 0.0..=8.0"));
        }
    }
    for g in s.paths.iter().chain(&s.exclude_paths).filter(|_| parse_patterns) {
        check_glob(g)?;
    }
    let origin = Origin { file: file.to_string(), line };
    let mut allowlist = Vec::new();
    for a in s.allowlist {
        let aline = line; // per-rule entries are reported against their rule
        allowlist.push(validate_allowlist(a, file, aline, parse_patterns)?);
    }
    Ok(Rule {
        id,
        name: s.name,
        description: s.description,
        severity: s.severity,
        confidence: s.confidence,
        keywords,
        regex: s.regex.into_inner(),
        min_entropy: s.min_entropy,
        checksum: s.checksum,
        multiline: s.multiline,
        paths: s.paths,
        exclude_paths: s.exclude_paths,
        path_regex: None,
        secret_group: None,
        references: s.references,
        remediation: s.remediation,
        examples: s.examples,
        negative_examples: s.negative_examples,
        allowlist,
        origin,
    })
}

fn validate_allowlist(
    entry: Spanned<AllowlistSyntax>,
    file: &str,
    line: usize,
    parse_patterns: bool,
) -> Result<Allowlist, String> {
    let a = entry.into_inner();
    let Some(reason) = a.reason.filter(|r| !r.trim().is_empty()) else {
        return Err("every allowlist entry needs a `reason`\n  help: say why these values are safe to ignore, e.g. reason = \"revoked token used by tests\"".into());
    };
    if a.secrets.is_empty()
        && a.stopwords.is_empty()
        && a.paths.is_empty()
        && a.fingerprints.is_empty()
    {
        return Err(format!(
            "allowlist entry `{reason}` has no secrets, stopwords, paths or fingerprints"
        ));
    }
    if a.stopwords.iter().any(|w| w.is_empty()) {
        return Err(format!("allowlist `{reason}`: an empty stopword would match every secret"));
    }
    for r in a.secrets.iter().filter(|_| parse_patterns) {
        check_regex(r).map_err(|e| format!("allowlist `{reason}`: {e}"))?;
    }
    for g in a.paths.iter().filter(|_| parse_patterns) {
        check_glob(g)?;
    }
    Ok(Allowlist {
        reason,
        secrets: a.secrets,
        stopwords: a.stopwords.into_iter().map(|s| s.to_ascii_lowercase()).collect(),
        paths: a.paths,
        rules: a.rules,
        fingerprints: a.fingerprints,
        path_regexes: Vec::new(),
        examples: a.examples,
        origin: Origin { file: file.to_string(), line },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert!(valid_id("github.pat-classic"));
        assert!(!valid_id("GitHub.pat"));
        assert!(!valid_id("a..b"));
        assert!(!valid_id(""));
    }

    #[test]
    fn bad_regex_names_file_rule_and_line() {
        let text = "\n[[rule]]\nid = \"x.y\"\nname = \"n\"\ndescription = \"d\"\nseverity = \"high\"\nkeywords = [\"abc\"]\nregex = '''(abc'''\n";
        let e = load_str("my.toml", text).unwrap_err();
        assert_eq!(e.file, "my.toml");
        assert_eq!(e.line, 3);
        assert!(e.message.contains("rule `x.y`"), "{e}");
        assert!(e.message.contains("invalid regex"), "{e}");
    }

    #[test]
    fn keyword_spanning_lines_is_an_error() {
        let text = "[[rule]]\nid = \"x.y\"\nname = \"n\"\ndescription = \"d\"\nseverity = \"high\"\nkeywords = [\"ab\\ncd\"]\nregex = '(abc)'\n";
        let e = load_str("my.toml", text).unwrap_err();
        assert!(e.to_string().contains("my.toml:2: rule `x.y`"), "{e}");
        assert!(e.to_string().contains("spans lines"), "{e}");
    }

    #[test]
    fn unknown_key_is_an_error() {
        let text = "[[rule]]\nid = \"x.y\"\nname = \"n\"\ndescription = \"d\"\nseverity = \"high\"\nkeywords = [\"abc\"]\nregex = '(abc)'\nbogus = 1\n";
        let e = load_str("my.toml", text).unwrap_err();
        assert!(e.message.contains("bogus"), "{e}");
        assert_eq!(e.line, 8, "points at the unknown key");
    }

    #[test]
    fn allowlist_needs_reason() {
        let text = "[[allowlist]]\nstopwords = [\"x\"]\n";
        let e = load_str("a.toml", text).unwrap_err();
        assert!(e.message.contains("reason"), "{e}");
    }
}
