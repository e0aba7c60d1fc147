//! The audit's record: one [`OrgReport`] per organization, `report.json` for pipelines and `index.html`, a
//! gallery with one card per organization (its screenshot, expected against seen for each check).

use std::path::Path;

use serde::Serialize;

use super::Subject;
use super::check::{Check, Expected, Seen, parse_hex};
use crate::{AdminError, StatsSnapshot};

/// One organization's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrgReport {
    pub org_id: Option<String>,
    pub name: String,
    pub display_name: String,
    /// Every check ran and passed.
    pub passed: bool,
    pub checks: Vec<Check>,
    /// Why the page could not be checked (not on the tenant, Chromium missing, the page did not load).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The screenshot's file name in the report's directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub screenshot: Option<String>,
    /// The URL the browser ended on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_url: Option<String>,
}

impl OrgReport {
    pub fn checked(expected: &Expected, seen: &Seen, checks: Vec<Check>) -> Self {
        Self {
            org_id: Some(expected.org_id.clone()),
            name: expected.name.clone(),
            display_name: expected.display_name.clone(),
            passed: !checks.is_empty() && checks.iter().all(|c| c.passed),
            checks,
            error: None,
            screenshot: None,
            page_url: Some(seen.url.clone()),
        }
    }

    /// The page could not be opened or read.
    pub fn failed(expected: &Expected, why: &str) -> Self {
        Self {
            org_id: Some(expected.org_id.clone()),
            name: expected.name.clone(),
            display_name: expected.display_name.clone(),
            passed: false,
            checks: Vec::new(),
            error: Some(why.to_owned()),
            screenshot: None,
            page_url: None,
        }
    }

    /// Nothing could be checked for `subject`; `why` for a ready one (an unchecked one says its own reason).
    pub fn not_checked(subject: &Subject, why: &str) -> Self {
        match subject {
            Subject::Ready(e) => Self::failed(e, why),
            Subject::Unchecked { name, reason } => Self {
                org_id: None,
                name: name.clone(),
                display_name: name.clone(),
                passed: false,
                checks: Vec::new(),
                error: Some(format!("organization {name}: {reason}")),
                screenshot: None,
                page_url: None,
            },
        }
    }

    /// One line for a log: `PASS acme (org_…)` or `FAIL acme (org_…): logo: expected …, seen …`.
    pub fn line(&self) -> String {
        let who = match &self.org_id {
            Some(id) => format!("{} ({id})", self.name),
            None => self.name.clone(),
        };
        if self.passed {
            return format!("PASS {who}: {} checks passed", self.checks.len());
        }
        let mut why: Vec<String> = self
            .checks
            .iter()
            .filter(|c| !c.passed)
            .map(|c| format!("{}: expected {}, seen {}", c.name, c.expected, c.seen))
            .collect();
        if let Some(e) = &self.error {
            why.push(e.clone());
        }
        format!("FAIL {who}: {}", why.join("; "))
    }
}

/// A screenshot's file name in the report's directory: `<organization id>.png`, only for an id of Auth0's shape
/// (`org_` and letters or digits), so no name on the tenant can reach a path outside the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreenshotName(String);

impl ScreenshotName {
    /// `None` unless `org_id` is `org_` followed by ASCII letters and digits only.
    pub fn for_org(org_id: &str) -> Option<Self> {
        let rest = org_id.strip_prefix("org_")?;
        (!rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric()))
            .then(|| Self(format!("{org_id}.png")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Counts over the whole audit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub organizations: usize,
    pub passed: usize,
    pub failed: usize,
}

/// The whole audit, as `report.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The tenant's base URL.
    pub tenant: String,
    /// What the pages were checked against: "the Management API" or the `--expect` file.
    pub expected_from: String,
    /// RFC 3339.
    pub started_at: String,
    pub elapsed_secs: f64,
    pub summary: Summary,
    /// Requests to the Management API while reading what to expect.
    pub management_api: StatsSnapshot,
    pub organizations: Vec<OrgReport>,
}

impl Report {
    pub fn new(
        tenant: String,
        expected_from: String,
        started_at: String,
        elapsed_secs: f64,
        management_api: StatsSnapshot,
        mut organizations: Vec<OrgReport>,
    ) -> Self {
        organizations.sort_by(|a, b| a.name.cmp(&b.name));
        let passed = organizations.iter().filter(|o| o.passed).count();
        Self {
            tenant,
            expected_from,
            started_at,
            elapsed_secs,
            summary: Summary {
                organizations: organizations.len(),
                passed,
                failed: organizations.len() - passed,
            },
            management_api,
            organizations,
        }
    }

