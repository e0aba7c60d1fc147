//! Differential oracles: the same tokens judged by Orgpass and by validators nobody here wrote, in node
//! (`tests/oracles/`): ID tokens by `oauth4webapi` (an OpenID-certified relying party) against the engine's
//! ID-token profile, access tokens and DPoP proofs by Auth0's own `express-oauth2-jwt-bearer` against the guard. Each verdict of
//! ours is pinned in its corpus; each difference with the oracle must be one the corpus justifies with a spec
//! clause, and each justified difference must still occur. The test prints the whole comparison.

mod access;
mod dpop;
mod id_token;
mod tokens;

use std::io::Write as _;
use std::process::{Command, Stdio};

use serde_json::Value;

/// One verdict of a judge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Accept,
    Refuse,
}

impl Verdict {
    fn of<T, E>(r: &Result<T, E>) -> Self {
        if r.is_ok() {
            Self::Accept
        } else {
            Self::Refuse
        }
    }
}

/// A case's outcome on both sides.
pub struct Compared {
    pub name: String,
    pub ours: Verdict,
    pub our_reason: String,
    pub theirs: Verdict,
    pub their_reason: String,
    /// The spec clause that makes our verdict right where the oracle's differs.
    pub justified: Option<&'static str>,
}

/// Runs `tests/oracles/<script>` on `input`; its verdicts by case name, in order.
pub fn oracle(script: &str, input: &Value) -> Vec<(String, Verdict, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace");
    let module = root.join("tests/node_modules/oauth4webapi/package.json");
    assert!(
        module.exists(),
        "{} is missing: run `npm ci --prefix tests` (cargo xtask test does)",
        module.display()
    );
    let mut child = Command::new("node")
        .arg(root.join("tests/oracles").join(script))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node runs (cargo xtask test installs it)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{script} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let verdicts: Value = serde_json::from_slice(&out.stdout).expect("the oracle prints JSON");
    verdicts
        .as_array()
        .expect("an array")
        .iter()
        .map(|v| {
            let verdict = match v["verdict"].as_str() {
                Some("accept") => Verdict::Accept,
                Some("refuse") => Verdict::Refuse,
                other => panic!("verdict {other:?}"),
            };
            let reason = v["reason"].as_str().unwrap_or_default().to_owned();
            (v["name"].as_str().unwrap().to_owned(), verdict, reason)
        })
        .collect()
}

/// Each case's verdict by us (`ours`, asserted against the corpus's pinned verdict) beside the oracle's, in order.
/// `case` gives a case's name, our pinned verdict and its justification.
pub async fn judged<C>(
    corpus: Vec<C>,
    theirs: Vec<(String, Verdict, String)>,
    case: impl Fn(&C) -> (&'static str, Verdict, Option<&'static str>),
    mut ours: impl AsyncFnMut(&C) -> Result<(), String>,
) -> Vec<Compared> {
    assert_eq!(theirs.len(), corpus.len(), "one verdict per case");
    let mut rows = Vec::new();
    for (c, (name, theirs, their_reason)) in corpus.into_iter().zip(theirs) {
        let (pinned_name, pinned, justified) = case(&c);
        assert_eq!(name, pinned_name);
        let got = ours(&c).await;
        assert_eq!(Verdict::of(&got), pinned, "{name}: ours {got:?}");
        rows.push(Compared {
            name,
            ours: pinned,
            our_reason: got.err().unwrap_or_default(),
            theirs,
            their_reason,
            justified,
        });
    }
    rows
}

/// Prints the comparison and fails on an unjustified difference or a justification that no longer applies.
pub fn report(title: &str, oracle_name: &str, rows: &[Compared]) {
    let mut agreed = 0;
    let mut problems = Vec::new();
    println!(
        "\n{title}: {} cases, ours against {oracle_name}",
        rows.len()
    );
    for r in rows {
        let differs = r.ours != r.theirs;
        let mark = match (differs, r.justified) {
            (false, None) => {
                agreed += 1;
                "agree"
            }
            (true, Some(_)) => "DIFFER (justified)",
            (true, None) => {
                problems.push(format!("{}: unjustified difference", r.name));
                "DIFFER (UNJUSTIFIED)"
            }
            (false, Some(_)) => {
                problems.push(format!(
                    "{}: justified as a difference, but both now agree",
                    r.name
                ));
                "agree (but a difference was expected)"
            }
        };
        println!(
            "  {:<52} ours {:<6} {oracle_name} {:<6} {mark}",
            r.name,
            format!("{:?}", r.ours),
            format!("{:?}", r.theirs)
        );
        if differs || r.justified.is_some() {
            println!("      ours:   {}", r.our_reason);
            println!("      theirs: {}", r.their_reason);
            if let Some(why) = r.justified {
                println!("      why:    {why}");
            }
        }
    }
    let differed = rows.len() - agreed;
    println!("{title}: {agreed} agreed, {differed} differed, each with its clause");
    assert!(problems.is_empty(), "{problems:#?}");
}
