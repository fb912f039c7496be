//! `cargo xtask report` and the `--plot` flags: the page is self-contained,
//! and a headless Chromium renders every plot on it without a console
//! message. The browser part is skipped, with a note, where Chromium is
//! not installed (`.ci/run` installs Debian's `chromium`).
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn xtask(args: &[&str], dir: &Path) -> (bool, String, String) {
    common::run(args, Some(dir))
}

fn dir(name: &str) -> PathBuf {
    common::fresh_dir("report", name)
}

/// The Chromium binary on the PATH, if any.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |d| d.join(name)))
        .find(|p| p.is_file())
}

/// Open a page in headless Chromium with a fresh profile and no network;
/// the DOM after scripts ran, and the browser's log. A browser that hangs
/// fails the test after a minute instead of stalling CI.
fn open(browser: &Path, page: &Path, work: &Path) -> (String, String) {
    let profile = work.join("profile");
    std::fs::create_dir_all(&profile).unwrap();
    let (dom, log) = (work.join("dom.html"), work.join("chromium.log"));
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .stdout(std::fs::File::create(&dom).unwrap())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("chromium starts");
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > std::time::Duration::from_secs(60) {
            let _ = child.kill();
            panic!("chromium did not finish in 60 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let log = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(status.success(), "chromium failed ({status}): {log}");
    (std::fs::read_to_string(&dom).unwrap(), log)
}

/// An attribute of the `<body>` tag.
fn body_attribute(dom: &str, name: &str) -> Option<String> {
    let start = dom.find("<body")?;
    let tag = &dom[start..start + dom[start..].find('>')?];
    let at = tag.find(&format!("{name}=\""))? + name.len() + 2;
    Some(tag[at..at + tag[at..].find('"')?].to_string())
}

#[test]
fn the_report_is_one_self_contained_page_that_renders_every_plot() {
    let d = dir("page");
    let (ok, _, err) = xtask(
        &[
            "sweep",
            "--arch",
            "neuralpim/isaac",
            "--set",
            "array.dac_bits=1,2,4",
            "-o",
            "s.csv",
        ],
        &d,
    );
    assert!(ok, "{err}");
    let (ok, _, err) = xtask(&["report", "-o", "r.html", "--sweep", "s.csv"], &d);
    assert!(ok, "{err}");
    let page = std::fs::read_to_string(d.join("r.html")).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    // Nothing is fetched: no external stylesheet, script, image or font.
    for fetch in [
        "src=", "href=", "url(", "@import", "<link", "<img", "<iframe",
    ] {
        assert!(!page.contains(fetch), "the page contains `{fetch}`");
    }
    let plots = page.matches("<svg").count();
    assert_eq!(plots, 3, "compare, sweep and reproduce plots");
    assert!(page.contains("neuralpim/isaac") && page.contains("gpu-h200"));
    assert!(page.contains("<h2>Reproduction of the published numbers</h2>"));

    let Some(browser) = chromium() else {
        eprintln!("SKIPPED: Chromium is not installed; the report was not opened in a browser");
        return;
    };
    let (dom, log) = open(&browser, &d.join("r.html"), &d);
    assert_eq!(
        body_attribute(&dom, "data-plots").as_deref(),
        Some("3"),
        "the page's check did not run"
    );
    assert_eq!(
        body_attribute(&dom, "data-rendered").as_deref(),
        Some("3"),
        "a plot did not render"
    );
    assert!(
        !dom.contains("plot failed"),
        "a figure was marked as failed"
    );
    // Chromium logs every console message of the page as `CONSOLE`; the
    // page logs nothing, so any such line is an error it raised.
    let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(console.is_empty(), "the page logged: {console:#?}");
}

#[test]
fn the_report_replaces_its_own_page_but_not_a_users_file() {
    let d = dir("replace");
    std::fs::write(d.join("index.html"), "<p>my page</p>").unwrap();
    let (ok, _, err) = xtask(&["report", "-o", "index.html", "--network", "lenet5"], &d);
    assert!(!ok && err.contains("not a pimzoo report"), "{err}");
    assert_eq!(
        std::fs::read_to_string(d.join("index.html")).unwrap(),
        "<p>my page</p>"
    );
    let (ok, _, err) = xtask(&["report", "-o", "r.html", "--network", "lenet5"], &d);
    assert!(ok, "{err}");
    let (ok, _, err) = xtask(&["report", "-o", "r.html", "--network", "lenet5"], &d);
    assert!(ok, "a second report replaces the first: {err}");
}

#[test]
fn compare_and_reproduce_draw_their_plots() {
    let d = dir("plots");
    let (ok, out, err) = xtask(
        &[
            "compare",
            "--arch",
            "gpu",
            "neuralpim",
            "systolic",
            "--precision",
            "int8",
            "--baseline",
            "gpu/h200",
            "--plot",
            "c.svg",
        ],
        &d,
    );
    assert!(ok, "{err}");
    assert!(
        out.contains("neuralpim/isaac"),
        "the table is still printed"
    );
    let svg = std::fs::read_to_string(d.join("c.svg")).unwrap();
    for text in [
        "relative to gpu/h200 (×, log scale)",
        "share of the energy (%)",
        "energy per sample (J)",
        "systolic/tpu-v1",
        "not run: ",
    ] {
        assert!(svg.contains(text), "the compare plot lacks `{text}`");
    }
    let (ok, _, err) = xtask(&["compare", "--baseline", "tpu", "--plot", "c2.svg"], &d);
    assert!(!ok && err.contains("--baseline `tpu`"), "{err}");

    let (_, _, err) = xtask(&["reproduce", "--plot", "r.svg"], &d);
    let svg = std::fs::read_to_string(d.join("r.svg"))
        .unwrap_or_else(|e| panic!("no reproduce plot ({e}): {err}"));
    for text in [
        "paper value (entry&apos;s unit, log scale)",
        "model / paper (×, log scale)",
        "tolerance band",
    ] {
        assert!(svg.contains(text), "the reproduce plot lacks `{text}`");
    }
}
