//! Parser tests.
use super::*;

#[test]
fn dbg_env() {
    if let Ok(sql) = std::env::var("BRISK_SQL") {
        for r in parse_script(&sql) {
            match r {
                Ok(p) => println!("OK  {}", p.stmt),
                Err(e) => println!("ERR {:?}", e),
            }
        }
    }
    if let Ok(path) = std::env::var("BRISK_LINES") {
        for line in std::fs::read_to_string(path).unwrap().lines() {
            let r: Vec<String> = parse_script(line)
                .map(|r| match r {
                    Ok(p) => format!("OK {}", p.stmt),
                    Err(e) => e.message,
                })
                .collect();
            println!("{line}\t{}", r.join(" | "));
        }
    }
}
