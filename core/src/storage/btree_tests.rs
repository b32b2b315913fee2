//! Tests of the B-tree layer against a model (std's BTreeMap) on small pages, so trees get deep
//! and payloads overflow; every phase ends with the integrity check.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound::{Excluded, Unbounded};
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::io::memory::MemoryIo;
use crate::io::Io;
use crate::storage::btree::{
    clear_tree, create_tree, drop_tree, max_rowid, BTreeCursor, InsertKey, SeekKey, SeekOp, TreeKind,
};
use crate::storage::btree_page::{header_offset, Geometry, PageInfo};
use crate::storage::header::{put_u16, put_u32};
use crate::storage::integrity::integrity_check;
use crate::storage::pager::{PageNumber, Pager, PagerOptions};
use crate::storage::record::{encode_record, KeyInfo, TextEncoding};
use crate::storage::IoPoll;
use crate::value::Value;

/// xorshift64*: deterministic and dependency-free.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

pub(crate) fn wait<T>(pager: &mut Pager, mut f: impl FnMut(&mut Pager) -> Result<IoPoll<T>>) -> Result<T> {
    for _ in 0..1_000_000 {
        match f(pager)? {
            IoPoll::Ready(v) => return Ok(v),
            IoPoll::Pending => pager.run_io()?,
        }
    }
    panic!("I/O never completed");
}

fn open_pager(io: &Arc<MemoryIo>, page_size: usize, cache_pages: i64) -> Pager {
    let io: Arc<dyn Io> = io.clone();
    Pager::open(io, "test.db", PagerOptions { page_size, cache_size: cache_pages, ..PagerOptions::default() }).unwrap()
}

/// A payload whose bytes depend on the key and a version, so a wrong or stale row shows.
fn payload(key: i64, version: u64, len: usize) -> Vec<u8> {
    (0..len).map(|i| (key as u64).wrapping_mul(31).wrapping_add(version * 7 + i as u64) as u8).collect()
}

fn payload_len(rng: &mut Rng) -> usize {
    match rng.below(100) {
        0..=44 => rng.below(20) as usize,
        45..=79 => 20 + rng.below(180) as usize,
        80..=94 => 200 + rng.below(1800) as usize,
        _ => 2000 + rng.below(4000) as usize,
    }
}

fn check(pager: &mut Pager, roots: &[(PageNumber, bool, String)]) {
    let errors = integrity_check(pager, roots, 100).unwrap();
    assert!(errors.is_empty(), "integrity check failed: {errors:#?}");
}

fn roots(table: PageNumber, index: PageNumber) -> Vec<(PageNumber, bool, String)> {
    vec![(1, false, "sqlite_schema".into()), (table, false, "t".into()), (index, true, "i".into())]
}

fn scan_table(pager: &mut Pager, c: &mut BTreeCursor, backwards: bool) -> Vec<(i64, Vec<u8>)> {
    let mut out = Vec::new();
    let mut on = if backwards { wait(pager, |p| c.last(p)).unwrap() } else { wait(pager, |p| c.rewind(p)).unwrap() };
    while on {
        let rowid = c.rowid().unwrap();
        let data = wait(pager, |p| {
            c.payload(p).map(|r| match r {
                IoPoll::Ready(d) => IoPoll::Ready(d.to_vec()),
                IoPoll::Pending => IoPoll::Pending,
            })
        })
        .unwrap();
        out.push((rowid, data));
        on = if backwards { wait(pager, |p| c.prev(p)).unwrap() } else { wait(pager, |p| c.next(p)).unwrap() };
    }
    assert!(c.is_eof());
    if backwards {
        out.reverse();
    }
    out
}

fn cursor_payload(pager: &mut Pager, c: &mut BTreeCursor) -> Vec<u8> {
    wait(pager, |p| {
        c.payload(p).map(|r| match r {
            IoPoll::Ready(d) => IoPoll::Ready(d.to_vec()),
            IoPoll::Pending => IoPoll::Pending,
        })
    })
    .unwrap()
}

/// What the model says a seek should find.
fn model_seek<K: Ord + Clone, V>(model: &BTreeMap<K, V>, key: &K, op: SeekOp) -> Option<K> {
    use std::ops::Bound::*;
    match op {
        SeekOp::EQ => model.contains_key(key).then(|| key.clone()),
        SeekOp::GE => model.range((Included(key), Unbounded)).next().map(|(k, _)| k.clone()),
        SeekOp::GT => model.range((Excluded(key), Unbounded)).next().map(|(k, _)| k.clone()),
        SeekOp::LE => model.range((Unbounded, Included(key))).next_back().map(|(k, _)| k.clone()),
        SeekOp::LT => model.range((Unbounded, Excluded(key))).next_back().map(|(k, _)| k.clone()),
    }
}

const OPS: [SeekOp; 5] = [SeekOp::EQ, SeekOp::GE, SeekOp::GT, SeekOp::LE, SeekOp::LT];

