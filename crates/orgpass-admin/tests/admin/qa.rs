//! `qa branding` against devtenant in real headless Chromium: the demo organizations pass and their screenshots
//! (named by organization id) show their own logo and colours; a change made after `apply`, a logo that 404s, an
//! unknown organization, a missing Chromium and root without `--no-sandbox` each fail with the reason named; no
//! process of the audit listens on a TCP port; 200 organizations within the tenant's rate limits.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;

use devtenant::{Running, Seed, SpawnOptions};
use orgpass_admin::qa::{BrowserError, BrowserOptions, Chromium, Selectors};
use serde_json::Value;

use crate::cli::{cmd, ok, stderr, stdout};
use crate::support::*;

const ACME: &str = "org_AcmeA1b2C3d4E5f6";
const GLOBEX: &str = "org_GlobexG7h8I9j0K1";
const INITECH: &str = "org_InitechL2m3N4o5p";

async fn qa(t: &Running, out: &Path, args: &[&str]) -> Output {
    qa_for(t, "orgpass-desktop", out, args).await
}

/// `qa branding` with `--no-sandbox`: the tests run as root in CI, where Chromium cannot use its sandbox.
async fn qa_for(t: &Running, login_client: &str, out: &Path, args: &[&str]) -> Output {
    cmd(t)
        .args(["qa", "branding", "--no-sandbox"])
        .args(["--login-client-id", login_client, "--out"])
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

/// Width and height of a PNG.
fn size(png: &[u8]) -> (u32, u32) {
    let reader = png::Decoder::new(std::io::Cursor::new(png))
        .read_info()
        .unwrap();
    (reader.info().width, reader.info().height)
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
        assert_eq!(size(&png), (1000, 800), "{name}: the configured window");
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
            "--chromedriver",
            "/usr/bin/chromedriver",
        ],
    )
    .await;
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).starts_with(
            "warning: --chromedriver is deprecated and ignored: Chromium is now driven directly over a pipe, \
             without chromedriver; drop the flag\n"
        ),
        "{}",
        stderr(&o)
    );
    let out = stdout(&o);
    let why = "Chromium is not installed (not found at /nonexistent/chromium): install the package chromium \
               (Debian and Ubuntu: `sudo apt-get install chromium`), or pass --chromium";
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

#[tokio::test]
async fn as_root_without_no_sandbox_every_card_says_why() {
    if !is_root() {
        // Only root is refused: a normal user's Chromium starts with its sandbox, without the flag.
        return;
    }
    let t = start().await;
    let dir = tempfile::tempdir().unwrap();
    let o = cmd(&t)
        .args(["qa", "branding", "--login-client-id", "orgpass-desktop"])
        .args(["--org", "acme", "--org", "globex", "--out"])
        .arg(dir.path())
        .output()
        .await
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let why = "Chromium cannot use its sandbox when run as root, so pass --no-sandbox only in a container or CI \
               where that is acceptable, or run as a normal user";
    let out = stdout(&o);
    assert!(
        out.contains(&format!("FAIL acme ({ACME}): {why}\n")),
        "{out}"
    );
    assert!(
        out.contains(&format!("FAIL globex ({GLOBEX}): {why}\n")),
        "{out}"
    );
    let r = report(dir.path());
    assert_eq!(r["summary"]["failed"], 2);
    assert_eq!(r["organizations"][0]["error"], why);
    assert_eq!(files(dir.path()), ["index.html", "report.json"]);
}

