//! The `vomo-sim` binary prints its customers before serving, and they work.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use reqwest::StatusCode;

#[tokio::test]
async fn binary_prints_customer_lines_then_serves_them() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vomo-sim"))
        .args(["--port", "0", "--customers", "2", "--children", "0", "--users", "40"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().expect("stdout");
    let lines: Vec<String> = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .take_while(|line| !line.starts_with("external "))
        .collect();

    let customers: Vec<Vec<&str>> = lines
        .iter()
        .filter(|l| l.starts_with("customer"))
        .map(|l| l.split(' ').collect())
        .collect();
    assert_eq!(customers.len(), 2, "{lines:?}");
    assert!(customers.iter().all(|c| c.len() == 4 && c[0] == "customer" && c[2] == "token"));
    let api = lines.iter().find_map(|l| l.strip_prefix("api ")).expect("api line").to_owned();

    let answer = super::support::http()
        .get(format!("{api}/users"))
        .bearer_auth(customers[0][3])
        .send()
        .await
        .expect("served");
    let status = answer.status();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(status, StatusCode::OK);
}
