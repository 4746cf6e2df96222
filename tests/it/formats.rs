//! Issue 13: reports for every CI (GitHub workflow commands, Markdown, JUnit, CSV, GitLab),
//! each read back by a real parser; rule selection; completions, man page, version, and the
//! hint for a gitleaks command line.

use crate::git::{commit, repo};
use crate::harness::*;

/// A tree with two findings of different rules, one of them in a path a CSV or XML writer must
/// quote, and a line with markup.
fn two_findings() -> TempTree {
    let t = TempTree::new();
    t.write("app.py", format!("TOKEN = \"{GITHUB_TOKEN}\"\n"));
    t.write("we,ird <dir>/a\"b.env", "X=1\nAWS_KEY=AKIAQYLPMN5HFIQR7XAE # <b>|</b>\n");
    t
}

#[test]
fn junit_is_xml_with_one_failing_case_per_finding() {
    let t = two_findings();
    let r = t.run(&["scan", "-q", "-f", "junit"]);
    assert_eq!(r.code(), 1, "{}", r.stderr());
    let xml = r.stdout();
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let suite = doc.descendants().find(|n| n.has_tag_name("testsuite")).unwrap();
    assert_eq!(suite.attribute("tests"), Some("2"));
    assert_eq!(suite.attribute("failures"), Some("2"));
    let cases: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("testcase")).collect();
    assert_eq!(cases.len(), 2);
    let files: Vec<_> = cases.iter().filter_map(|c| c.attribute("file")).collect();
    assert_eq!(files, ["app.py", "we,ird <dir>/a\"b.env"]);
    for c in &cases {
        let failure = c.children().find(|n| n.has_tag_name("failure")).expect("a failure");
        let body = failure.text().unwrap();
        assert!(body.contains("how to fix: "), "{body}");
        assert!(!xml.contains(GITHUB_TOKEN));
    }
    // Nothing found: one passing case, so the run still shows as a test.
    let clean = TempTree::new();
    clean.write("a.txt", "nothing\n");
    let r = clean.run(&["scan", "-q", "-f", "junit"]);
    assert_eq!(r.code(), 0);
    let doc = roxmltree::Document::parse(&r.stdout()).unwrap().descendants().count();
    assert!(doc > 0);
    assert!(r.stdout().contains(r#"failures="0""#));
}

#[test]
fn csv_has_a_header_and_a_row_per_finding() {
    let t = two_findings();
    let r = t.run(&["scan", "-q", "-f", "csv"]);
    assert_eq!(r.code(), 1);
    let out = r.stdout();
    let mut reader = csv::Reader::from_reader(out.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(&header[..5], ["rule_id", "rule_name", "severity", "confidence", "path"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(&rows[0][col("rule_id")], "github.pat-classic");
    assert_eq!(&rows[0][col("secret")], "ghp_…[40 chars]");
    assert_eq!(&rows[1][col("path")], "we,ird <dir>/a\"b.env");
    assert_eq!(&rows[1][col("line")], "2");
    assert!(!out.contains(GITHUB_TOKEN));
}

#[test]
fn csv_defuses_spreadsheet_formulas() {
    let t = TempTree::new();
    t.write("=cmd|' calc'!A0.env", format!("T={GITHUB_TOKEN}\n"));
    let r = t.run(&["scan", "-q", "-f", "csv"]);
    let out = r.stdout();
    let mut reader = csv::Reader::from_reader(out.as_bytes());
    let row = reader.records().next().unwrap().unwrap();
    assert_eq!(&row[4], "'=cmd|' calc'!A0.env");
}

/// Parses one GitHub workflow command: `::name key=value,key=value::message`, undoing the
/// escapes GitHub documents.
fn workflow_command(line: &str) -> (String, Vec<(String, String)>, String) {
    let unescape = |s: &str| {
        s.replace("%0A", "\n")
            .replace("%0D", "\r")
            .replace("%3A", ":")
            .replace("%2C", ",")
            .replace("%25", "%")
    };
    let rest = line.strip_prefix("::").expect("starts with ::");
    let (head, message) = rest.split_once("::").expect("a message after ::");
    let (name, props) = head.split_once(' ').expect("properties");
    let props = props
        .split(',')
        .map(|kv| {
            let (k, v) = kv.split_once('=').expect("key=value");
            (k.to_string(), unescape(v))
        })
        .collect();
    (name.to_string(), props, unescape(message))
}

#[test]
fn github_format_is_one_workflow_command_per_finding() {
    let t = two_findings();
    let r = t.run(&["scan", "-q", "-f", "github"]);
    assert_eq!(r.code(), 1);
    let out = r.stdout();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    let (name, props, message) = workflow_command(lines[0]);
    assert_eq!(name, "error");
    let get = |k: &str| props.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    assert_eq!(get("file"), Some("app.py"));
    assert_eq!(get("line"), Some("1"));
    assert_eq!(get("col"), Some("10"));
    assert_eq!(get("title"), Some("GitHub Personal Access Token (classic) (github.pat-classic)"));
    assert!(message.starts_with("critical secret ghp_…[40 chars]"), "{message}");
    // A comma or colon in a path must not end the property.
    let (_, props, _) = workflow_command(lines[1]);
    assert_eq!(props[0], ("file".to_string(), "we,ird <dir>/a\"b.env".to_string()));
    assert!(!r.stdout().contains(GITHUB_TOKEN));
}

#[test]
fn markdown_is_a_table_a_parser_reads() {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let t = two_findings();
    let r = t.run(&["scan", "-q", "-f", "markdown"]);
    assert_eq!(r.code(), 1);
    let md = r.stdout();
    let mut rows = 0;
    let mut cells_in_row = Vec::new();
    let mut cells = 0;
    for event in Parser::new_ext(&md, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::TableRow) => cells = 0,
            Event::Start(Tag::TableCell) => cells += 1,
            Event::End(TagEnd::TableRow) => {
                rows += 1;
                cells_in_row.push(cells);
            }
            _ => {}
        }
    }
    // Two body rows (the header row is TableHead), four cells each: the `|` of the scanned
    // line did not split a cell.
    assert_eq!(rows, 2, "{md}");
    assert_eq!(cells_in_row, [4, 4]);
    assert!(md.contains("**How to fix**"));
    assert!(!md.contains(GITHUB_TOKEN));
}

#[test]
fn gitlab_report_has_the_fields_the_secret_detection_schema_requires() {
    let t = repo();
    t.write("app.py", format!("TOKEN = \"{GITHUB_TOKEN}\"\n"));
    let id = commit(&t, "add", "2024-01-02T03:04:05Z");
    for args in [&["git", "-q", "-f", "gitlab"][..], &["scan", "-q", "-f", "gitlab"][..]] {
        let r = t.run(args);
        assert_eq!(r.code(), 1, "{}", r.stderr());
        let doc = r.json();
        assert!(doc["version"].as_str().unwrap().starts_with("15."));
        let scan = &doc["scan"];
        assert_eq!(scan["type"], "secret_detection");
        assert_eq!(scan["status"], "success");
        for tool in ["analyzer", "scanner"] {
            for field in ["id", "name", "version"] {
                assert!(scan[tool][field].as_str().is_some_and(|s| !s.is_empty()));
            }
            assert!(scan[tool]["vendor"]["name"].is_string());
        }
        for time in ["start_time", "end_time"] {
            let s = scan[time].as_str().unwrap();
            // ^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$
            assert_eq!(s.len(), 19, "{s}");
            assert!(s.chars().enumerate().all(|(i, c)| match i {
                4 | 7 => c == '-',
                10 => c == 'T',
                13 | 16 => c == ':',
                _ => c.is_ascii_digit(),
            }));
        }
        let vulns = doc["vulnerabilities"].as_array().unwrap();
        assert_eq!(vulns.len(), 1);
        let v = &vulns[0];
        assert_eq!(v["id"].as_str().unwrap().len(), 36);
        assert_eq!(v["severity"], "Critical");
        assert_eq!(v["identifiers"][0]["value"], "github.pat-classic");
        assert!(v["identifiers"][0]["type"].as_str().is_some_and(|s| !s.is_empty()));
        assert!(v["identifiers"][0]["name"].as_str().is_some_and(|s| !s.is_empty()));
        assert_eq!(v["location"]["file"], "app.py");
        assert_eq!(v["location"]["start_line"], 1);
        let sha = v["location"]["commit"]["sha"].as_str().unwrap();
        if args[0] == "git" {
            assert_eq!(sha, id);
        } else {
            assert_eq!(sha, "0000000");
        }
        assert!(!r.stdout().contains(GITHUB_TOKEN));
    }
}

#[test]
fn rule_selection_changes_what_is_reported() {
    let t = two_findings();
    let ids = |r: &Run| -> Vec<String> { r.findings().into_iter().map(|f| f.0).collect() };
    let all = t.run(&["scan", "-q", "-f", "json"]);
    assert_eq!(ids(&all), ["github.pat-classic", "aws.access-key-id"]);
    let only = t.run(&["scan", "-q", "-f", "json", "--rule", "aws.*"]);
    assert_eq!(ids(&only), ["aws.access-key-id"]);
    // Skipping a provider rule does not make its match harmless: the generic rule it was
    // shadowing reports the value instead (an allowlist entry is what says "not a secret").
    let skip = t.run(&["scan", "-q", "-f", "json", "--skip-rule", "github.*"]);
    assert_eq!(ids(&skip), ["generic.token-assignment", "aws.access-key-id"]);
    let skip =
        t.run(&["scan", "-q", "-f", "json", "--skip-rule", "github.*", "--skip-rule", "generic.*"]);
    assert_eq!(ids(&skip), ["aws.access-key-id"]);
    let critical = t.run(&["scan", "-q", "-f", "json", "--min-severity", "critical"]);
    assert_eq!(ids(&critical), ["github.pat-classic"]);
    let sure = t.run(&["scan", "-q", "-f", "json", "--min-confidence", "high"]);
    assert_eq!(ids(&sure), ["github.pat-classic", "aws.access-key-id"]);
    // A pattern that matches no rule is a typo, not an empty run.
    let typo = t.run(&["scan", "-q", "--rule", "gihtub.*"]);
    assert_eq!(typo.code(), 2);
    assert!(typo.stderr().contains("--rule `gihtub.*` matches no rule id"), "{}", typo.stderr());
}

#[test]
fn completions_man_page_and_version() {
    let t = TempTree::new();
    let bash = t.run(&["completions", "bash"]);
    assert_eq!(bash.code(), 0);
    assert!(bash.stdout().contains("complete -F _leakhound"), "{}", bash.stdout());
    // The script loads in bash and completes a subcommand.
    let script = t.write("c.bash", bash.stdout());
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source {}; COMP_WORDS=(leakhound sc); COMP_CWORD=1; _leakhound leakhound sc \
             leakhound; echo \"${{COMPREPLY[@]}}\"",
            script.display()
        ))
        .output()
        .expect("bash runs");
    assert!(String::from_utf8_lossy(&out.stdout).contains("scan"), "{out:?}");
    for shell in ["zsh", "fish", "powershell"] {
        let r = t.run(&["completions", shell]);
        assert_eq!(r.code(), 0);
        assert!(r.stdout().contains("leakhound"));
    }
    let man = t.run(&["man"]);
    assert_eq!(man.code(), 0);
    assert!(
        man.stdout().starts_with(".ie \\n(.g .ds Aq") || man.stdout().contains(".TH leakhound")
    );
    assert!(man.stdout().contains(".SH NAME"));
    let version = t.run(&["--version"]);
    assert_eq!(version.code(), 0);
    let text = version.stdout();
    assert!(
        text.starts_with(&format!("leakhound {} (commit ", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
}

#[test]
fn a_gitleaks_command_line_gets_the_leakhound_equivalent() {
    let t = TempTree::new();
    let r = t.run(&["detect", "--source", ".", "--report-format", "sarif"]);
    assert_eq!(r.code(), 2);
    assert!(r.stderr().contains("`detect` is a gitleaks command"), "{}", r.stderr());
    assert!(r.stderr().contains("leakhound git [REPO]"));
    let r = t.run(&["protect", "--staged"]);
    assert!(r.stderr().contains("leakhound staged"));
}

/// Every `uses:` in the action and in the README's workflow names a full commit SHA: a tag can
/// be moved to other code, and this tool exists to support exactly that practice.
#[test]
fn actions_are_pinned_by_full_commit_sha() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for file in ["action.yml", "README.md"] {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        let uses: Vec<&str> = text
            .lines()
            .filter_map(|l| l.trim_start().trim_start_matches("- ").strip_prefix("uses: "))
            .collect();
        assert!(!uses.is_empty(), "{file} uses no action");
        for u in uses {
            let reference = u.split_whitespace().next().unwrap();
            let (_, at) = reference.split_once('@').unwrap_or_else(|| panic!("{file}: {u}"));
            if reference.starts_with("leakhound/leakhound@") {
                assert_eq!(at, "<full", "{file}: the README shows where the SHA goes");
                continue;
            }
            assert!(
                at.len() == 40 && at.bytes().all(|b| b.is_ascii_hexdigit()),
                "{file}: `{u}` is not pinned to a commit"
            );
        }
    }
}
