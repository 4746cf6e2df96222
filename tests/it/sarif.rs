//! SARIF reports: validated against the official 2.1.0 schema, and the fields GitHub code
//! scanning reads.

use crate::harness::*;

pub fn validate(doc: &serde_json::Value) {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("data/sarif-schema-2.1.0.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> =
        validator.iter_errors(doc).map(|e| format!("{} at {}", e, e.instance_path)).collect();
    assert!(errors.is_empty(), "SARIF does not validate:\n{}", errors.join("\n"));
}

#[test]
fn sarif_validates_and_has_what_github_needs() {
    let t = TempTree::new();
    t.write("config/prod env.txt", format!("a\nTOKEN={GITHUB_TOKEN}\n"));
    t.write("keys.py", "aws_secret_access_key = \"Zq3Xb8Lm2Vn7Rt5Wy1Kp9Hd4Gf6Js0Ac8Ee2Ui5Ob\"\nAKIAZ7Q3XB8LM2VN7RT5\n");
    let r = t.run(&["scan", "-q", "-f", "sarif"]);
    assert_eq!(r.code(), 1, "{}", r.stderr());
    let doc = r.json();
    validate(&doc);
    assert_eq!(doc["version"], "2.1.0");
    let runs = doc["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let mut ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    let n = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), n, "rule ids must be unique");
    for rule in rules {
        assert!(rule["shortDescription"]["text"].is_string());
        assert!(rule["fullDescription"]["text"].is_string());
        assert!(rule["help"]["text"].is_string());
        assert!(rule["help"]["markdown"].as_str().unwrap().contains("How to fix"));
        assert!(rule["properties"]["tags"].as_array().unwrap().contains(&"security".into()));
        let score: f64 = rule["properties"]["security-severity"].as_str().unwrap().parse().unwrap();
        assert!((0.0..=10.0).contains(&score));
    }
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 3, "{results:#?}");
    for res in results {
        let idx = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], res["ruleId"]);
        assert!(["error", "warning", "note"].contains(&res["level"].as_str().unwrap()));
        let loc = &res["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
        assert!(
            loc["region"]["endColumn"].as_u64().unwrap()
                > loc["region"]["startColumn"].as_u64().unwrap()
        );
        let fp = res["partialFingerprints"]["leakhound/secret/sha256/v1"].as_str().unwrap();
        assert_eq!(fp.len(), 32);
    }
    let gh = results.iter().find(|r| r["ruleId"] == "github.pat-classic").unwrap();
    assert_eq!(
        gh["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "config/prod%20env.txt"
    );
    assert_eq!(gh["locations"][0]["physicalLocation"]["region"]["startLine"], 2);
    assert!(!r.stdout().contains(GITHUB_TOKEN));
}

#[test]
fn empty_sarif_validates() {
    let t = TempTree::new();
    t.write("a.txt", "clean\n");
    let r = t.run(&["scan", "-q", "-f", "sarif"]);
    assert_eq!(r.code(), 0);
    let doc = r.json();
    validate(&doc);
    assert_eq!(doc["runs"][0]["results"].as_array().unwrap().len(), 0);
}

#[test]
fn absolute_paths_become_file_uris() {
    let t = TempTree::new();
    t.write("a.txt", format!("{GITHUB_TOKEN}\n"));
    let abs = t.path().join("a.txt");
    let r = t.run(&["scan", "-q", "-f", "sarif", abs.to_str().unwrap()]);
    let doc = r.json();
    validate(&doc);
    let uri = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
        ["uri"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(uri.starts_with("file:///") && uri.ends_with("/a.txt"), "{uri}");
}

/// Issue 9: every input that could not be read, or was skipped for a limit, reaches the SARIF
/// report as a notification, and an unreadable one makes the run unsuccessful.
#[test]
fn issue9_skipped_and_unreadable_inputs_are_sarif_notifications() {
    let t = TempTree::new();
    t.write("a.txt", format!("{GITHUB_TOKEN}\n"));
    t.write("big.txt", "x".repeat(5000));
    let r = t.run(&[
        "scan",
        "-q",
        "-f",
        "sarif",
        "a.txt",
        "big.txt",
        "/proc/self/mem",
        "--max-file-size",
        "4K",
    ]);
    assert_eq!(r.code(), 2, "{}", r.stderr());
    let doc = r.json();
    validate(&doc);
    let invocation = &doc["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let notes: Vec<(String, String)> = invocation["toolExecutionNotifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (n["level"].as_str().unwrap().into(), n["message"]["text"].as_str().unwrap().into())
        })
        .collect();
    assert!(
        notes.iter().any(|(l, m)| l == "error" && m.starts_with("/proc/self/mem: cannot read")),
        "{notes:?}"
    );
    assert!(
        notes.iter().any(|(l, m)| l == "warning" && m.starts_with("big.txt: skipped: 5000 bytes")),
        "{notes:?}"
    );
    assert_eq!(doc["runs"][0]["results"].as_array().unwrap().len(), 1);
}