fn table_model_run(seed: u64, page_size: usize, phases: usize, ops_per_phase: usize) {
    let io = Arc::new(MemoryIo::new());
    let mut pager = open_pager(&io, page_size, 30);
    pager.begin_write(false).unwrap();
    let root = create_tree(&mut pager, &TreeKind::Table).unwrap();
    let index_root = create_tree(&mut pager, &TreeKind::Index(KeyInfo::new(1, TextEncoding::Utf8))).unwrap();
    pager.commit().unwrap();
    let all_roots = roots(root, index_root);

    let mut rng = Rng::new(seed);
    let mut model: BTreeMap<i64, Vec<u8>> = BTreeMap::new();
    let mut committed = model.clone();
    let mut version = 0u64;
    let mut next_append = 1i64;
    for phase in 0..phases {
        pager.begin_write(false).unwrap();
        let mut c = BTreeCursor::new(root, TreeKind::Table);
        let mut other = BTreeCursor::new(root, TreeKind::Table);
        for _ in 0..ops_per_phase {
            version += 1;
            match rng.below(100) {
                0..=39 => {
                    // Insert or replace; a third are appends at the right edge.
                    let key = if rng.chance(33) {
                        next_append += 1 + rng.below(3) as i64;
                        next_append
                    } else if rng.chance(5) {
                        [i64::MIN, i64::MAX, -1, 0][rng.below(4) as usize]
                    } else {
                        rng.below(3000) as i64 - 100
                    };
                    let data = payload(key, version, payload_len(&mut rng));
                    c.insert(&mut pager, InsertKey::Rowid(key), &data).unwrap();
                    assert_eq!(c.rowid().unwrap(), key);
                    assert_eq!(cursor_payload(&mut pager, &mut c), data);
                    model.insert(key, data);
                }
                40..=59 => {
                    // Delete a random existing key through a seek.
                    let key = rng.below(3000) as i64 - 100;
                    let found = wait(&mut pager, |p| c.seek(p, SeekKey::Rowid(key), SeekOp::GE)).unwrap();
                    assert_eq!(found.then(|| c.rowid().unwrap()), model_seek(&model, &key, SeekOp::GE));
                    if found {
                        let k = c.rowid().unwrap();
                        c.delete(&mut pager).unwrap();
                        model.remove(&k);
                        // next() lands on the entry that followed, prev() on the one before.
                        if rng.chance(50) {
                            let on = wait(&mut pager, |p| c.next(p)).unwrap();
                            let want = model.range(k..).next().map(|(k, _)| *k);
                            assert_eq!(on.then(|| c.rowid().unwrap()), want);
                        } else {
                            let on = wait(&mut pager, |p| c.prev(p)).unwrap();
                            let want = model.range(..k).next_back().map(|(k, _)| *k);
                            assert_eq!(on.then(|| c.rowid().unwrap()), want);
                        }
                    }
                }
                60..=64 => {
                    // A DELETE loop over a range, with a second cursor reading in between.
                    let lo = rng.below(3000) as i64 - 100;
                    let span = rng.below(200) as i64;
                    let mut on = wait(&mut pager, |p| c.seek(p, SeekKey::Rowid(lo), SeekOp::GE)).unwrap();
                    while on && c.rowid().unwrap() <= lo + span {
                        let k = c.rowid().unwrap();
                        if rng.chance(70) {
                            c.delete(&mut pager).unwrap();
                            model.remove(&k);
                            if let Some((&probe, want)) = model.iter().nth(rng.below(model.len() as u64 + 1) as usize) {
                                assert!(wait(&mut pager, |p| other.seek(p, SeekKey::Rowid(probe), SeekOp::EQ)).unwrap());
                                assert_eq!(&cursor_payload(&mut pager, &mut other), want);
                            }
                        }
                        on = wait(&mut pager, |p| c.next(p)).unwrap();
                        let want = model.range((Excluded(k), Unbounded)).next().map(|(k, _)| *k);
                        assert_eq!(on.then(|| c.rowid().unwrap()), want, "after {k}");
                    }
                }
                65..=89 => {
                    let key = rng.below(3200) as i64 - 200;
                    let op = OPS[rng.below(5) as usize];
                    let found = wait(&mut pager, |p| c.seek(p, SeekKey::Rowid(key), op)).unwrap();
                    let want = model_seek(&model, &key, op);
                    assert_eq!(found.then(|| c.rowid().unwrap()), want, "seek {op:?} {key}");
                    if let Some(k) = want {
                        assert_eq!(&cursor_payload(&mut pager, &mut c), &model[&k]);
                        // Step a few entries either way.
                        let forward = rng.chance(50);
                        let mut expect = k;
                        for _ in 0..rng.below(20) {
                            let on = if forward {
                                wait(&mut pager, |p| c.next(p)).unwrap()
                            } else {
                                wait(&mut pager, |p| c.prev(p)).unwrap()
                            };
                            let want = if forward {
                                model.range((Excluded(expect), Unbounded)).next()
                            } else {
                                model.range(..expect).next_back()
                            };
                            assert_eq!(on.then(|| c.rowid().unwrap()), want.map(|(k, _)| *k));
                            match want {
                                Some((k, v)) => {
                                    expect = *k;
                                    assert_eq!(&cursor_payload(&mut pager, &mut c), v);
                                }
                                None => break,
                            }
                        }
                    } else {
                        assert!(c.is_eof());
                    }
                }
                90..=94 => {
                    let got = scan_table(&mut pager, &mut other, rng.chance(50));
                    let want: Vec<(i64, Vec<u8>)> = model.iter().map(|(k, v)| (*k, v.clone())).collect();
                    assert_eq!(got.len(), want.len());
                    assert!(got == want, "scan differs from the model");
                }
                _ => {
                    let n = wait(&mut pager, |p| c.count(p)).unwrap();
                    assert_eq!(n, model.len() as u64);
                    assert_eq!(max_rowid(&mut pager, root).unwrap(), model.keys().next_back().copied());
                }
            }
        }
        check(&mut pager, &all_roots);
        if phase % 4 == 3 {
            pager.rollback().unwrap();
            model = committed.clone();
        } else {
            pager.commit().unwrap();
            committed = model.clone();
        }
        // A fresh pager on the same file sees exactly the committed rows.
        if phase % 3 == 0 {
            drop(c);
            drop(other);
            pager = open_pager(&io, page_size, 30);
        }
        pager.begin_read().unwrap();
        check(&mut pager, &all_roots);
        let mut c = BTreeCursor::new(root, TreeKind::Table);
        let got = scan_table(&mut pager, &mut c, false);
        assert!(
            got == committed.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>(),
            "phase {phase}: committed rows differ"
        );
        pager.end_read();
    }
}

