//! `qa branding` against devtenant in real headless Chromium: the demo organizations pass and their screenshots
//! show their own logo and colours; a change made after `apply`, a logo that 404s, an unknown organization and a
//! missing Chromium each fail with the check named; 200 organizations within the tenant's rate limits.

use std::path::Path;
use std::process::Output;

use devtenant::{Running, Seed, SpawnOptions};
use serde_json::Value;

use crate::cli::{cmd, ok, stderr, stdout};
use crate::support::*;

const ACME: &str = "org_AcmeA1b2C3d4E5f6";
const GLOBEX: &str = "org_GlobexG7h8I9j0K1";
const INITECH: &str = "org_InitechL2m3N4o5p";

async fn qa(t: &Running, out: &Path, args: &[&str]) -> Output {
    qa_for(t, "orgpass-desktop", out, args).await
}

async fn qa_for(t: &Running, login_client: &str, out: &Path, args: &[&str]) -> Output {
    cmd(t)
        .args(["qa", "branding", "--login-client-id", login_client, "--out"])
        .arg(out)
        .args(args)
        .output()
        .await
        .unwrap()
}

fn report(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap()
}

/// The failed checks of one organization in report.json, as (check, seen).
fn failed_checks(report: &Value, name: &str) -> Vec<(String, String)> {
    let org = report["organizations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == name)
        .unwrap_or_else(|| panic!("{name} in {report}"));
    org["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["passed"] == false)
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_owned(),
                c["seen"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// How many pixels of the screenshot have exactly this colour.
fn pixels(png: &[u8], hex: &str) -> usize {
    let want: Vec<u8> = (0..3)
        .map(|i| u8::from_str_radix(&hex[1 + 2 * i..3 + 2 * i], 16).unwrap())
        .collect();
    let mut reader = png::Decoder::new(std::io::Cursor::new(png))
        .read_info()
        .unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let step = info.color_type.samples();
    buf[..info.buffer_size()]
        .chunks(step)
        .filter(|p| p[..3] == want[..])
        .count()
}

/// The names of the files in `dir`, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

/// A picture of the gallery, as QA sees it, in `artifacts/screenshots/{name}.png` (headless Chromium's own
/// `--screenshot`).
async fn save_gallery(dir: &Path, name: &str) {
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../artifacts/screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let profile = tempfile::tempdir().unwrap();
    let o = tokio::process::Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--hide-scrollbars",
            "--window-size=1500,1300",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!(
            "--screenshot={}",
            shots.join(format!("{name}.png")).display()
        ))
        .arg(format!("file://{}", dir.join("index.html").display()))
        .output()
        .await
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[tokio::test]
async fn every_demo_organization_passes_and_its_screenshot_shows_its_own_branding() {
    let t = start().await;
    let dir = tempfile::tempdir().unwrap();
    let o = qa(&t, dir.path(), &["--all"]).await;
    let out = ok(&o);
    for (name, id) in [("acme", ACME), ("globex", GLOBEX), ("initech", INITECH)] {
        assert!(
            out.contains(&format!("PASS {name} ({id}): 5 checks passed\n")),
            "{out}"
        );
    }
    assert!(
        out.contains("3 passed, 0 failed. Gallery: ") && out.contains("index.html"),
        "{out}"
    );
    let r = report(dir.path());
    assert_eq!(
        r["summary"],
        serde_json::json!({"organizations": 3, "passed": 3, "failed": 0})
    );
    let acme = &r["organizations"][0];
    assert_eq!(acme["name"], "acme");
    let checks: Vec<(&str, &str, &str)> = acme["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap(),
                c["expected"].as_str().unwrap(),
                c["seen"].as_str().unwrap(),
            )
        })
        .collect();
    let logo = format!("{}branding/acme.svg", t.issuer);
    assert_eq!(
        checks,
        [
            (
                "logo",
                logo.as_str(),
                format!("{logo} (160×64 px)").as_str()
            ),
            ("primary_color", "#d9480f", "#d9480f"),
            ("page_background", "#fff4e6", "#fff4e6"),
            (
                "display_name",
                "Acme Corporation",
                "\"Log in to Acme Corporation\""
            ),
            (
                "connections",
                "username and password, google-oauth2 button",
                "username and password, google-oauth2 button"
            ),
        ]
    );
    let html = std::fs::read_to_string(dir.path().join("index.html")).unwrap();
    assert!(html.contains("Login branding: 3 of 3 organizations passed"));
    assert_eq!(html.matches("<section class=\"card\"").count(), 3);
    save_gallery(dir.path(), "qa-branding-gallery").await;
    // Screenshots are named by organization id, never by name; each shows its own organization's colours and
    // logo, and none of another's.
    #[rustfmt::skip]
    let looks = [
        ("acme", ACME, "#d9480f", "#fff4e6", "#7a2a06"),
        ("globex", GLOBEX, "#2b8a3e", "#ebfbee", "#1b5e2a"),
        ("initech", INITECH, "#1864ab", "#e7f5ff", "#0b3d6b"),
    ];
    assert_eq!(
        files(dir.path()),
        [
            "index.html".to_owned(),
            format!("{ACME}.png"),
            format!("{GLOBEX}.png"),
            format!("{INITECH}.png"),
            "report.json".to_owned()
        ]
    );
    for (name, id, primary, background, logo_text) in looks {
        assert!(html.contains(&format!("src=\"{id}.png\"")));
        assert_eq!(
            r["organizations"]
                .as_array()
                .unwrap()
                .iter()
                .find(|o| o["name"] == name)
                .unwrap()["screenshot"],
            format!("{id}.png")
        );
        let png = std::fs::read(dir.path().join(format!("{id}.png"))).unwrap();
        assert!(pixels(&png, primary) > 5_000, "{name}: the continue button");
        assert!(pixels(&png, background) > 100_000, "{name}: the page");
        assert!(pixels(&png, logo_text) > 20, "{name}: the logo's lettering");
        for (other, _, other_primary, _, _) in looks {
            if other != name {
                assert_eq!(
                    pixels(&png, other_primary),
                    0,
                    "{name} shows {other}'s colour"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_change_after_apply_a_broken_logo_and_an_unknown_organization_fail_with_the_check_named()
{
    let t = start().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("orgs.toml");
    ok(&cmd(&t)
        .arg("export")
        .arg("--output")
        .arg(&file)
        .output()
        .await
        .unwrap());
    ok(&cmd(&t).arg("apply").arg(&file).output().await.unwrap());
    // After apply, someone changes acme's primary colour in the Management API.
    ok(&cmd(&t)
        .args(["orgs", "update", "acme", "--primary-color", "#000000"])
        .output()
        .await
        .unwrap());
    let out_dir = dir.path().join("expect");
    let o = qa(&t, &out_dir, &["--expect", file.to_str().unwrap()]).await;
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains(&format!(
            "FAIL acme ({ACME}): primary_color: expected #d9480f, seen #000000\n"
        )),
        "{out}"
    );
    assert!(out.contains(&format!("PASS globex ({GLOBEX})")), "{out}");
    assert!(out.contains(&format!("PASS initech ({INITECH})")), "{out}");
    assert_eq!(
        stderr(&o),
        format!(
            "error: 1 of 3 organizations failed the branding checks (see above); the gallery is {}\n",
            out_dir.join("index.html").display()
        )
    );
    let r = report(&out_dir);
    assert_eq!(
        failed_checks(&r, "acme"),
        [("primary_color".to_owned(), "#000000".to_owned())]
    );
    assert!(
        r["expected_from"]
            .as_str()
            .unwrap()
            .starts_with("the file ")
    );
    // With --expect, organizations are named as the file names them.
    let o = qa(
        &t,
        &dir.path().join("by-id"),
        &["--expect", file.to_str().unwrap(), "--org", ACME],
    )
    .await;
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        format!(
            "error: organization {ACME} is not in the --expect file; with --expect, name organizations as the \
             file does (by name)\n"
        )
    );

    // A logo URL that 404s, and an organization that is not on the tenant.
    let missing = format!("{}branding/missing.svg", t.issuer);
    ok(&cmd(&t)
        .args(["orgs", "update", "globex", "--logo-url", &missing])
        .output()
        .await
        .unwrap());
    let out_dir = dir.path().join("logo");
    let o = qa(&t, &out_dir, &["--org", "globex", "--org", "ghost"]).await;
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains(&format!(
            "FAIL globex ({GLOBEX}): logo: expected {missing}, seen {missing} (broken: it did not load)\n"
        )),
        "{out}"
    );
    assert!(
        out.contains("FAIL ghost: organization ghost: not on the tenant\n"),
        "{out}"
    );
    let html = std::fs::read_to_string(out_dir.join("index.html")).unwrap();
    assert_eq!(html.matches("<section class=\"card fail\"").count(), 2);
    assert!(out_dir.join(format!("{GLOBEX}.png")).is_file());
    save_gallery(&out_dir, "qa-branding-gallery-failures").await;

    // A login page that does not load: the tenant answers /authorize with its error page instead.
    let out_dir = dir.path().join("page");
    let o = qa_for(&t, "no-such-client", &out_dir, &["--org", "acme"]).await;
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    let line = out
        .lines()
        .find(|l| l.starts_with("FAIL acme"))
        .unwrap_or_default();
    assert!(
        line.starts_with(&format!(
            "FAIL acme ({ACME}): page: expected the login page, seen {}authorize?",
            t.issuer
        )),
        "{out}"
    );
    assert_eq!(
        failed_checks(&report(&out_dir), "acme")
            .into_iter()
            .map(|(name, _)| name)
            .collect::<Vec<_>>(),
        ["page"]
    );
}

#[tokio::test]
async fn without_chromium_every_card_says_which_packages_to_install() {
    let t = start().await;
    let dir = tempfile::tempdir().unwrap();
    let o = qa(
        &t,
        dir.path(),
        &[
            "--org",
            "acme",
            "--org",
            "initech",
            "--chromium",
            "/nonexistent/chromium",
        ],
    )
    .await;
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    let why = "Chromium is not installed (not found at /nonexistent/chromium): install the packages chromium and \
               chromium-driver (Debian and Ubuntu: `sudo apt-get install chromium chromium-driver`), or pass \
               --chromium and --chromedriver";
    assert!(
        out.contains(&format!("FAIL acme ({ACME}): {why}\n")),
        "{out}"
    );
    assert!(
        out.contains(&format!("FAIL initech ({INITECH}): {why}\n")),
        "{out}"
    );
    let r = report(dir.path());
    assert_eq!(r["summary"]["failed"], 2);
    assert_eq!(r["organizations"][0]["error"], why);
    let html = std::fs::read_to_string(dir.path().join("index.html")).unwrap();
    assert_eq!(html.matches("<section class=\"card fail\"").count(), 2);
}

#[tokio::test]
async fn two_hundred_organizations_are_audited_within_the_rate_limits() {
    // 197 generated organizations besides the three demo ones, each with its own colours and a logo, on a
    // tenant limited like a paid B2B one (the demo seed's preset).
    let generated = devtenant::generate::generate(197, &[]).unwrap();
    let seed: Seed = devtenant::generate::check(&generated).unwrap();
    assert_eq!(seed.organizations.len(), 200);
    let t = devtenant::spawn(seed, SpawnOptions::default())
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let o = qa(&t, dir.path(), &["--all", "--concurrency", "4"]).await;
    let out = ok(&o);
    assert_eq!(out.matches("PASS ").count(), 200, "{out}");
    let summary = out.lines().last().unwrap();
    assert!(
        summary.starts_with("Checked 200 organizations in "),
        "{summary}"
    );
    assert!(summary.contains("200 passed, 0 failed."), "{summary}");
    // The figure for the README.
    eprintln!("{summary}");
    let r = report(dir.path());
    // The organizations' list, the tenant's connections, and each organization's enabled connections.
    let succeeded = r["management_api"]["succeeded"].as_u64().unwrap();
    assert!(succeeded >= 202, "{}", r["management_api"]);
    let shots: Vec<String> = files(dir.path())
        .into_iter()
        .filter(|f| f.ends_with(".png"))
        .collect();
    assert_eq!(shots.len(), 200);
    assert!(
        shots.contains(&format!("{}.png", devtenant::generate::org_id(196))),
        "{shots:?}"
    );
}