    /// Writes `report.json`, `index.html` and the screenshots into `dir` (created if needed).
    pub fn write(
        &self,
        dir: &Path,
        screenshots: &[(ScreenshotName, Vec<u8>)],
    ) -> Result<(), AdminError> {
        let io = |what: &Path, e: std::io::Error| {
            AdminError::Config(format!("could not write {}: {e}", what.display()))
        };
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        for (name, png) in screenshots {
            let path = dir.join(name.as_str());
            std::fs::write(&path, png).map_err(|e| io(&path, e))?;
        }
        let json = serde_json::to_string_pretty(self).expect("a report serializes");
        let path = dir.join("report.json");
        std::fs::write(&path, json + "\n").map_err(|e| io(&path, e))?;
        let path = dir.join("index.html");
        std::fs::write(&path, self.html()).map_err(|e| io(&path, e))?;
        Ok(())
    }

    /// The gallery: failed organizations first, then the rest, each a card.
    pub fn html(&self) -> String {
        let mut orgs: Vec<&OrgReport> = self.organizations.iter().collect();
        orgs.sort_by_key(|o| o.passed);
        let cards: String = orgs.iter().map(|o| card(o)).collect();
        let s = &self.summary;
        format!(
            r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Login branding: {passed}/{total} passed</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ margin: 0; font: 14px/1.4 system-ui, sans-serif; background: #f1f3f5; color: #212529; }}
header {{ padding: 20px 28px; background: #fff; border-bottom: 1px solid #dee2e6; }}
h1 {{ margin: 0 0 4px; font-size: 1.4rem; }}
.meta {{ color: #495057; }}
.grid {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(460px, 1fr)); gap: 18px; padding: 22px 28px;
         align-items: start; }}
.card {{ background: #fff; border-radius: 8px; box-shadow: 0 2px 8px rgba(0,0,0,.08); overflow: hidden;
         border-top: 6px solid #2b8a3e; }}
.card.fail {{ border-top-color: #c92a2a; }}
.card h2 {{ margin: 0; font-size: 1.1rem; }}
.head {{ display: flex; justify-content: space-between; align-items: baseline; padding: 12px 16px; }}
.badge {{ font-weight: 700; padding: 2px 10px; border-radius: 10px; color: #fff; background: #2b8a3e; }}
.fail .badge {{ background: #c92a2a; }}
.id {{ color: #868e96; font-size: .85rem; padding: 0 16px; }}
.shot {{ display: block; width: 100%; border-top: 1px solid #e9ecef; border-bottom: 1px solid #e9ecef; }}
.error {{ margin: 12px 16px; padding: 8px 10px; background: #fff5f5; color: #c92a2a; border-radius: 4px; }}
table {{ width: 100%; border-collapse: collapse; font-size: .85rem; }}
td, th {{ padding: 5px 12px; text-align: left; vertical-align: top; border-bottom: 1px solid #f1f3f5; overflow-wrap: anywhere; }}
td:first-child {{ white-space: nowrap; font-weight: 600; }}
th {{ color: #495057; font-weight: 600; }}
tr.fail td {{ background: #fff5f5; }}
.ok {{ color: #2b8a3e; font-weight: 700; }} .no {{ color: #c92a2a; font-weight: 700; }}
.swatch {{ display: inline-block; width: 12px; height: 12px; border: 1px solid #adb5bd; vertical-align: -2px; margin-right: 4px; }}
</style></head>
<body><header><h1>Login branding: {passed} of {total} organizations passed</h1>
<div class="meta">Tenant <code>{tenant}</code> · expected from {from} · {started} · {elapsed:.1} s · {failed} failed</div></header>
<div class="grid">{cards}</div></body></html>
"#,
            passed = s.passed,
            total = s.organizations,
            failed = s.failed,
            tenant = esc(&self.tenant),
            from = esc(&self.expected_from),
            started = esc(&self.started_at),
            elapsed = self.elapsed_secs,
        )
    }
}

fn card(o: &OrgReport) -> String {
    let class = if o.passed { "card" } else { "card fail" };
    let badge = if o.passed { "PASS" } else { "FAIL" };
    let shot = o
        .screenshot
        .as_ref()
        .map(|f| {
            format!(
                "<a href=\"{f}\"><img class=\"shot\" src=\"{f}\" alt=\"login page of {name}\" loading=\"lazy\"></a>",
                f = esc(f),
                name = esc(&o.name)
            )
        })
        .unwrap_or_default();
    let error = o
        .error
        .as_ref()
        .map(|e| format!("<div class=\"error\">{}</div>", esc(e)))
        .unwrap_or_default();
    let rows: String = o
        .checks
        .iter()
        .map(|c| {
            format!(
                "<tr class=\"{cls}\"><td>{name}</td><td>{exp}</td><td>{seen}</td><td class=\"{mark_cls}\">{mark}</td></tr>",
                cls = if c.passed { "" } else { "fail" },
                name = esc(&c.name),
                exp = with_swatch(&c.expected),
                seen = with_swatch(&c.seen),
                mark_cls = if c.passed { "ok" } else { "no" },
                mark = if c.passed { "✓" } else { "✗" },
            )
        })
        .collect();
    let table = if rows.is_empty() {
        String::new()
    } else {
        format!(
            "<table><tr><th>check</th><th>expected</th><th>seen</th><th></th></tr>{rows}</table>"
        )
    };
    let id = o.org_id.as_deref().unwrap_or("not on the tenant");
    format!(
        "<section class=\"{class}\" id=\"org-{name}\"><div class=\"head\"><h2>{display}</h2><span class=\"badge\">{badge}</span></div>\
         <div class=\"id\">{name} · {id}</div>{error}{shot}{table}</section>",
        name = esc(&o.name),
        display = esc(&o.display_name),
        id = esc(id),
    )
}

/// A colour value gets a little square of itself next to the text.
fn with_swatch(text: &str) -> String {
    match parse_hex(text) {
        Some(_) => format!(
            "<span class=\"swatch\" style=\"background:{c}\"></span>{c}",
            c = esc(text)
        ),
        None => esc(text),
    }
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(name: &str, passed: bool) -> OrgReport {
        OrgReport {
            org_id: Some(format!("org_{name}")),
            name: name.into(),
            display_name: format!("<b>{name}</b>"),
            passed,
            checks: vec![Check {
                name: "primary_color".into(),
                expected: "#d9480f".into(),
                seen: if passed { "#d9480f" } else { "#635dff" }.into(),
                passed,
            }],
            error: None,
            screenshot: Some(format!("org_{name}.png")),
            page_url: None,
        }
    }

    #[test]
    fn the_summary_counts_and_the_gallery_escapes_and_puts_failures_first() {
        let r = Report::new(
            "http://127.0.0.1:1/".into(),
            "the Management API".into(),
            "2026-12-03T06:00:00Z".into(),
            1.5,
            StatsSnapshot::default(),
            vec![org("zeta", true), org("alpha", false), org("beta", true)],
        );
        assert_eq!(
            r.summary,
            Summary {
                organizations: 3,
                passed: 2,
                failed: 1
            }
        );
        let names: Vec<&str> = r.organizations.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["alpha", "beta", "zeta"]);
        let html = r.html();
        assert!(html.contains("<title>Login branding: 2/3 passed</title>"));
        assert!(html.contains("&lt;b&gt;alpha&lt;/b&gt;") && !html.contains("<b>alpha</b>"));
        let first_card = html.find("id=\"org-").unwrap();
        assert!(html[first_card..].starts_with("id=\"org-alpha\""));
        assert!(
            html.contains("<span class=\"swatch\" style=\"background:#635dff\"></span>#635dff")
        );
        assert_eq!(
            r.organizations[0].line(),
            "FAIL alpha (org_alpha): primary_color: expected #d9480f, seen #635dff"
        );
        assert_eq!(
            r.organizations[1].line(),
            "PASS beta (org_beta): 1 checks passed"
        );
    }

    #[test]
    fn a_screenshot_is_named_by_the_organization_id_never_by_a_path() {
        assert_eq!(
            ScreenshotName::for_org("org_AcmeA1b2C3d4E5f6").map(|n| n.0),
            Some("org_AcmeA1b2C3d4E5f6.png".to_owned())
        );
        for id in [
            "org_../../etc/passwd",
            "org_a/b",
            "org_a\\b",
            "org_",
            "org_.",
            "org_a.b",
            "org_ a",
            "org_ä",
            "../org_abc",
            "/tmp/org_abc",
            "acme",
            "",
        ] {
            assert_eq!(ScreenshotName::for_org(id), None, "{id}");
        }
    }

    #[test]
    fn an_organization_named_like_a_path_writes_only_its_id_png_inside_the_directory() {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("out");
        let mut evil = org("../../escaped", false);
        evil.org_id = Some("org_Evil1".into());
        let mut slashed = org("a/b", false);
        slashed.org_id = Some("org_Slash2".into());
        let r = Report::new(
            String::new(),
            String::new(),
            String::new(),
            0.0,
            StatsSnapshot::default(),
            vec![evil, slashed],
        );
        let shots: Vec<(ScreenshotName, Vec<u8>)> = ["org_Evil1", "org_Slash2"]
            .iter()
            .map(|id| (ScreenshotName::for_org(id).unwrap(), b"png".to_vec()))
            .collect();
        r.write(&dir, &shots).unwrap();
        let mut written: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        written.sort();
        assert_eq!(
            written,
            [
                "index.html",
                "org_Evil1.png",
                "org_Slash2.png",
                "report.json"
            ]
        );
        let beside: Vec<_> = std::fs::read_dir(parent.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(beside, ["out"]);
    }

    #[test]
    fn a_missing_organization_is_a_failed_card_with_its_reason() {
        let r = OrgReport::not_checked(
            &Subject::Unchecked {
                name: "ghost".into(),
                reason: "not on the tenant".into(),
            },
            "",
        );
        assert!(!r.passed);
        assert_eq!(
            r.line(),
            "FAIL ghost: organization ghost: not on the tenant"
        );
    }
}