#[test]
fn table_tree_matches_model() {
    table_model_run(1, 512, 12, 600);
}

#[test]
fn table_tree_matches_model_other_seeds() {
    for seed in 2..5 {
        table_model_run(seed, 512, 6, 500);
    }
    table_model_run(9, 1024, 6, 800);
}

/// Index entries: (a, b, rowid) with a an integer, b a text that is sometimes long enough to
/// overflow; Rust's tuple order is the record order under BINARY collation.
type IdxKey = (i64, String, i64);

fn idx_record(k: &IdxKey) -> Vec<u8> {
    encode_record(&[Value::Integer(k.0), Value::text(&k.1), Value::Integer(k.2)], TextEncoding::Utf8)
}

fn idx_text(rng: &mut Rng) -> String {
    let len = match rng.below(100) {
        0..=59 => rng.below(12) as usize,
        60..=89 => 12 + rng.below(100) as usize,
        _ => 100 + rng.below(3000) as usize,
    };
    (0..len).map(|_| (b'a' + rng.below(26) as u8) as char).collect()
}

fn decode_idx(rec: &[u8]) -> IdxKey {
    let v = crate::storage::record::decode_record(rec, TextEncoding::Utf8).unwrap();
    match (&v[0], &v[1], &v[2]) {
        (Value::Integer(a), Value::Text(b), Value::Integer(r)) => (*a, b.to_string(), *r),
        other => panic!("bad index record {other:?}"),
    }
}

fn idx_current(pager: &mut Pager, c: &mut BTreeCursor) -> IdxKey {
    decode_idx(&cursor_payload(pager, c))
}

