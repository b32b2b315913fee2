//! Parser tests.
use super::*;

#[test]
fn dbg_env() {
    if let Ok(sql) = std::env::var("BRISK_SQL") {
        for r in parse_script(&sql) {
            println!("{:#?}", r);
        }
    }
}
