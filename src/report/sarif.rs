//! SARIF 2.1.0 for GitHub code scanning: one run, a unique `rules` array with help and
//! `security-severity`, repo-relative URIs under `%SRCROOT%`, and line-independent
//! `partialFingerprints` under our own versioned key. Minimal own types: the subset GitHub
//! reads, each field checked against the official schema by the test suite.

use super::Report;
use crate::finding::{Finding, SuppressionKind, FINGERPRINT_KEY};
use crate::provenance::Commit;
use crate::rules::{Rule, Severity};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Write};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const SRCROOT: &str = "%SRCROOT%";

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    automation_details: AutomationDetails,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    version_control_provenance: Vec<VersionControlDetails<'a>>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    original_uri_base_ids: BTreeMap<&'static str, BaseId>,
    column_kind: &'static str,
    invocations: Vec<Invocation<'a>>,
    results: Results<'a>,
}

/// A URI base id that is described, not located.
#[derive(Serialize)]
struct BaseId {
    description: Text,
}

/// The analysis category: GitHub keeps one set of alerts per category, so a history sweep
/// and a pull request's range scan do not close each other's alerts.
#[derive(Serialize)]
struct AutomationDetails {
    id: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    properties: BTreeMap<&'static str, String>,
}

impl AutomationDetails {
    /// `leakhound/CATEGORY/`; in an Azure Pipelines build (`TF_BUILD`), the id and properties
    /// GitHub Advanced Security for Azure DevOps requires, from the pipeline's variables.
    fn new(category: &str) -> AutomationDetails {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        if var("TF_BUILD").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
            let collection = var("SYSTEM_COLLECTIONURI").unwrap_or_default();
            let org = collection.trim_end_matches('/').rsplit('/').next().unwrap_or_default();
            let field = |k: &str| var(k).unwrap_or_default();
            let id = format!(
                "azuredevops/pipeline/build/{org}/{}/{}/{}/{}/{}",
                field("SYSTEM_TEAMPROJECT"),
                field("SYSTEM_DEFINITIONID"),
                field("SYSTEM_PHASEID"),
                field("BUILD_SOURCEBRANCH"),
                field("BUILD_BUILDID"),
            );
            let properties = BTreeMap::from([
                ("azuredevops/pipeline/build/buildDefinitionId", field("SYSTEM_DEFINITIONID")),
                ("azuredevops/pipeline/build/buildDefinitionName", field("BUILD_DEFINITIONNAME")),
                ("azuredevops/pipeline/build/phaseId", field("SYSTEM_PHASEID")),
                ("azuredevops/pipeline/build/phaseName", field("SYSTEM_PHASENAME")),
            ]);
            return AutomationDetails { id, properties };
        }
        AutomationDetails { id: format!("leakhound/{category}/"), properties: BTreeMap::new() }
    }
}

/// The repository a git scan read, without credentials.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VersionControlDetails<'a> {
    repository_uri: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    revision_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    branch: Option<&'a str>,
    /// The repository's root is `%SRCROOT%`, which result paths are relative to.
    mapped_to: ArtifactLocationRef,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocationRef {
    uri_base_id: &'static str,
}

/// The run itself: whether it could scan everything, and why not. GitHub shows these
/// notifications on the analysis; an input that could not be read or was skipped for a limit
/// is one.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation<'a> {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification<'a>>,
}

#[derive(Serialize)]
struct Notification<'a> {
    level: &'static str,
    message: TextRef<'a>,
}

#[derive(Serialize)]
struct TextRef<'a> {
    text: &'a str,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'static str,
    full_name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    information_uri: &'static str,
    rules: Vec<ReportingDescriptor<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportingDescriptor<'a> {
    id: &'a str,
    name: String,
    short_description: Text,
    full_description: Text,
    help: Help,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_uri: Option<&'a str>,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    tags: Vec<&'static str>,
    precision: &'static str,
    #[serde(rename = "security-severity")]
    security_severity: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: String,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: Vec<Location>,
    /// Git scans: every other place the secret occurs (the finding's occurrences).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<RelatedLocation>,
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<SarifSuppression>,
    properties: ResultProperties<'a>,
}