fn index_model_run(seed: u64, page_size: usize, phases: usize, ops_per_phase: usize) {
    let io = Arc::new(MemoryIo::new());
    let mut pager = open_pager(&io, page_size, 30);
    let kind = TreeKind::Index(KeyInfo::new(3, TextEncoding::Utf8));
    pager.begin_write(false).unwrap();
    let table_root = create_tree(&mut pager, &TreeKind::Table).unwrap();
    let root = create_tree(&mut pager, &kind).unwrap();
    pager.commit().unwrap();
    let all_roots = roots(table_root, root);
    let mut rng = Rng::new(seed);
    let mut model: BTreeSet<IdxKey> = BTreeSet::new();
    let mut committed = model.clone();
    let mut next_rowid = 0i64;
    for phase in 0..phases {
        pager.begin_write(false).unwrap();
        let mut c = BTreeCursor::new(root, kind.clone());
        let mut other = BTreeCursor::new(root, kind.clone());
        for _ in 0..ops_per_phase {
            match rng.below(100) {
                0..=44 => {
                    let key = if rng.chance(20) && !model.is_empty() {
                        // Re-insert an existing key: replaces it.
                        model.iter().nth(rng.below(model.len() as u64) as usize).unwrap().clone()
                    } else {
                        next_rowid += 1;
                        (rng.below(60) as i64 - 10, idx_text(&mut rng), next_rowid)
                    };
                    let rec = idx_record(&key);
                    c.insert(&mut pager, InsertKey::Index(&rec), &[]).unwrap();
                    assert_eq!(idx_current(&mut pager, &mut c), key);
                    model.insert(key);
                }
                45..=64 => {
                    // Delete the first entry with a given `a` (a prefix seek).
                    let a = rng.below(60) as i64 - 10;
                    let found =
                        wait(&mut pager, |p| c.seek(p, SeekKey::Index(&[Value::Integer(a)]), SeekOp::EQ)).unwrap();
                    let want = model.iter().find(|k| k.0 == a).cloned();
                    assert_eq!(found, want.is_some());
                    if let Some(k) = want {
                        assert_eq!(idx_current(&mut pager, &mut c), k);
                        c.delete(&mut pager).unwrap();
                        model.remove(&k);
                        if rng.chance(50) {
                            let on = wait(&mut pager, |p| c.next(p)).unwrap();
                            let want = model.range(k.clone()..).next().cloned();
                            assert_eq!(on.then(|| idx_current(&mut pager, &mut c)), want);
                        } else {
                            let on = wait(&mut pager, |p| c.prev(p)).unwrap();
                            let want = model.range(..k.clone()).next_back().cloned();
                            assert_eq!(on.then(|| idx_current(&mut pager, &mut c)), want);
                        }
                    }
                }
                65..=69 => {
                    // Delete every entry with a given `a`, stepping with next().
                    let a = rng.below(60) as i64 - 10;
                    let mut on =
                        wait(&mut pager, |p| c.seek(p, SeekKey::Index(&[Value::Integer(a)]), SeekOp::GE)).unwrap();
                    while on {
                        let k = idx_current(&mut pager, &mut c);
                        if k.0 != a {
                            break;
                        }
                        c.delete(&mut pager).unwrap();
                        model.remove(&k);
                        if let Some(probe) = model.iter().nth(rng.below(model.len() as u64 + 1) as usize).cloned() {
                            let vals = [Value::Integer(probe.0), Value::text(&probe.1), Value::Integer(probe.2)];
                            assert!(wait(&mut pager, |p| other.seek(p, SeekKey::Index(&vals), SeekOp::EQ)).unwrap());
                            assert_eq!(idx_current(&mut pager, &mut other), probe);
                        }
                        on = wait(&mut pager, |p| c.next(p)).unwrap();
                        let want = model.range(k.clone()..).next().cloned();
                        assert_eq!(on.then(|| idx_current(&mut pager, &mut c)), want);
                    }
                }
                70..=92 => {
                    // Seeks with a one-column prefix or a full key.
                    let op = OPS[rng.below(5) as usize];
                    let a = rng.below(64) as i64 - 12;
                    let full = rng.chance(40) && !model.is_empty();
                    let probe_key = if full {
                        model.iter().nth(rng.below(model.len() as u64) as usize).unwrap().clone()
                    } else {
                        (a, String::new(), 0)
                    };
                    let vals: Vec<Value> = if full {
                        vec![Value::Integer(probe_key.0), Value::text(&probe_key.1), Value::Integer(probe_key.2)]
                    } else {
                        vec![Value::Integer(a)]
                    };
                    let found = wait(&mut pager, |p| c.seek(p, SeekKey::Index(&vals), op)).unwrap();
                    let want = if full {
                        let m: BTreeMap<IdxKey, ()> = model.iter().map(|k| (k.clone(), ())).collect();
                        model_seek(&m, &probe_key, op)
                    } else {
                        match op {
                            SeekOp::EQ => model.iter().find(|k| k.0 == a).cloned(),
                            SeekOp::GE => model.iter().find(|k| k.0 >= a).cloned(),
                            SeekOp::GT => model.iter().find(|k| k.0 > a).cloned(),
                            SeekOp::LE => model.iter().rev().find(|k| k.0 <= a).cloned(),
                            SeekOp::LT => model.iter().rev().find(|k| k.0 < a).cloned(),
                        }
                    };
                    assert_eq!(found.then(|| idx_current(&mut pager, &mut c)), want, "seek {op:?} full={full}");
                    if let Some(mut expect) = want {
                        let forward = rng.chance(50);
                        for _ in 0..rng.below(15) {
                            let on = if forward {
                                wait(&mut pager, |p| c.next(p)).unwrap()
                            } else {
                                wait(&mut pager, |p| c.prev(p)).unwrap()
                            };
                            let next = if forward {
                                model
                                    .range((std::ops::Bound::Excluded(expect.clone()), std::ops::Bound::Unbounded))
                                    .next()
                                    .cloned()
                            } else {
                                model.range(..expect.clone()).next_back().cloned()
                            };
                            assert_eq!(on.then(|| idx_current(&mut pager, &mut c)), next);
                            match next {
                                Some(k) => expect = k,
                                None => break,
                            }
                        }
                    }
                }
                _ => {
                    let backwards = rng.chance(50);
                    let mut got = Vec::new();
                    let mut on = if backwards {
                        wait(&mut pager, |p| other.last(p)).unwrap()
                    } else {
                        wait(&mut pager, |p| other.rewind(p)).unwrap()
                    };
                    while on {
                        got.push(idx_current(&mut pager, &mut other));
                        on = if backwards {
                            wait(&mut pager, |p| other.prev(p)).unwrap()
                        } else {
                            wait(&mut pager, |p| other.next(p)).unwrap()
                        };
                    }
                    if backwards {
                        got.reverse();
                    }
                    assert!(got == model.iter().cloned().collect::<Vec<_>>(), "index scan differs from the model");
                    assert_eq!(wait(&mut pager, |p| other.count(p)).unwrap(), model.len() as u64);
                }
            }
        }
        check(&mut pager, &all_roots);
        if phase % 4 == 2 {
            pager.rollback().unwrap();
            model = committed.clone();
        } else {
            pager.commit().unwrap();
            committed = model.clone();
        }
        pager.begin_read().unwrap();
        check(&mut pager, &all_roots);
        pager.end_read();
    }
    // Empty the tree entirely with a delete loop; the root must end as an empty leaf.
    pager.begin_write(false).unwrap();
    let mut c = BTreeCursor::new(root, kind.clone());
    let mut on = wait(&mut pager, |p| c.rewind(p)).unwrap();
    while on {
        c.delete(&mut pager).unwrap();
        on = wait(&mut pager, |p| c.next(p)).unwrap();
    }
    assert_eq!(wait(&mut pager, |p| c.count(p)).unwrap(), 0);
    check(&mut pager, &all_roots);
    pager.commit().unwrap();
}

#[test]
fn index_tree_matches_model() {
    index_model_run(11, 512, 10, 700);
}

#[test]
fn index_tree_matches_model_other_seeds() {
    for seed in 12..15 {
        index_model_run(seed, 512, 5, 500);
    }
    index_model_run(19, 1024, 5, 800);
}

#[test]
fn sequential_appends_fill_leaves() {
    // balance_quick: appending rowids leaves every leaf but the last nearly full, as SQLite does.
    let io = Arc::new(MemoryIo::new());
    let mut pager = open_pager(&io, 1024, 100);
    pager.begin_write(false).unwrap();
    let root = create_tree(&mut pager, &TreeKind::Table).unwrap();
    let mut c = BTreeCursor::new(root, TreeKind::Table);
    for i in 1..=20_000 {
        c.insert(&mut pager, InsertKey::Rowid(i), &payload(i, 0, 20)).unwrap();
    }
    check(&mut pager, &[(1, false, "s".into()), (root, false, "t".into())]);
    // 20000 rows of 23-byte cells + 2-byte pointers: about 40 rows per 1016-byte leaf.
    let pages = pager.page_count();
    assert!(pages < 20_000 / 38 + 20, "{pages} pages for 20000 appended rows");
    assert_eq!(wait(&mut pager, |p| c.count(p)).unwrap(), 20_000);
    pager.commit().unwrap();
}

