//! Placeholder for the B-tree while it is integrated (replaced by the real module).
#![allow(unused_variables)]

use crate::error::{Error, Result};
use crate::storage::pager::{PageNumber, Pager};
use crate::storage::record::KeyInfo;
use crate::storage::IoPoll;
use crate::value::Value;

pub enum TreeKind {
    Table,
    Index(KeyInfo),
}
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeekOp {
    GE,
    GT,
    LE,
    LT,
    EQ,
}
pub enum SeekKey<'a> {
    Rowid(i64),
    Index(&'a [Value]),
}
pub enum InsertKey<'a> {
    Rowid(i64),
    Index(&'a [u8]),
}
pub struct BTreeCursor {
    kind: TreeKind,
}
fn nyi<T>() -> Result<T> {
    Err(Error::Internal("btree".into()))
}
impl BTreeCursor {
    pub fn new(root: PageNumber, kind: TreeKind) -> BTreeCursor {
        BTreeCursor { kind }
    }
    pub fn kind(&self) -> &TreeKind {
        &self.kind
    }
    pub fn rewind(&mut self, pager: &mut Pager) -> Result<IoPoll<bool>> {
        nyi()
    }
    pub fn last(&mut self, pager: &mut Pager) -> Result<IoPoll<bool>> {
        nyi()
    }
    pub fn next(&mut self, pager: &mut Pager) -> Result<IoPoll<bool>> {
        nyi()
    }
    pub fn prev(&mut self, pager: &mut Pager) -> Result<IoPoll<bool>> {
        nyi()
    }
    pub fn seek(&mut self, pager: &mut Pager, key: SeekKey<'_>, op: SeekOp) -> Result<IoPoll<bool>> {
        nyi()
    }
    pub fn is_eof(&self) -> bool {
        true
    }
    pub fn rowid(&self) -> Result<i64> {
        nyi()
    }
    pub fn payload(&mut self, pager: &mut Pager) -> Result<IoPoll<&[u8]>> {
        nyi()
    }
    pub fn insert(&mut self, pager: &mut Pager, key: InsertKey<'_>, data: &[u8]) -> Result<()> {
        nyi()
    }
    pub fn delete(&mut self, pager: &mut Pager) -> Result<()> {
        nyi()
    }
    pub fn count(&mut self, pager: &mut Pager) -> Result<IoPoll<u64>> {
        nyi()
    }
}
pub fn create_tree(pager: &mut Pager, kind: &TreeKind) -> Result<PageNumber> {
    nyi()
}
pub fn clear_tree(pager: &mut Pager, root: PageNumber) -> Result<()> {
    nyi()
}
pub fn drop_tree(pager: &mut Pager, root: PageNumber) -> Result<()> {
    nyi()
}
pub fn integrity_check(
    pager: &mut Pager,
    roots: &[(PageNumber, bool, String)],
    max_errors: usize,
) -> Result<Vec<String>> {
    nyi()
}
