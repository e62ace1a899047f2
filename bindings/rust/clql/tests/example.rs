//! Runs examples/workspace_size (built by `cargo test` beside this test)
//! and checks its batch and workspace for the recorded 4 GiB and 80 GB cards
//! against clql-probe planning the same layer.
mod common;

use std::process::Command;

fn example() -> std::path::PathBuf {
    // target/<profile>/deps/example-<hash> -> target/<profile>/examples/workspace_size
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().join("examples/workspace_size")
}

/// (batch, workspace bytes) of each device the example reports.
fn run(args: &[&str], env: &[(&str, &str)]) -> Vec<(String, u64, u64)> {
    let mut cmd = Command::new(example());
    for var in ["CLQL_MEM_FRACTION", "CLQL_MEM_LIMIT", "CLQL_MEM_RESERVE", "CLQL_MAX_BATCH"] {
        cmd.env_remove(var);
    }
    let out = cmd.envs(env.iter().copied()).args(args).output().expect("run the example (a plain `cargo test` builds it)");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{}\n{}", text, String::from_utf8_lossy(&out.stderr));
    println!("{}", text);
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for pair in lines[1..].chunks(2) {
        let words: Vec<&str> = pair[1].split_whitespace().collect();
        assert_eq!(words[0], "batch", "{}", pair[1]);
        let ws = words.iter().position(|w| *w == "workspace").unwrap();
        found.push((pair[0].to_string(), words[1].parse().unwrap(), words[ws + 1].parse().unwrap()));
    }
    found
}

#[test]
fn example_plans_equal_clql_probe() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    // The batch cap binds at the defaults; without it max_alloc does.
    let cases: [(u64, u64, &str, &[(&str, &str)]); 3] = [
        (2560, 6912, "I2S", &[]),
        (6912, 2560, "TL2", &[]),
        (2560, 6912, "I2S", &[("CLQL_MAX_BATCH", "1000000000")]),
    ];
    for (k, n, q, env) in cases {
        let found = run(&["--in", &k.to_string(), "--out", &n.to_string(), "--qtype", q], env);
        assert_eq!(found.len(), 3, "the default device and two records");
        let model = dir.join(format!("example-{}x{}.txt", n, k));
        std::fs::write(&model, format!("layer {} {}\n", n, k)).unwrap();
        for (i, id) in ["gpu-4gib-synthetic", "nvidia-h100-80gb-hbm3-derived"].iter().enumerate() {
            let arg = format!("{}:{}", common::devices_file().display(), id);
            let j = common::probe(&["--profile", &arg, "--plan", model.to_str().unwrap(), "--qtype", q, "--json"], env);
            let plan = j.get("devices").at(0).get("plan");
            let (label, batch, ws) = &found[i + 1];
            assert!(label.contains(id), "{}", label);
            assert_eq!(*batch, plan.get("max_batch").u64(), "{} batch", id);
            assert_eq!(*ws, plan.get("workspace_bytes").u64(), "{} workspace", id);
        }
    }
}

#[test]
fn example_refuses_bad_arguments() {
    let out = Command::new(example()).args(["--qtype", "Q9"]).output().expect("run the example");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("CLQL_ERR_INVALID_QTYPE"));
}