#[test]
fn clear_and_drop_free_every_page() {
    let io = Arc::new(MemoryIo::new());
    let mut pager = open_pager(&io, 512, 50);
    pager.begin_write(false).unwrap();
    let t = create_tree(&mut pager, &TreeKind::Table).unwrap();
    let kind = TreeKind::Index(KeyInfo::new(3, TextEncoding::Utf8));
    let i = create_tree(&mut pager, &kind).unwrap();
    let mut c = BTreeCursor::new(t, TreeKind::Table);
    let mut ci = BTreeCursor::new(i, kind.clone());
    let mut rng = Rng::new(5);
    for k in 0..2000 {
        c.insert(&mut pager, InsertKey::Rowid(k), &payload(k, 1, payload_len(&mut rng))).unwrap();
        ci.insert(&mut pager, InsertKey::Index(&idx_record(&(k % 7, idx_text(&mut rng), k))), &[]).unwrap();
    }
    check(&mut pager, &roots(t, i));
    clear_tree(&mut pager, t).unwrap();
    assert!(!wait(&mut pager, |p| c.rewind(p)).unwrap());
    check(&mut pager, &roots(t, i));
    drop_tree(&mut pager, i).unwrap();
    check(&mut pager, &[(1, false, "s".into()), (t, false, "t".into())]);
    // Every freed page is reused before the file grows.
    let before = pager.page_count();
    let t2 = create_tree(&mut pager, &TreeKind::Table).unwrap();
    let mut c2 = BTreeCursor::new(t2, TreeKind::Table);
    for k in 0..200 {
        c2.insert(&mut pager, InsertKey::Rowid(k), &payload(k, 2, 100)).unwrap();
    }
    assert_eq!(pager.page_count(), before);
    check(&mut pager, &[(1, false, "s".into()), (t, false, "t".into()), (t2, false, "t2".into())]);
    pager.commit().unwrap();
}

#[test]
fn cursor_restores_after_writes_through_another_cursor() {
    let io = Arc::new(MemoryIo::new());
    let mut pager = open_pager(&io, 512, 50);
    pager.begin_write(false).unwrap();
    let t = create_tree(&mut pager, &TreeKind::Table).unwrap();
    let mut w = BTreeCursor::new(t, TreeKind::Table);
    for k in 0..500 {
        w.insert(&mut pager, InsertKey::Rowid(k * 2), &payload(k, 0, 50)).unwrap();
    }
    let mut r = BTreeCursor::new(t, TreeKind::Table);
    assert!(wait(&mut pager, |p| r.seek(p, SeekKey::Rowid(300), SeekOp::EQ)).unwrap());
    // Splits everywhere, then delete the reader's row: the reader reads it as a null row and
    // moves on to its neighbours.
    for k in 0..500 {
        w.insert(&mut pager, InsertKey::Rowid(k * 2 + 1), &payload(k, 0, 80)).unwrap();
    }
    assert_eq!(r.rowid().unwrap(), 300);
    assert_eq!(cursor_payload(&mut pager, &mut r), payload(150, 0, 50));
    assert!(wait(&mut pager, |p| w.seek(p, SeekKey::Rowid(300), SeekOp::EQ)).unwrap());
    w.delete(&mut pager).unwrap();
    assert!(cursor_payload(&mut pager, &mut r).is_empty());
    assert!(wait(&mut pager, |p| r.next(p)).unwrap());
    assert_eq!(r.rowid().unwrap(), 301);
    assert!(wait(&mut pager, |p| r.prev(p)).unwrap());
    assert_eq!(r.rowid().unwrap(), 299);
    pager.commit().unwrap();
}

#[test]
fn misuse_is_an_error() {
    let io = Arc::new(MemoryIo::new());
    let mut pager = open_pager(&io, 512, 50);
    pager.begin_write(false).unwrap();
    let t = create_tree(&mut pager, &TreeKind::Table).unwrap();
    let mut c = BTreeCursor::new(t, TreeKind::Table);
    assert!(matches!(c.delete(&mut pager), Err(Error::Misuse(_))));
    assert!(matches!(c.seek(&mut pager, SeekKey::Index(&[]), SeekOp::EQ), Err(Error::Misuse(_))));
    assert!(matches!(c.insert(&mut pager, InsertKey::Index(&[]), &[]), Err(Error::Misuse(_))));
    assert!(c.rowid().is_err());
    pager.commit().unwrap();
}

// ---- corrupt pages --------------------------------------------------------------------------

/// A committed file with one table tree of a few levels; returns the io, the root, and a leaf.
fn corrupt_fixture() -> (Arc<MemoryIo>, PageNumber) {
    let io = Arc::new(MemoryIo::new());
    let mut pager = open_pager(&io, 512, 50);
    pager.begin_write(false).unwrap();
    let t = create_tree(&mut pager, &TreeKind::Table).unwrap();
    let mut c = BTreeCursor::new(t, TreeKind::Table);
    for k in 0..400 {
        let len = if k % 50 == 0 { 3000 } else { 30 };
        c.insert(&mut pager, InsertKey::Rowid(k), &payload(k, 0, len)).unwrap();
    }
    pager.commit().unwrap();
    (io, t)
}

/// Applies `edit` to page `pgno` of a committed file and commits.
fn patch(io: &Arc<MemoryIo>, pgno: PageNumber, edit: impl FnOnce(&mut [u8])) {
    let mut pager = open_pager(io, 512, 50);
    pager.begin_write(false).unwrap();
    let page = pager.get_blocking(pgno).unwrap();
    pager.write(&page).unwrap();
    edit(&mut page.write());
    pager.commit().unwrap();
}

