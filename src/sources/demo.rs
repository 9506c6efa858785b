//! The demo bundle compiled into the binary (`assets/demo/`): a broken mixed cluster with a Windows
//! node part, so that `windoctor --demo` shows the product with no cluster at all.

use super::files::EmbeddedStore;
use include_dir::{include_dir, Dir};

static DEMO: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/assets/demo");

pub fn store() -> EmbeddedStore {
    EmbeddedStore::new(&DEMO, "embedded demo bundle")
}

pub fn facts() -> crate::facts::Facts {
    super::bundle::read_bundle(&store())
}