#[tokio::test]
async fn while_an_audit_runs_none_of_its_processes_listens_on_a_tcp_port() {
    // 30 organizations in 2 browsers: long enough to look at the audit's processes many times.
    let generated = devtenant::generate::generate(27, &[]).unwrap();
    let mut seed: Seed = devtenant::generate::check(&generated).unwrap();
    seed.tenant.rate_limits = devtenant::ratelimit::RateLimitConfig::off();
    let t = start_with(seed).await;
    // The check sees a listener where there is one: devtenant's, in this test process.
    let me = std::process::id();
    assert!(
        sockets(me)
            .intersection(&listening_sockets(&[me]))
            .next()
            .is_some(),
        "devtenant's listener in this process is not seen, so the check below could not fail"
    );
    let dir = tempfile::tempdir().unwrap();
    let child = cmd(&t)
        .args([
            "qa",
            "branding",
            "--no-sandbox",
            "--login-client-id",
            "orgpass-desktop",
        ])
        .args(["--all", "--concurrency", "2", "--out"])
        .arg(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let audit = child.id().unwrap();
    let run = tokio::spawn(child.wait_with_output());
    let (mut samples, mut with_chromium) = (0, 0);
    let mut chromiums = BTreeSet::new();
    while !run.is_finished() {
        let procs = descendants(audit);
        let listening = listening_sockets(&procs);
        for pid in &procs {
            let open = sockets(*pid);
            let listeners: Vec<&u64> = open.intersection(&listening).collect();
            assert!(
                listeners.is_empty(),
                "process {pid} ({}) of the audit listens on TCP (sockets {listeners:?}): {}",
                comm(*pid),
                cmdline(*pid)
            );
        }
        let running: Vec<(u32, u64)> = procs
            .iter()
            .filter(|p| comm(**p) == "chromium")
            .filter_map(|p| Some((*p, start_time(*p)?)))
            .collect();
        if !running.is_empty() {
            with_chromium += 1;
        }
        chromiums.extend(running);
        samples += 1;
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let o = run.await.unwrap().unwrap();
    let out = ok(&o);
    assert_eq!(out.matches("PASS ").count(), 30, "{out}");
    assert!(
        with_chromium >= 5,
        "Chromium was seen in {with_chromium} of {samples} samples: the audit was not looked at while it ran"
    );
    // Two browsers, each with its helper processes (zygotes, renderers).
    assert!(chromiums.len() > 2, "{chromiums:?}");
    // Every Chromium process is gone once the audit is over.
    gone(&chromiums.into_iter().collect::<Vec<_>>()).await;
}

#[tokio::test]
async fn a_page_that_cannot_be_reached_fails_with_its_url_and_a_dropped_session_leaves_no_chromium()
{
    let chromium = Chromium::find(BrowserOptions {
        insecure_no_sandbox: is_root(),
        ..BrowserOptions::default()
    })
    .unwrap();
    let session = chromium.session().await.unwrap();
    // A port nothing listens on any more.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let url = format!("http://{closed}/authorize");
    match session.visit(&url, &Selectors::default()).await {
        Err(BrowserError::Page { url: seen, cause }) => {
            assert_eq!(seen, url);
            assert_eq!(cause, "net::ERR_CONNECTION_REFUSED");
        }
        other => panic!("{:?}", other.map(|(seen, _)| seen)),
    }
    // This browser: the Chromium this process started over a pipe, and every process below it.
    let me = std::process::id();
    let browser: Vec<u32> = descendants(me)
        .into_iter()
        .filter(|p| {
            stat_field(*p, 1) == Some(me.to_string())
                && cmdline(*p).contains("--remote-debugging-pipe")
        })
        .collect();
    assert_eq!(browser.len(), 1, "{browser:?}");
    let profile = cmdline(browser[0])
        .split(' ')
        .find_map(|a| a.strip_prefix("--user-data-dir="))
        .map(std::path::PathBuf::from)
        .unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(
        std::fs::metadata(&profile).unwrap().permissions().mode() & 0o777,
        0o700,
        "{}",
        profile.display()
    );
    let processes: Vec<(u32, u64)> = descendants(browser[0])
        .into_iter()
        .filter_map(|p| Some((p, start_time(p)?)))
        .collect();
    assert!(processes.len() > 1, "{processes:?}");
    drop(session);
    assert!(
        !profile.exists(),
        "{} outlived its browser",
        profile.display()
    );
    gone(&processes).await;
}

/// Waits up to 10 s for every one of `processes` (pid, start time) to have exited.
async fn gone(processes: &[(u32, u64)]) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let alive: Vec<&(u32, u64)> = processes
            .iter()
            .filter(|(pid, started)| start_time(*pid) == Some(*started) && state(*pid) != Some('Z'))
            .collect();
        if alive.is_empty() {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "Chromium processes outlived their browser: {alive:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt as _;
    std::fs::metadata("/proc/self").unwrap().uid() == 0
}

/// `root` and every process below it, from the parent ids in `/proc/*/stat`.
fn descendants(root: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| Some((pid, stat_field(pid, 1)?.parse().ok()?)))
        .collect();
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(
            parents
                .iter()
                .filter(|(_, pp)| *pp == parent)
                .map(|(p, _)| *p),
        );
        i += 1;
    }
    found
}

/// Field `n` of `/proc/<pid>/stat` counted from the state (0), after the parenthesised command name.
fn stat_field(pid: u32, n: usize) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(n).map(str::to_owned)
}

fn state(pid: u32) -> Option<char> {
    stat_field(pid, 0)?.chars().next()
}

/// When the process started (ticks since boot): a pid with another start time is another process.
fn start_time(pid: u32) -> Option<u64> {
    stat_field(pid, 19)?.parse().ok()
}

fn comm(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .unwrap_or_default()
        .trim()
        .to_owned()
}

fn cmdline(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/cmdline"))
        .unwrap_or_default()
        .replace('\0', " ")
}

/// The inodes of TCP sockets in state LISTEN (0A) in the network namespaces of `pids` (IPv4 and IPv6).
fn listening_sockets(pids: &[u32]) -> BTreeSet<u64> {
    let mut inodes = BTreeSet::new();
    for pid in pids {
        for table in ["tcp", "tcp6"] {
            let text =
                std::fs::read_to_string(format!("/proc/{pid}/net/{table}")).unwrap_or_default();
            for line in text.lines().skip(1) {
                let f: Vec<&str> = line.split_whitespace().collect();
                if f.len() > 9 && f[3] == "0A" {
                    inodes.extend(f[9].parse::<u64>().ok());
                }
            }
        }
    }
    inodes
}

/// The inodes of the sockets `pid` has open (`/proc/<pid>/fd/* -> socket:[inode]`).
fn sockets(pid: u32) -> BTreeSet<u64> {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return BTreeSet::new();
    };
    fds.filter_map(|fd| {
        let link = std::fs::read_link(fd.ok()?.path()).ok()?;
        link.to_str()?
            .strip_prefix("socket:[")?
            .strip_suffix(']')?
            .parse()
            .ok()
    })
    .collect()
}