fn first_child(io: &Arc<MemoryIo>, pgno: PageNumber) -> (PageNumber, PageNumber) {
    let mut pager = open_pager(io, 512, 50);
    pager.begin_read().unwrap();
    let page = pager.get_blocking(pgno).unwrap();
    let d = page.read();
    let geo = Geometry::new(512);
    let info = PageInfo::parse(&d, pgno, &geo).unwrap();
    if info.is_leaf() {
        return (0, 0);
    }
    (info.child(&d, 0, &geo).unwrap(), info.right_child)
}

/// Runs every read path over the tree and requires a corruption error (never a panic or hang).
fn expect_corrupt(io: &Arc<MemoryIo>, t: PageNumber) {
    let mut pager = open_pager(io, 512, 50);
    pager.begin_read().unwrap();
    let mut c = BTreeCursor::new(t, TreeKind::Table);
    let scan = (|| -> Result<usize> {
        let mut n = 0;
        let mut on = wait(&mut pager, |p| c.rewind(p))?;
        while on {
            wait(&mut pager, |p| {
                c.payload(p).map(|r| match r {
                    IoPoll::Ready(_) => IoPoll::Ready(()),
                    IoPoll::Pending => IoPoll::Pending,
                })
            })?;
            n += 1;
            on = wait(&mut pager, |p| c.next(p))?;
        }
        Ok(n)
    })();
    let back = (|| -> Result<usize> {
        let mut n = 0;
        let mut on = wait(&mut pager, |p| c.last(p))?;
        while on {
            n += 1;
            on = wait(&mut pager, |p| c.prev(p))?;
        }
        Ok(n)
    })();
    let count = wait(&mut pager, |p| c.count(p));
    let errors = integrity_check(&mut pager, &[(1, false, "s".into()), (t, false, "t".into())], 100).unwrap();
    assert!(!errors.is_empty(), "integrity check missed the corruption");
    assert!(
        matches!(scan, Err(Error::Corrupt(_)))
            || matches!(back, Err(Error::Corrupt(_)))
            || matches!(count, Err(Error::Corrupt(_))),
        "no read path reported corruption: {scan:?} {back:?} {count:?}"
    );
    drop(pager);
    // Writing to the corrupt tree reports corruption too, or succeeds without panicking.
    let mut pager = open_pager(io, 512, 50);
    pager.begin_write(false).unwrap();
    let mut c = BTreeCursor::new(t, TreeKind::Table);
    for k in 0..400 {
        match c.insert(&mut pager, InsertKey::Rowid(k), b"x") {
            Ok(()) => {}
            Err(Error::Corrupt(_)) => break,
            Err(e) => panic!("unexpected error {e:?}"),
        }
    }
    pager.rollback().unwrap();
}

#[test]
fn child_pointing_at_itself_is_corrupt() {
    let (io, t) = corrupt_fixture();
    let (child, _) = first_child(&io, t);
    let (_, right) = first_child(&io, child);
    let target = if right != 0 { child } else { t };
    patch(&io, target, |d| {
        let geo = Geometry::new(512);
        let info = PageInfo::parse(d, target, &geo).unwrap();
        let off = info.cell_offset(d, 0, &geo).unwrap();
        put_u32(d, off, target);
    });
    expect_corrupt(&io, t);
}

#[test]
fn child_pointing_at_the_root_is_corrupt() {
    let (io, t) = corrupt_fixture();
    let (child, _) = first_child(&io, t);
    patch(&io, child, |d| put_u32(d, 8, t));
    expect_corrupt(&io, t);
}

#[test]
fn looping_overflow_chain_is_corrupt() {
    let (io, t) = corrupt_fixture();
    // Row 0 has a 3000-byte payload: find its first overflow page and point it at itself.
    let mut pager = open_pager(&io, 512, 50);
    pager.begin_read().unwrap();
    let mut c = BTreeCursor::new(t, TreeKind::Table);
    assert!(wait(&mut pager, |p| c.rewind(p)).unwrap());
    let leaf = {
        let mut pg = t;
        loop {
            let page = pager.get_blocking(pg).unwrap();
            let d = page.read();
            let geo = Geometry::new(512);
            let info = PageInfo::parse(&d, pg, &geo).unwrap();
            if info.is_leaf() {
                break pg;
            }
            pg = info.child(&d, 0, &geo).unwrap();
        }
    };
    let ovfl = {
        let page = pager.get_blocking(leaf).unwrap();
        let d = page.read();
        let geo = Geometry::new(512);
        PageInfo::parse(&d, leaf, &geo).unwrap().cell(&d, 0, &geo).unwrap().overflow
    };
    drop(pager);
    assert_ne!(ovfl, 0);
    patch(&io, ovfl, |d| put_u32(d, 0, ovfl));
    expect_corrupt(&io, t);
}

#[test]
fn cell_pointer_out_of_range_is_corrupt() {
    let (io, t) = corrupt_fixture();
    let (child, _) = first_child(&io, t);
    patch(&io, child, |d| {
        let geo = Geometry::new(512);
        let info = PageInfo::parse(d, child, &geo).unwrap();
        put_u16(d, info.cell_ptr_start(), 510);
    });
    expect_corrupt(&io, t);
}

#[test]
fn bad_page_type_is_corrupt() {
    let (io, t) = corrupt_fixture();
    let (child, _) = first_child(&io, t);
    patch(&io, child, |d| d[header_offset(child)] = 0x07);
    expect_corrupt(&io, t);
}

#[test]
fn index_page_in_a_table_tree_is_corrupt() {
    let (io, t) = corrupt_fixture();
    let (child, _) = first_child(&io, t);
    patch(&io, child, |d| d[0] ^= 0x07);
    expect_corrupt(&io, t);
}

#[test]
fn huge_cell_count_is_corrupt() {
    let (io, t) = corrupt_fixture();
    patch(&io, t, |d| put_u16(d, 3, 0xffff));
    expect_corrupt(&io, t);
}

