//! Figures for README's client-grants paragraph, printed, not asserted as times: the binary's `apply` of 200 new
//! organizations with two grants each, its `export`, and the `apply` of that export, under devtenant's paid B2B
//! rate limits (the demo seed's preset). Run it with
//! `cargo test -p orgpass-admin --test admin -- --ignored --nocapture measure::`.

use std::time::Instant;

use crate::cli::{cmd, ok};
use crate::support::*;

const API: &str = "https://api.orgpass.example/";
const BILLING: &str = "https://billing.orgpass.example/";

/// Runs the binary with `args` against `t`, and says how long it took and what its last stdout line was.
async fn timed(t: &devtenant::Running, args: &[&std::ffi::OsStr]) -> (f64, String) {
    let start = Instant::now();
    let out = cmd(t).args(args).output().await.unwrap();
    let secs = start.elapsed().as_secs_f64();
    let last = ok(&out).lines().last().unwrap_or_default().to_owned();
    (secs, last)
}

#[tokio::test]
#[ignore = "about 16 minutes in a debug build: the figures in README, run by hand"]
async fn apply_and_export_of_200_organizations_with_two_grants_each() {
    let t = start_with(devtenant::Seed::demo()).await;
    let mut file = format!(
        "[[client_grants]]\nclient_id = \"orgpass-ingest\"\naudience = \"{BILLING}\"\nscope = [\"read:invoices\"]\n\
         organization_usage = \"require\"\n"
    );
    for i in 0..200 {
        file += &format!(
            "\n[[organizations]]\nname = \"m2m-{i:03}\"\nclient_grants = [\n  {{ client_id = \"orgpass-ingest\", \
             audience = \"{API}\" }},\n  {{ client_id = \"orgpass-ingest\", audience = \"{BILLING}\" }},\n]\n"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let (new, exported) = (dir.path().join("new.toml"), dir.path().join("export.toml"));
    std::fs::write(&new, file).unwrap();

    let (apply_secs, applied) = timed(&t, &["apply".as_ref(), new.as_os_str()]).await;
    assert!(applied.starts_with("Applied in "), "{applied}");
    let (export_secs, wrote) = timed(
        &t,
        &["export".as_ref(), "--output".as_ref(), exported.as_os_str()],
    )
    .await;
    assert!(wrote.starts_with("Wrote 203 organization(s)"), "{wrote}");
    let (reapply_secs, again) = timed(&t, &["apply".as_ref(), exported.as_os_str()]).await;
    assert_eq!(again, "Nothing to do.");
    eprintln!(
        "apply of 200 new organizations with two grants each: {apply_secs:.0} s wall; {applied}"
    );
    eprintln!("export of the 203 organizations: {export_secs:.0} s; {wrote}");
    eprintln!("apply of that export: {reapply_secs:.0} s; {again}");
}