#[derive(Serialize)]
struct SarifSuppression {
    kind: &'static str,
    justification: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultProperties<'a> {
    confidence: &'static str,
    secret: String,
    secret_length: usize,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    checksum_valid: bool,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    commit: Option<&'a Commit>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tag: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RelatedLocation {
    id: usize,
    physical_location: LinePhysicalLocation,
    message: Text,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LinePhysicalLocation {
    artifact_location: ArtifactLocation,
    region: LineRegion,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LineRegion {
    start_line: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
    /// The line with the secret masked, as the terminal shows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    snippet: Option<Text>,
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// Percent-encodes a path for a URI, keeping `/` and RFC 3986 unreserved characters.
/// A `.` or `..` segment (a crafted tree can name an entry `..`) is encoded too, so that no URI
/// climbs out of `%SRCROOT%`.
fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for (i, segment) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        if segment == "." || segment == ".." {
            out.push_str(&"%2E".repeat(segment.len()));
            continue;
        }
        for &b in segment.as_bytes() {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

fn artifact(path: &str) -> ArtifactLocation {
    if let Some(abs) = path.strip_prefix('/') {
        ArtifactLocation { uri: format!("file:///{}", uri_path(abs)), uri_base_id: None }
    } else {
        ArtifactLocation { uri: uri_path(path), uri_base_id: Some(SRCROOT) }
    }
}

/// A rule's display name as the identifier SARIF asks `name` to be (`Hard-coded password` is
/// `HardCodedPassword`); the display name itself is the short description.
fn pascal_case(name: &str) -> String {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            let first = chars.next().map(|c| c.to_ascii_uppercase());
            first.into_iter().chain(chars).collect::<String>()
        })
        .collect()
}

fn descriptor(rule: &Rule) -> ReportingDescriptor<'_> {
    let refs: Vec<String> = rule.references.iter().map(|r| format!("- <{r}>")).collect();
    let markdown = format!(
        "**{}**\n\n{}\n\n**How to fix:** {}\n\nRemove the secret from the code and from git history, \
         and load it from a secret store or the environment instead.\n\n{}",
        rule.name,
        rule.description,
        rule.remediation,
        if refs.is_empty() { String::new() } else { format!("References:\n{}", refs.join("\n")) }
    );
    let text = format!("{}\n\nHow to fix: {}", rule.description, rule.remediation);
    ReportingDescriptor {
        id: &rule.id,
        name: pascal_case(&rule.name),
        short_description: Text { text: rule.name.clone() },
        full_description: Text { text: rule.description.clone() },
        help: Help { text, markdown },
        help_uri: rule.references.first().map(String::as_str),
        default_configuration: Configuration { level: level(rule.severity) },
        properties: RuleProperties {
            tags: vec!["security", "secret"],
            precision: match rule.confidence {
                crate::rules::Confidence::High => "very-high",
                crate::rules::Confidence::Medium => "high",
                crate::rules::Confidence::Low => "medium",
            },
            security_severity: rule.severity.score(),
        },
    }
}

fn result(f: &Finding, rule_index: usize) -> SarifResult<'_> {
    SarifResult {
        rule_id: f.rule_id.to_string(),
        rule_index,
        level: level(f.severity),
        message: Text {
            text: format!(
                "{} found: {} ({}: {})",
                f.rule_name,
                f.path(),
                if f.redacted { "redacted" } else { "secret" },
                f.secret
            ),
        },
        locations: vec![Location {
            physical_location: PhysicalLocation {
                artifact_location: artifact(f.path()),
                region: Region {
                    start_line: f.line,
                    start_column: f.column,
                    end_line: f.end_line,
                    end_column: f.end_column,
                    snippet: (!f.context.is_empty()).then(|| Text { text: f.context.clone() }),
                },
            },
        }],
        related_locations: f
            .occurrences
            .iter()
            .enumerate()
            .map(|(id, o)| RelatedLocation {
                id,
                physical_location: LinePhysicalLocation {
                    artifact_location: artifact(&o.path),
                    region: LineRegion { start_line: o.line },
                },
                message: Text {
                    text: match &o.commit {
                        Some(commit) => format!("The same secret, in commit {commit}"),
                        None => "The same secret".to_string(),
                    },
                },
            })
            .collect(),
        partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, f.fingerprint.to_string())]),
        suppressions: f
            .suppressed
            .iter()
            .map(|s| SarifSuppression {
                // An inline marker lives in the source; allowlists and baselines outside it.
                kind: if s.kind == SuppressionKind::Inline { "inSource" } else { "external" },
                justification: s.justification.clone(),
            })
            .collect(),
        properties: ResultProperties {
            confidence: f.confidence.as_str(),
            secret: f.secret.clone(),
            secret_length: f.secret_length,
            checksum_valid: f.checksum_valid,
            commit: f.provenance.commit(),
            tag: f.provenance.tag(),
        },
    }
}