// ---- asynchronous reads ---------------------------------------------------------------------

/// What a caller can observe of a cursor without I/O.
fn observe(pager: &mut Pager, c: &mut BTreeCursor) -> (bool, Option<i64>, Option<Vec<u8>>) {
    let key = if c.kind().is_table() || c.is_eof() {
        None
    } else {
        match c.payload(pager).unwrap() {
            IoPoll::Ready(k) => Some(k.to_vec()),
            IoPoll::Pending => panic!("an index cursor's key needs no I/O"),
        }
    };
    (c.is_eof(), c.rowid().ok(), key)
}

/// Drives `f` like a VM would, checking that every `Pending` left the cursor as it was.
fn poll<T>(
    pager: &mut Pager,
    c: &mut BTreeCursor,
    pendings: &mut usize,
    mut f: impl FnMut(&mut Pager, &mut BTreeCursor) -> Result<IoPoll<T>>,
) -> T {
    for _ in 0..100_000 {
        let before = observe(pager, c);
        match f(pager, c).unwrap() {
            IoPoll::Ready(v) => return v,
            IoPoll::Pending => {
                *pendings += 1;
                assert_eq!(observe(pager, c), before, "Pending changed the cursor");
                pager.run_io().unwrap();
            }
        }
    }
    panic!("I/O never completed");
}

#[test]
fn pending_reads_leave_the_cursor_unchanged() {
    use crate::io::simulated::SimIo;
    let sim = Arc::new(SimIo::new(3));
    let io: Arc<dyn Io> = sim.clone();
    let opts = PagerOptions { page_size: 512, cache_size: 10, ..PagerOptions::default() };
    let mut pager = Pager::open(io.clone(), "sim.db", opts.clone()).unwrap();
    pager.begin_write(false).unwrap();
    let t = create_tree(&mut pager, &TreeKind::Table).unwrap();
    let kind = TreeKind::Index(KeyInfo::new(3, TextEncoding::Utf8));
    let i = create_tree(&mut pager, &kind).unwrap();
    let mut rng = Rng::new(77);
    let mut model = BTreeMap::new();
    let mut imodel = BTreeSet::new();
    let mut ct = BTreeCursor::new(t, TreeKind::Table);
    let mut ci = BTreeCursor::new(i, kind.clone());
    for k in 0..1500i64 {
        let key = rng.below(100_000) as i64;
        let data = payload(key, 0, payload_len(&mut rng));
        ct.insert(&mut pager, InsertKey::Rowid(key), &data).unwrap();
        model.insert(key, data);
        let ik = (key % 50, idx_text(&mut rng), k);
        ci.insert(&mut pager, InsertKey::Index(&idx_record(&ik)), &[]).unwrap();
        imodel.insert(ik);
    }
    pager.commit().unwrap();
    drop(pager);

    // A new pager with a tiny cache: nearly every step must read, and every read pends.
    let mut pager = Pager::open(io, "sim.db", opts).unwrap();
    pager.begin_read().unwrap();
    let mut pendings = 0;
    let mut c = BTreeCursor::new(t, TreeKind::Table);
    let mut got = Vec::new();
    let mut on = poll(&mut pager, &mut c, &mut pendings, |p, c| c.rewind(p));
    while on {
        let data = poll(&mut pager, &mut c, &mut pendings, |p, c| {
            c.payload(p).map(|r| match r {
                IoPoll::Ready(d) => IoPoll::Ready(d.to_vec()),
                IoPoll::Pending => IoPoll::Pending,
            })
        });
        got.push((c.rowid().unwrap(), data));
        on = poll(&mut pager, &mut c, &mut pendings, |p, c| c.next(p));
    }
    assert!(got == model.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>());
    for _ in 0..300 {
        let key = rng.below(100_000) as i64;
        let op = OPS[rng.below(5) as usize];
        let found = poll(&mut pager, &mut c, &mut pendings, |p, c| c.seek(p, SeekKey::Rowid(key), op));
        assert_eq!(found.then(|| c.rowid().unwrap()), model_seek(&model, &key, op));
        if found {
            let on = poll(&mut pager, &mut c, &mut pendings, |p, c| c.prev(p));
            assert_eq!(
                on.then(|| c.rowid().unwrap()),
                model.range(..c_rowid_or(&model, key, op)).next_back().map(|(k, _)| *k)
            );
        }
    }
    assert_eq!(poll(&mut pager, &mut c, &mut pendings, |p, c| c.count(p)), model.len() as u64);

    let mut c = BTreeCursor::new(i, kind);
    let mut got = Vec::new();
    let mut on = poll(&mut pager, &mut c, &mut pendings, |p, c| c.last(p));
    while on {
        got.push(decode_idx(&cursor_payload(&mut pager, &mut c)));
        on = poll(&mut pager, &mut c, &mut pendings, |p, c| c.prev(p));
    }
    got.reverse();
    assert!(got == imodel.iter().cloned().collect::<Vec<_>>());
    for _ in 0..300 {
        let a = rng.below(50) as i64;
        let found =
            poll(&mut pager, &mut c, &mut pendings, |p, c| c.seek(p, SeekKey::Index(&[Value::Integer(a)]), SeekOp::GE));
        assert_eq!(
            found.then(|| decode_idx(&cursor_payload(&mut pager, &mut c))),
            imodel.iter().find(|k| k.0 >= a).cloned()
        );
    }
    assert_eq!(poll(&mut pager, &mut c, &mut pendings, |p, c| c.count(p)), imodel.len() as u64);
    assert!(pendings > 1000, "only {pendings} reads pended");
}

