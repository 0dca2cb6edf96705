//! Load generator: being written (see the ingest issue).
fn main() {}