fn invocation(diagnostics: &[crate::diag::Diagnostic]) -> Invocation<'_> {
    use crate::diag::Level;
    Invocation {
        execution_successful: !diagnostics.iter().any(|d| d.level == Level::Error),
        tool_execution_notifications: diagnostics
            .iter()
            .map(|d| Notification {
                level: match d.level {
                    Level::Detail | Level::Note => "note",
                    Level::Warning => "warning",
                    Level::Error => "error",
                },
                message: TextRef { text: &d.message },
            })
            .collect(),
    }
}

/// The results, built one at a time as they are written: a million findings are never a
/// million SARIF objects in memory.
struct Results<'a> {
    findings: &'a [Finding],
    index: BTreeMap<&'a str, usize>,
}

impl Serialize for Results<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let rule_index = |f: &Finding| self.index.get(&*f.rule_id).copied().unwrap_or(0);
        serializer.collect_seq(self.findings.iter().map(|f| result(f, rule_index(f))))
    }
}

pub(super) fn write(report: &Report<'_>, out: &mut dyn Write) -> io::Result<()> {
    // Rules with results only, in id order, each once (duplicates make GitHub reject the file).
    let found: std::collections::HashSet<&str> =
        report.findings.iter().map(|f| &*f.rule_id).collect();
    let mut used: Vec<&Rule> =
        report.rules.iter().filter(|r| found.contains(r.id.as_str())).collect();
    used.sort_by(|a, b| a.id.cmp(&b.id));
    used.dedup_by(|a, b| a.id == b.id);
    let index: BTreeMap<&str, usize> =
        used.iter().enumerate().map(|(i, r)| (r.id.as_str(), i)).collect();
    let results = Results { findings: report.findings, index };
    // `%SRCROOT%` is the checkout's root, wherever it is: named, never located, since an
    // absolute path would put the runner's directories in a report meant to be shared.
    let base = BTreeMap::from([(
        SRCROOT,
        BaseId { description: Text { text: "The root of the scanned checkout".to_string() } },
    )]);
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "leakhound",
                    full_name: concat!("leakhound ", env!("CARGO_PKG_VERSION")),
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: "https://github.com/leakhound/leakhound",
                    rules: used.into_iter().map(descriptor).collect(),
                },
            },
            automation_details: AutomationDetails::new(report.category),
            version_control_provenance: report
                .checkout
                .and_then(|c| {
                    Some(VersionControlDetails {
                        repository_uri: c.remote.as_deref()?,
                        revision_id: c.head.as_deref(),
                        branch: c.branch.as_deref(),
                        mapped_to: ArtifactLocationRef { uri_base_id: SRCROOT },
                    })
                })
                .into_iter()
                .collect(),
            original_uri_base_ids: base,
            column_kind: "unicodeCodePoints",
            invocations: vec![invocation(report.diagnostics)],
            results,
        }],
    };
    serde_json::to_writer_pretty(&mut *out, &log)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::uri_path;

    #[test]
    fn rule_names_are_pascal_case() {
        assert_eq!(super::pascal_case("Hard-coded password"), "HardCodedPassword");
        assert_eq!(super::pascal_case("RSA private key (PEM)"), "RSAPrivateKeyPEM");
    }

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(uri_path("a dir/ß.env"), "a%20dir/%C3%9F.env");
        assert_eq!(uri_path("../x/./.git/y"), "%2E%2E/x/%2E/.git/y");
    }
}