/// The key a successful seek landed on, for checking the step before it.
fn c_rowid_or(model: &BTreeMap<i64, Vec<u8>>, key: i64, op: SeekOp) -> i64 {
    model_seek(model, &key, op).expect("seek found an entry")
}

#[test]
fn a_zero_length_file_has_empty_trees() {
    let io = Arc::new(MemoryIo::new());
    let mut pager = open_pager(&io, 4096, 50);
    pager.begin_read().unwrap();
    assert_eq!(pager.page_count(), 0);
    let mut c = BTreeCursor::new(1, TreeKind::Table);
    assert!(!wait(&mut pager, |p| c.rewind(p)).unwrap());
    assert!(!wait(&mut pager, |p| c.last(p)).unwrap());
    assert!(!wait(&mut pager, |p| c.seek(p, SeekKey::Rowid(1), SeekOp::GE)).unwrap());
    assert!(c.is_eof());
    assert_eq!(wait(&mut pager, |p| c.count(p)).unwrap(), 0);
    assert_eq!(max_rowid(&mut pager, 1).unwrap(), None);
    assert!(integrity_check(&mut pager, &[(1, false, "s".into())], 10).unwrap().is_empty());
}

/// Random byte damage anywhere in a file: every read and write path returns (an error or a
/// result), never panics, and finishes (the test's own running time is the bound).
#[test]
fn random_damage_never_panics() {
    use crate::io::simulated::SimIo;
    let sim = Arc::new(SimIo::new(9));
    let io: Arc<dyn Io> = sim.clone();
    let opts = PagerOptions { page_size: 512, cache_size: 20, ..PagerOptions::default() };
    let mut pager = Pager::open(io.clone(), "fuzz.db", opts.clone()).unwrap();
    pager.begin_write(false).unwrap();
    let t = create_tree(&mut pager, &TreeKind::Table).unwrap();
    let kind = TreeKind::Index(KeyInfo::new(3, TextEncoding::Utf8));
    let i = create_tree(&mut pager, &kind).unwrap();
    let mut rng = Rng::new(1234);
    let mut ct = BTreeCursor::new(t, TreeKind::Table);
    let mut ci = BTreeCursor::new(i, kind.clone());
    for k in 0..400i64 {
        ct.insert(&mut pager, InsertKey::Rowid(k * 3), &payload(k, 0, payload_len(&mut rng))).unwrap();
        ci.insert(&mut pager, InsertKey::Index(&idx_record(&(k % 13, idx_text(&mut rng), k))), &[]).unwrap();
    }
    pager.commit().unwrap();
    drop(pager);
    let original = sim.file_bytes("fuzz.db").unwrap();
    let pages = original.len() / 512;
    let mut detected = 0;
    for round in 0..150 {
        let mut bytes = original.clone();
        // Damage one to eight spots, mostly in B-tree headers and cell pointer arrays where a
        // bad value matters most, sometimes anywhere.
        for _ in 0..1 + rng.below(8) {
            let page = 1 + rng.below(pages as u64 - 1) as usize;
            let off = if rng.chance(70) { rng.below(40) as usize } else { rng.below(512) as usize };
            bytes[page * 512 + off] = rng.next() as u8;
        }
        sim.set_file_bytes("fuzz.db", bytes);
        let mut pager = Pager::open(io.clone(), "fuzz.db", opts.clone()).unwrap();
        let outcome = (|| -> Result<()> {
            pager.begin_read()?;
            let roots = roots(t, i);
            let errors = integrity_check(&mut pager, &roots, 20)?;
            if !errors.is_empty() {
                detected += 1;
            }
            for (root, k) in [(t, TreeKind::Table), (i, kind.clone())] {
                let mut c = BTreeCursor::new(root, k);
                let _ = wait(&mut pager, |p| c.count(p));
                let mut on = wait(&mut pager, |p| c.rewind(p))?;
                while on {
                    wait(&mut pager, |p| {
                        c.payload(p).map(|r| match r {
                            IoPoll::Ready(_) => IoPoll::Ready(()),
                            IoPoll::Pending => IoPoll::Pending,
                        })
                    })?;
                    on = wait(&mut pager, |p| c.next(p))?;
                }
                let mut on = wait(&mut pager, |p| c.last(p))?;
                while on {
                    on = wait(&mut pager, |p| c.prev(p))?;
                }
            }
            let mut c = BTreeCursor::new(t, TreeKind::Table);
            for k in 0..50 {
                let _ = wait(&mut pager, |p| c.seek(p, SeekKey::Rowid(k * 25), OPS[k as usize % 5]));
            }
            pager.end_read();
            pager.begin_write(false)?;
            let mut c = BTreeCursor::new(t, TreeKind::Table);
            for k in 0..60i64 {
                c.insert(&mut pager, InsertKey::Rowid(k * 7 + round), &payload(k, 1, 300))?;
                if wait(&mut pager, |p| c.seek(p, SeekKey::Rowid(k * 11), SeekOp::GE))? {
                    c.delete(&mut pager)?;
                }
            }
            let mut c = BTreeCursor::new(i, kind.clone());
            for k in 0..40i64 {
                c.insert(&mut pager, InsertKey::Index(&idx_record(&(k % 5, idx_text(&mut rng), 1000 + k))), &[])?;
                if wait(&mut pager, |p| c.seek(p, SeekKey::Index(&[Value::Integer(k % 13)]), SeekOp::GE))? {
                    c.delete(&mut pager)?;
                }
            }
            clear_tree(&mut pager, t)?;
            Ok(())
        })();
        if let Err(e) = outcome {
            assert!(matches!(e, Error::Corrupt(_)), "round {round}: {e:?}");
        }
        let _ = pager.rollback();
    }
    assert!(detected > 50, "integrity check found only {detected} of 150 damaged files");
}
